from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from content.models import Article
from content.selectors import articles_visible_to
from content.views import _Anonymous


class ArticleSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return articles_visible_to(viewer=_Anonymous()).order_by("slug")

    def lastmod(self, item: Article):
        return item.updated_at


class PagesSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "content:index"]

    def location(self, item: str) -> str:
        return reverse(item)
