import functools

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from content.quality import reference_problems

WORDS_PER_MINUTE = 200


# Keyed by the text, like the rendered Markdown: every card of an article splits its whole
# body, several per page.
@functools.lru_cache(maxsize=256)
def reading_minutes(body: str) -> int:
    return max(1, round(len(body.split()) / WORDS_PER_MINUTE))


class Topic(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """A psychoeducation article, written in Markdown, published through a workflow."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown. Headings start at ##.")
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    takeaways = models.JSONField(default=list, blank=True, help_text="A list of short sentences.")
    faq = models.JSONField(
        default=list, blank=True, help_text='A list of {"question": ..., "answer": ...}.'
    )
    references = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"authors": ..., "year": ..., "title": ..., "source": ...}, with '
        '"volume", "pages", "doi" and "url" where the work has them.',
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=False)
    author = models.CharField(max_length=120, default="Attune editorial team")
    reviewer = models.CharField(
        "clinical reviewer",
        max_length=120,
        blank=True,
        help_text="Empty until a clinician signs off.",
    )
    reviewed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="A future time schedules the article."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # What load_articles last wrote, so an edit in the admin since is never overwritten.
    source_hash = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(publish_at__isnull=False),
                name="article_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:article", args=[self.slug])

    def clean(self) -> None:
        problems = []
        if not isinstance(self.references, list):
            problems.append("References must be a list.")
        else:
            for number, reference in enumerate(self.references, start=1):
                found = (
                    reference_problems(reference)
                    if isinstance(reference, dict)
                    else ["not an object"]
                )
                problems += [f"Reference {number}: {problem}." for problem in found]
        if problems:
            raise ValidationError({"references": problems})

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.body)

    @property
    def needs_clinical_review(self) -> bool:
        return not self.reviewer or self.reviewed_on is None

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )


class ArticleRevision(models.Model):
    """A saved version of an article, to compare with or restore."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    saved_at = models.DateTimeField(default=timezone.now)
    saved_by = models.CharField(max_length=160, blank=True)
    data = models.JSONField()

    class Meta:
        ordering = ["-saved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.data.get('title', '')} ({self.saved_at:%Y-%m-%d %H:%M})"
