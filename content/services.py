"""Writes for the editorial app: revisions, restore, and loading the shipped articles."""

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from content.models import Article, ArticleRevision, Topic

SNAPSHOT_FIELDS = [
    "title",
    "slug",
    "summary",
    "body",
    "takeaways",
    "faq",
    "references",
    "author",
    "reviewer",
    "status",
]


def article_snapshot(article: Article) -> dict:
    data = {name: getattr(article, name) for name in SNAPSHOT_FIELDS}
    data["reviewed_on"] = article.reviewed_on.isoformat() if article.reviewed_on else None
    data["publish_at"] = article.publish_at.isoformat() if article.publish_at else None
    return data


def article_revision_add(*, article: Article, saved_by: str = "") -> ArticleRevision:
    """Keep the article as it is now."""
    return ArticleRevision.objects.create(
        article=article, saved_by=saved_by, data=article_snapshot(article)
    )


def article_restore(*, revision: ArticleRevision, restored_by: str = "") -> Article:
    """Bring an old version back; the restore is itself a new revision."""
    from datetime import date, datetime

    article = revision.article
    data = revision.data
    with transaction.atomic():
        for name in SNAPSHOT_FIELDS:
            if name in data:
                setattr(article, name, data[name])
        article.reviewed_on = (
            date.fromisoformat(data["reviewed_on"]) if data.get("reviewed_on") else None
        )
        article.publish_at = (
            datetime.fromisoformat(data["publish_at"]) if data.get("publish_at") else None
        )
        article.updated_at = timezone.now()
        article.full_clean()
        article.save()
        article_revision_add(article=article, saved_by=restored_by or "restore")
    return article


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_admin_edits: list[str] = field(default_factory=list)


def parse_article_file(path: Path) -> tuple[dict, str]:
    """TOML front matter between +++ lines, then the Markdown body."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("+++"):
        raise ValidationError(f"{path.name}: no front matter")
    _, front, body = text.split("+++", 2)
    return tomllib.loads(front), body.strip() + "\n"


REFERENCES_FILE = "references.toml"


def reference_catalogue(directory: Path) -> dict[str, dict]:
    """Every work the shipped articles cite, once, keyed as the articles cite it."""
    path = directory / REFERENCES_FILE
    if not path.exists():
        return {}
    return {key: {"key": key, **entry} for key, entry in tomllib.loads(path.read_text()).items()}


def references_resolve(keys: list[str], catalogue: dict[str, dict], *, name: str) -> list[dict]:
    missing = [key for key in keys if key not in catalogue]
    if missing:
        raise ValidationError(f"{name}: no entry in {REFERENCES_FILE} for {', '.join(missing)}")
    return [catalogue[key] for key in keys]


def articles_load(*, directory: Path) -> LoadReport:
    """Load the shipped articles, idempotently. A changed file (or a changed entry of a work
    it cites) updates its article and adds a revision, unless an editor has changed the
    article in the admin since the last load: then the editor's version stays and the report
    says so."""
    report = LoadReport()
    related: dict[str, list[str]] = {}
    catalogue = reference_catalogue(directory)
    with transaction.atomic():
        for path in sorted(directory.glob("*.md")):
            meta, body = parse_article_file(path)
            references = references_resolve(meta.get("references", []), catalogue, name=path.name)
            raw = path.read_bytes() + json.dumps(references, sort_keys=True).encode()
            digest = hashlib.sha256(raw).hexdigest()
            slug = meta["slug"]
            related[slug] = meta.get("related", [])
            article = Article.objects.filter(slug=slug).first()
            if article is not None and article.source_hash == digest:
                report.unchanged.append(slug)
                continue
            if article is not None and article.loaded_at and article.updated_at > article.loaded_at:
                report.kept_admin_edits.append(slug)
                continue
            now = timezone.now()
            is_new = article is None
            article = article or Article(slug=slug, status=Article.Status.PUBLISHED, publish_at=now)
            article.title = meta["title"]
            article.summary = meta["summary"]
            article.body = body
            article.takeaways = meta.get("takeaways", [])
            article.faq = meta.get("faq", [])
            article.references = references
            article.author = meta.get("author", "Attune editorial team")
            article.source_hash = digest
            article.updated_at = now
            article.loaded_at = now
            article.full_clean()
            article.save()
            article.topics.set(
                Topic.objects.get_or_create(slug=slugify(t), defaults={"name": t.capitalize()})[0]
                for t in meta.get("topics", [])
            )
            article_revision_add(article=article, saved_by="load_articles")
            (report.created if is_new else report.updated).append(slug)
        by_slug = {a.slug: a for a in Article.objects.filter(slug__in=related)}
        for slug, others in related.items():
            if slug in by_slug and slug in report.created + report.updated:
                by_slug[slug].related.set(Article.objects.filter(slug__in=others))
    return report
