import re
import tomllib
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from content.models import Article, ArticleRevision
from content.rendering import render_markdown
from content.services import article_restore, articles_load
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "content" / "articles"
SLUGS = [
    "nervous-system-mismatch",
    "pursue-withdraw",
    "states-explained",
    "regulation-before-resolution",
    "co-regulation",
    "attachment-styles",
    "stress-seasons",
    "freeze-vs-dissociation",
    "boundaries-independence",
]

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    "<div><p>broken <b>nesting</div></p>",
    '<svg onload="alert(1)"></svg>',
    "<style>body{display:none}</style>",
    '[x](https://ok.example "title" onclick="alert(1)")',
    "<<script>script>alert(1)<</script>/script>",
]


class Markup(HTMLParser):
    """The elements and attributes a browser would actually build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_never_reaches_a_reader_as_markup(markdown):
    html = str(render_markdown(f"## Heading\n\n{markdown}\n\nAfter.").html)
    for tag, attrs in Markup(html).tags:
        assert tag in {"h2", "p", "a", "strong", "em", "code", "br"}, html
        assert not any(name.startswith("on") for name in attrs), html
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), html
    assert "<p>After.</p>" in html


def test_markdown_keeps_what_articles_need():
    rendered = render_markdown(
        "## One\n\ntext **bold** [link](https://example.org)\n\n## Two\n\n- a\n- b\n\n## Three"
    )
    assert '<h2 id="one">One</h2>' in rendered.html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in rendered.html
    assert rendered.toc == [("one", "One"), ("two", "Two"), ("three", "Three")]
    assert render_markdown("## Only one").toc == []  # short articles need no contents


def make(slug, status="published", when=None, **fields):
    fields.setdefault("title", slug.replace("-", " ").title())
    if when is not None:
        fields["publish_at"] = when
    return ArticleFactory(slug=slug, status=status, **fields)


@pytest.fixture
def editor(db):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


def test_drafts_and_scheduled_articles_are_404_except_to_editors(client, editor):
    make("live")
    make("draft", status="draft")
    make("in-review", status="review")
    make("scheduled", when=timezone.now() + timedelta(days=2))
    for slug, code in [("live", 200), ("draft", 404), ("in-review", 404), ("scheduled", 404)]:
        assert client.get(reverse("content:article", args=[slug])).status_code == code
    index = client.get(reverse("content:index"))
    assertContains(index, "Live")
    assertNotContains(index, "Scheduled")
    client.force_login(editor)
    preview = client.get(reverse("content:article", args=["scheduled"]))
    assertContains(preview, "Preview: this article is published, scheduled for")
    assertContains(preview, '<meta name="robots" content="noindex">')
    # Exactly the reader's page around the notice.
    client.logout()
    make("twin", body="## Part\n\nSome words.")
    reader = client.get(reverse("content:article", args=["twin"])).content.decode()
    assert re.search(r'<div class="article__body">(.*?)</div>', reader, re.S).group(1) == re.search(
        r'<div class="article__body">(.*?)</div>', preview.content.decode(), re.S
    ).group(1)


def test_a_staff_member_outside_the_editor_group_sees_no_drafts(client):
    make("draft", status="draft")
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("content:article", args=["draft"])).status_code == 404


def test_the_article_page_carries_seo_and_faq_data(client):
    make(
        "faq-one",
        faq=[{"question": "Is it <odd>?", "answer": "No </script> at all."}],
        takeaways=["First.", "Second."],
        references=[{"text": "Ref (2020).", "url": ""}],
    )
    page = client.get(reverse("content:article", args=["faq-one"]))
    html = page.content.decode()
    assert '<link rel="canonical" href="http://testserver/articles/faq-one/">' in html
    assert '<meta property="og:title" content="Faq One">' in html
    assert '<meta name="description" content="A summary.">' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</script" not in block and '"@type": "FAQPage"' in block
    assert "This article is awaiting review by a clinician." in html
    assert "Key takeaways" in html


def test_revisions_are_kept_and_an_old_one_restored(editor):
    article = make("revised", title="First title")
    from content.services import article_revision_add

    first = article_revision_add(article=article, saved_by="ed")
    article.title = "Second title"
    article.save()
    article_revision_add(article=article, saved_by="ed")
    article_restore(revision=first, restored_by="ed")
    article.refresh_from_db()
    assert article.title == "First title"
    assert ArticleRevision.objects.filter(article=article).count() == 3


def test_sitemap_and_feed_list_only_published_articles(client):
    make("live")
    make("draft", status="draft")
    make("scheduled", when=timezone.now() + timedelta(days=2))
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/articles/live/" in sitemap
    assert "/articles/draft/" not in sitemap and "/articles/scheduled/" not in sitemap
    feed = client.get(reverse("content:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "/articles/live/" in feed.content.decode()
    assert "draft" not in feed.content.decode()


def test_search_finds_a_body_word_and_ranks_a_title_match_first(client):
    make("about-breaks", title="Taking a break", body="## When\n\nA pause helps the body settle.")
    make("other", title="Something else", body="## Body\n\nMention of a break and a pause.")
    make("hidden", status="draft", body="## X\n\nThe word settle is here too.")
    found = client.get(reverse("content:search"), {"q": "settle"})
    assertContains(found, "Taking a break")
    assertNotContains(found, "/articles/hidden/")
    ranked = client.get(reverse("content:search"), {"q": "break"}).content.decode()
    assert ranked.index("Taking a break") < ranked.index("Something else")
    if connection.vendor == "postgresql":
        assert "<mark>" in ranked


def write(directory, slug, title, body="## A\n\nWords."):
    (directory / f"{slug}.md").write_text(
        f'+++\ntitle = "{title}"\nslug = "{slug}"\nsummary = "S."\ntopics = ["mismatch"]\n'
        f"related = []\n+++\n{body}\n"
    )


def test_load_articles_is_idempotent_and_respects_admin_edits(tmp_path, db):
    write(tmp_path, "one", "One")
    report = articles_load(directory=tmp_path)
    assert report.created == ["one"]
    assert articles_load(directory=tmp_path).unchanged == ["one"]
    assert ArticleRevision.objects.count() == 1

    write(tmp_path, "one", "One, changed")
    assert articles_load(directory=tmp_path).updated == ["one"]
    assert Article.objects.get().title == "One, changed"
    assert ArticleRevision.objects.count() == 2

    article = Article.objects.get()
    article.title = "Edited by an editor"
    article.updated_at = timezone.now()
    article.save()
    write(tmp_path, "one", "One, changed again")
    assert articles_load(directory=tmp_path).kept_admin_edits == ["one"]
    assert Article.objects.get().title == "Edited by an editor"


def test_the_shipped_articles_follow_the_brief(db):
    files = sorted(ARTICLES.glob("*.md"))
    assert sorted(p.stem for p in files) == sorted(SLUGS)
    for path in files:
        text = path.read_text()
        _, front, body = text.split("+++", 2)
        meta = tomllib.loads(front)
        words = len(body.split())
        assert 700 <= words <= 1200, (path.name, words)
        assert 3 <= len(meta["takeaways"]) <= 5, path.name
        assert 3 <= len(meta["faq"]) <= 4, path.name
        assert set(meta["related"]) <= set(SLUGS), path.name
        assert "\n# " not in body, path.name
    call_command("load_articles")
    call_command("load_articles")
    assert Article.objects.count() == 9
    assert all(a.needs_clinical_review and a.is_live for a in Article.objects.all())


def test_every_article_the_product_links_to_exists(db):
    linked = set()
    for template in (ROOT / "templates").rglob("*.html"):
        linked |= set(re.findall(r"'content:article' '([a-z0-9-]+)'", template.read_text()))
    assert linked >= {
        "nervous-system-mismatch",
        "pursue-withdraw",
        "states-explained",
        "co-regulation",
        "regulation-before-resolution",
    }
    assert linked <= {p.stem for p in ARTICLES.glob("*.md")}


def admin_form(**fields) -> dict:
    """The admin's article form as an editor posts it: the in-admin article, changed."""
    return {
        "title": "After",
        "slug": "in-admin",
        "summary": "A summary.",
        "body": "## Part\n\nSome words.",
        "takeaways": "[]",
        "faq": "[]",
        "references": "[]",
        "author": "Attune editorial team",
        "status": "published",
        "publish_at_0": "2026-11-01",
        "publish_at_1": "10:00:00",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        **fields,
    }


def test_an_editor_saves_in_the_admin_and_each_save_is_a_revision(client, editor):
    article = make("in-admin", title="Before")
    client.force_login(editor)
    url = reverse("admin:content_article_change", args=[article.pk])
    assert client.get(url).status_code == 200
    form = admin_form(reviewer="Dr. Ada Reviewer", reviewed_on="2026-11-20")
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.title, article.needs_clinical_review) == ("After", False)
    revision = ArticleRevision.objects.get(article=article)
    assert revision.data["title"] == "After"
    page = client.get(reverse("content:article", args=["in-admin"]))
    assertContains(page, "Reviewed by Dr. Ada Reviewer on 20 November 2026.")

    # Restore the first version through the admin action.
    from content.services import article_revision_add

    article.title = "Third"
    article.save()
    article_revision_add(article=article)
    changelist = reverse("admin:content_articlerevision_changelist")
    client.post(changelist, {"action": "restore", "_selected_action": [revision.pk]})
    article.refresh_from_db()
    assert article.title == "After"


def test_the_article_pages_plain_sql_sees_what_articles_visible_to_sees(editor, partner_a):
    """article_with_related says articles_visible_to's rule in SQL: for every kind of viewer,
    the same article and the same related articles, in title order."""
    from django.contrib.auth.models import AnonymousUser

    from content.selectors import article_with_related, articles_visible_to

    future = timezone.now() + timedelta(days=2)
    articles = {
        "live": ArticleFactory(slug="live", title="B live"),
        "draft": ArticleFactory(slug="draft", title="A draft", status="draft"),
        "scheduled": ArticleFactory(slug="scheduled", title="C scheduled", publish_at=future),
        "other": ArticleFactory(slug="other", title="A other"),
    }
    for source in articles.values():
        source.related.set([a for a in articles.values() if a != source])
    viewers = [AnonymousUser(), partner_a, UserFactory(is_staff=True), editor]
    for viewer in viewers:
        for slug in [*articles, "missing"]:
            article, related = article_with_related(viewer=viewer, slug=slug)
            expected = articles_visible_to(viewer=viewer).filter(slug=slug).first()
            assert article == expected
            if expected is None:
                assert related == []
                continue
            assert related == list(
                articles_visible_to(viewer=viewer)
                .filter(pk__in=expected.related.values("pk"))
                .order_by("title", "id")
            )
            # Built as the ORM builds them, JSON fields and all.
            assert all(isinstance(a.takeaways, list) for a in [article, *related])
    assert [a.slug for a in article_with_related(viewer=editor, slug="live")[1]] == [
        "draft",
        "other",
        "scheduled",
    ]
