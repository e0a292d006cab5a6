"""`manage.py tasks_worker`: django-tasks-db's `db_worker` (same options) that waits out a
database outage instead of exiting. db_worker stops at the first error that is not a locked
SQLite file; a database restarting or a network blip would then end background work until
someone restarted the process. A task that was running when the database went away stays
RUNNING (django-tasks-db runs a task at most once); the sweep covers what such a task was
for (reminders, e-mails)."""

import logging
import time

from django.db import InterfaceError, OperationalError, connection
from django_tasks_db.management.commands import db_worker

log = logging.getLogger(__name__)
WAIT_SECONDS = 5


class Command(db_worker.Command):
    help = "Run django-tasks-db's worker, waiting out database outages."

    def handle(self, *args, **options) -> None:
        while True:
            try:
                return super().handle(*args, **options)
            except (OperationalError, InterfaceError) as error:
                log.warning("database unavailable, worker waits %s s: %s", WAIT_SECONDS, error)
                connection.close()
                time.sleep(WAIT_SECONDS)
