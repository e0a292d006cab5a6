"""Exactly-once delivery of reminders with real worker processes on PostgreSQL."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from attune.models import Notification
from attune.services import couple_link
from checkins.models import Reminder, Revisit
from tests.data import due_reminders
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    # Notification e-mails are only enqueued (no worker runs them here): this is about the
    # reminders themselves.
    env.update(DATABASE_URL=url, TASKS_BACKEND="dummy", EMAIL_HOST="", LOG_LEVEL="WARNING")
    return env


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_each_sent_once(count: int) -> None:
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0
    notices = Notification.objects.filter(kind="reminder")
    assert notices.count() == count
    assert notices.values("user").distinct().count() == count  # one per person, none twice


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a shared database server (CI runs these)")


def test_two_sweeps_at_once_send_each_reminder_once():
    due_reminders(400)
    sweeps = [start("send_due_reminders", "--batch", "20") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in sweeps]
    assert [p.returncode for p in sweeps] == [0, 0], outputs
    counts = [int(out.split()[1]) for out, _err in outputs]
    assert sum(counts) == 400
    assert all(c > 0 for c in counts), counts  # both did part of the work
    assert_each_sent_once(400)


def test_a_sweep_killed_mid_batch_loses_nothing_and_doubles_nothing():
    due_reminders(3000)
    sweep = start("send_due_reminders", "--batch", "50")
    deadline = time.monotonic() + 60
    while Reminder.objects.filter(sent_at__isnull=False).count() < 200:
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait(timeout=30)
    sent_before = Reminder.objects.filter(sent_at__isnull=False).count()
    assert 0 < sent_before < 3000
    # Whatever the killed process had in its open transaction is gone with it, and its
    # row locks with its connection: the next sweep picks those reminders up.
    assert Notification.objects.filter(kind="reminder").count() == sent_before
    again = start("send_due_reminders", "--batch", "50")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert int(out.split()[1]) == 3000 - sent_before
    assert_each_sent_once(3000)


def test_the_db_worker_runs_due_reminder_tasks():
    from checkins.services import reminders_schedule

    # The worker runs on the real clock, so quiet hours are switched off (equal start and
    # end): with the default 22:00-08:00 the reminders would wait for the morning whenever
    # this runs in the evening, and the worker would rightly have nothing to do.
    no_quiet = {"quiet_hours_start": dt.time(0), "quiet_hours_end": dt.time(0)}
    a, b = UserFactory(**no_quiet), UserFactory(**no_quiet)
    couple = couple_link(first=a, second=b)
    revisit = Revisit.objects.create(
        couple=couple, proposed_by=a, scheduled_for=timezone.now(), status="agreed"
    )
    from django.db import transaction

    with transaction.atomic():
        reminders_schedule(revisit=revisit)  # tasks enqueued on commit, run_after = due
    env_worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env={**worker_env(), "TASKS_BACKEND": "database"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_worker.returncode == 0, env_worker.stderr
    assert_each_sent_once(2)
