from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from content.quality import (
    PAGE_WORDS_MAX,
    citation_problems,
    overlaps,
    page_text,
    page_words,
    reference_problems,
    words,
)
from content.services import parse_article_file, reference_catalogue, references_resolve


class Command(BaseCommand):
    help = (
        "Check the shipped articles: page length, complete references, and runs of ten or "
        "more words shared between articles or with the texts given to --against."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "content" / "articles"))
        parser.add_argument(
            "--against", nargs="*", default=[], help="Source texts no article may copy from."
        )

    def handle(self, *args, dir: str, against: list[str], **options) -> None:
        directory = Path(dir)
        catalogue = reference_catalogue(directory)
        problems = 0
        for key, entry in catalogue.items():
            for problem in reference_problems(entry):
                problems += 1
                self.stdout.write(self.style.ERROR(f"references.toml [{key}]: {problem}"))
        bodies: dict[str, str] = {}
        for path in sorted(directory.glob("*.md")):
            meta, body = parse_article_file(path)
            slug = meta["slug"]
            bodies[slug] = page_text(meta, body)
            length = page_words(meta, body)
            self.stdout.write(
                f"{slug}: page {length} words ({length / 200:.1f} min), body {len(words(body))}"
            )
            if length > PAGE_WORDS_MAX:
                problems += 1
                self.stdout.write(self.style.ERROR(f"  longer than {PAGE_WORDS_MAX} words"))
            try:
                references_resolve(meta.get("references", []), catalogue, name=path.name)
            except ValidationError as error:
                problems += 1
                self.stdout.write(self.style.ERROR(f"  {' '.join(error.messages)}"))
            for problem in citation_problems(meta, body, catalogue):
                problems += 1
                self.stdout.write(self.style.ERROR(f"  {problem}"))
        sources = {Path(name).name: Path(name).read_text(encoding="utf-8") for name in against}
        for overlap in overlaps(bodies, sources or None):
            problems += len(overlap.runs)
            for run in overlap.runs:
                self.stdout.write(self.style.ERROR(f"{overlap.slug} / {overlap.other}: {run}"))
        if problems:
            raise CommandError(f"{problems} problem(s)")
        self.stdout.write(self.style.SUCCESS("articles: no problems"))
