from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from content.services import articles_load


class Command(BaseCommand):
    help = "Load the articles shipped in content/articles/ (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "content" / "articles"))

    def handle(self, *args, dir: str, **options) -> None:
        report = articles_load(directory=Path(dir))
        self.stdout.write(
            f"articles: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )
        for slug in report.kept_admin_edits:
            self.stdout.write(
                self.style.WARNING(f"{slug}: edited in the admin since the last load; kept")
            )
