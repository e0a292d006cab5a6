"""`manage.py restore FILE`: replace the database's contents with a backup written by
`manage.py backup`. Stop the web, the worker and the sweep first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from attune.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Replace everything in the database with the backup FILE."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="do not ask first"
        )

    def handle(self, *args, file: Path, interactive: bool, **options) -> None:
        if interactive:
            answer = input(f"Replace everything in the database with {file}? Type 'yes': ")
            if answer.strip() != "yes":
                raise CommandError("Nothing was restored.")
        try:
            backup_restore(path=file)
        except BackupError as error:
            raise CommandError(f"Nothing was restored: {error}") from None
        self.stdout.write(f"restored {file}")
