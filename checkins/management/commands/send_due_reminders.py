"""The sweep: send every due reminder, and every notification e-mail, whose task was lost (a
worker killed mid-task leaves its task RUNNING forever, and nobody retries it). `make run`
and docker compose keep one running with --loop; it is safe to run several at once."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from attune.delivery import notification_emails_send_late
from attune.services import therapist_access_expire
from checkins.services import revisits_mark_missed
from checkins.sweep import reminders_send_due

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send due reminders that have not been sent. --loop N repeats every N seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")
        parser.add_argument("--batch", type=int, default=100, help="reminders per transaction")

    def handle(self, *args, loop: int, batch: int, **options) -> None:
        while True:
            try:
                self.sweep(batch=batch, report=not loop)
            except (OperationalError, InterfaceError) as error:
                if not loop:
                    raise
                # The database is restarting or out of reach: nothing was half-done (each
                # batch is one transaction), so wait for the next round on a new connection.
                log.warning("database unavailable, sweeping again in %s s: %s", loop, error)
                close_old_connections()
                connection.close()
            if not loop:
                return
            time.sleep(loop)

    def sweep(self, *, batch: int, report: bool) -> None:
        sent = reminders_send_due(batch=batch)
        revisits_mark_missed()
        therapist_access_expire()
        late = notification_emails_send_late(site_url=settings.SITE_URL)
        if sent or report:
            self.stdout.write(f"sent {sent} reminder(s)")
        if late:
            self.stdout.write(f"e-mailed {late} late notification(s)")
