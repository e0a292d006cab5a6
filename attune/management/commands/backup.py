"""`manage.py backup`: a backup of the whole database into BACKUP_DIR (see attune/backups.py);
the newest --keep are kept. Run it from cron or a compose service; README says how."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from attune.backups import BackupError, backup_write


class Command(BaseCommand):
    help = "Back up the database into BACKUP_DIR, keeping the newest --keep backups."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--folder", type=Path, default=None, help="default: BACKUP_DIR")
        parser.add_argument("--keep", type=int, default=14, help="backups to keep (default 14)")

    def handle(self, *args, folder: Path | None, keep: int, **options) -> None:
        if keep < 1:
            raise CommandError("--keep must be 1 or more: the new backup is always kept.")
        try:
            written = backup_write(folder=folder or Path(settings.BACKUP_DIR), keep=keep)
        except BackupError as error:
            raise CommandError(f"No backup was written: {error}") from None
        self.stdout.write(f"wrote {written} ({written.stat().st_size} bytes)")
