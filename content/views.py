from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from content.models import Article, Topic
from content.rendering import faq_json_ld, render_markdown
from content.selectors import (
    article_search,
    article_with_related,
    articles_visible_to,
    is_editor,
)


@require_GET
def article_index(request: HttpRequest) -> HttpResponse:
    """Published articles grouped by topic; `?topic=` narrows to one."""
    articles = articles_visible_to(viewer=request.user).prefetch_related("topics")
    chosen = request.GET.get("topic", "")
    topics = list(Topic.objects.filter(articles__in=articles).distinct())
    groups = []
    for topic in topics:
        if chosen and topic.slug != chosen:
            continue
        members = [a for a in articles if topic in a.topics.all()]
        if members:
            groups.append((topic, members))
    untopical = [a for a in articles if not a.topics.all()] if not chosen else []
    context = {"groups": groups, "untopical": untopical, "topics": topics, "chosen": chosen}
    return render(request, "content/index.html", context)


@require_GET
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An article. Drafts and scheduled articles are 404 except to editors, who see them
    exactly as readers will (the preview)."""
    article, related = article_with_related(viewer=request.user, slug=slug)
    if article is None:
        raise Http404
    rendered = render_markdown(article.body)
    context = {
        "article": article,
        "body": rendered.html,
        "toc": rendered.toc,
        "related": related,
        "json_ld": faq_json_ld(article),
        "canonical": request.build_absolute_uri(article.get_absolute_url()),
        "preview": not article.is_live and is_editor(request.user),
    }
    return render(request, "content/article.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    results = article_search(viewer=request.user, query=query)
    return render(request, "content/search.html", {"query": query, "results": results})


class ArticleFeed(Feed):
    """An Atom feed of published articles, newest first."""

    feed_type = Atom1Feed
    title = "Attune articles"
    subtitle = "Plain-language reads on nervous system mismatch, pausing and coming back together."

    def link(self) -> str:
        return reverse("content:index")

    def items(self):
        return articles_visible_to(viewer=_Anonymous()).order_by("-publish_at")[:50]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.summary

    def item_pubdate(self, item: Article):
        return item.publish_at

    def item_updateddate(self, item: Article):
        return item.updated_at


class _Anonymous:
    is_authenticated = False
    is_staff = False
    is_superuser = False
