"""The sweep: send every due reminder, and every notification e-mail, whose task was lost (a
worker killed mid-task leaves its task RUNNING forever, and nobody retries it). `make run`
and docker compose keep one running with --loop; it is safe to run several at once."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from attune.delivery import notification_emails_send_late
from attune.services import therapist_access_expire
from checkins.services import revisits_mark_missed
from checkins.sweep import reminders_send_due


class Command(BaseCommand):
    help = "Send due reminders that have not been sent. --loop N repeats every N seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")
        parser.add_argument("--batch", type=int, default=100, help="reminders per transaction")

    def handle(self, *args, loop: int, batch: int, **options) -> None:
        while True:
            sent = reminders_send_due(batch=batch)
            revisits_mark_missed()
            therapist_access_expire()
            late = notification_emails_send_late(site_url=settings.SITE_URL)
            if sent or not loop:
                self.stdout.write(f"sent {sent} reminder(s)")
            if late:
                self.stdout.write(f"e-mailed {late} late notification(s)")
            if not loop:
                return
            time.sleep(loop)
