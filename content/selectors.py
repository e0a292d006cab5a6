"""Reads of articles, for a viewer: editors see every article, everyone else only what is
published and due."""

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from content.models import Article

EDITOR_GROUP = "editor"


def is_editor(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_staff
        and (user.is_superuser or user.groups.filter(name=EDITOR_GROUP).exists())
    )


def articles_visible_to(*, viewer) -> QuerySet[Article]:
    if is_editor(viewer):
        return Article.objects.all()
    return Article.objects.filter(status=Article.Status.PUBLISHED, publish_at__lte=timezone.now())


def article_with_related(*, viewer, slug: str) -> tuple[Article | None, list[Article]]:
    """The article at `slug` if `viewer` may see it, and the related articles they may see,
    by title."""
    visible = articles_visible_to(viewer=viewer)
    article = visible.filter(slug=slug).first()
    if article is None:
        return None, []
    related = list(visible.filter(pk__in=article.related.values("pk")).order_by("title", "pk"))
    return article, related


def article_search(*, viewer, query: str, limit: int = 20) -> list[Article]:
    """Articles matching `query`, best first. PostgreSQL: full-text search, title weighted
    above summary above body, with a highlighted snippet; elsewhere a plain word match with
    title matches first."""
    query = query.strip()
    if not query:
        return []
    visible = articles_visible_to(viewer=viewer)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        found = list(
            visible.annotate(rank=SearchRank(vector, search))
            .filter(rank__gt=0)
            .annotate(
                snippet=SearchHeadline(
                    "body",
                    search,
                    config="english",
                    start_sel="\x02",
                    stop_sel="\x03",
                    max_words=30,
                    min_words=15,
                )
            )
            .order_by("-rank", "title")[:limit]
        )
        for article in found:
            # Escape the body text first, then mark the hits: the snippet is plain Markdown
            # source, and nothing in it may reach the page as markup.
            article.snippet_html = mark_safe(  # noqa: S308 - escaped above
                escape(article.snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")
            )
        return found
    words = query.split()
    matches = visible
    for word in words:
        matches = matches.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    found = list(matches)
    found.sort(key=lambda a: (not all(w.lower() in a.title.lower() for w in words), a.title))
    return found[:limit]
