"""Markdown in, sanitised HTML out: markdown-it-py parses (raw HTML switched off), nh3
cleans what it made, so no script, event handler or javascript: link reaches a reader."""

import functools
import json
from dataclasses import dataclass

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

ALLOWED_TAGS = {
    "a",
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "blockquote",
    "code",
    "pre",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}}
# Long articles get a table of contents; short ones read fine without.
TOC_MIN_HEADINGS = 3


@dataclass(frozen=True)
class Rendered:
    html: SafeString
    toc: list[tuple[str, str]]  # (anchor, heading text) of the level-2 headings


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
    md.enable("table")
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=slugify)
    return md


_MD = _parser()


# Keyed by the Markdown itself, so an edited article renders afresh and nothing goes stale;
# parsing and cleaning an article costs several milliseconds, a lookup next to nothing.
@functools.lru_cache(maxsize=128)
def render_markdown(text: str) -> Rendered:
    tokens = _MD.parse(text)
    toc = [
        (token.attrs.get("id", ""), tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2"
    ]
    html = nh3.clean(
        _MD.renderer.render(tokens, _MD.options, {}),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Rendered(html=mark_safe(html), toc=toc if len(toc) >= TOC_MIN_HEADINGS else [])  # noqa: S308 - nh3 output


def faq_json_ld(article) -> SafeString:
    """schema.org FAQPage data as a JSON-LD block: data, not script, so CSP lets it be."""
    if not article.faq:
        return mark_safe("")
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.get("question", ""),
                "acceptedAnswer": {"@type": "Answer", "text": item.get("answer", "")},
            }
            for item in article.faq
        ],
    }
    # The same escaping as Django's json_script: nothing in the data can close the tag.
    payload = json.dumps(data, ensure_ascii=False).translate(
        {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
    )
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308
