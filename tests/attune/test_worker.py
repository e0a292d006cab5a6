"""The worker is a real process: django-tasks' db_worker, against the test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from attune.models import Notification
from attune.services import notification_create
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def run_worker(**settings: str) -> subprocess.CompletedProcess[str]:
    """One batch of django-tasks' db_worker in its own process, on the test database, with
    any more settings given as environment variables."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DATABASE_URL=url, TASKS_BACKEND="database", EMAIL_HOST="", **settings)
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_emails_a_notification_once():
    if connection.vendor != "postgresql":
        pytest.skip("the worker runs in its own process, which needs a shared database server")
    user = UserFactory(email="worker@example.com")
    notice = notification_create(user=user, kind="partner_linked", url="/timeline/")
    assert DBTaskResult.objects.count() == 1  # enqueued when the transaction committed

    first = run_worker()
    assert first.returncode == 0, first.stderr
    assert "Subject: Attune has something for you" in first.stdout
    assert "To: worker@example.com" in first.stdout
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"

    # The same task run again (a retry, a second worker) sends nothing more.
    from attune.tasks import notification_email

    notification_email.enqueue(notice.pk)
    second = run_worker()
    assert second.returncode == 0, second.stderr
    assert "Subject:" not in second.stdout
    assert Notification.objects.get().emailed_at == notice.emailed_at
