"""`{% nav_url 'name' %}`: the URL of a view that takes no arguments (or fixed ones, such as
an article's slug written in the template), reversed once per process (and script prefix)
rather than on every page. The navigation in base.html has about
fifteen links, and `{% url %}` reversed each of them on every page (a thirtieth of a
timeline page, see README's Benchmarks)."""

import functools

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()


@functools.lru_cache(maxsize=128)
def _reversed(prefix: str, name: str, args: tuple[str, ...]) -> str:
    # The prefix is part of the key: reverse() puts the current one in front.
    return reverse(name, args=args)


@register.simple_tag
def nav_url(name: str, *args: str) -> str:
    """Only for names and arguments written in a template: each is kept for the process."""
    return _reversed(get_script_prefix(), name, args)
