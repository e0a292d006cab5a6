"""The push leaves from the real worker process (django-tasks' db_worker) on PostgreSQL,
once, however often the worker runs."""

import subprocess
from pathlib import Path

import pytest
from django.db import connection

from attune.models import Notification
from attune.services import notification_create, push_subscription_save
from tests.attune.test_worker import run_worker as run_attune_worker
from tests.push.service import PushService, vapid_pair

ROOT = Path(__file__).resolve().parents[2]
PUBLIC, PRIVATE = vapid_pair()


def run_worker() -> subprocess.CompletedProcess[str]:
    return run_attune_worker(
        VAPID_PUBLIC_KEY=PUBLIC, VAPID_PRIVATE_KEY=PRIVATE, PUSH_ALLOW_HTTP="true"
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_pushes_a_reminder_once(partner_a, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker runs in its own process, which needs a shared database server")
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = PUBLIC, PRIVATE
    settings.PUSH_ALLOW_HTTP = True
    partner_a.email_notifications = False
    partner_a.quiet_hours_start = partner_a.quiet_hours_end  # none: the push goes now
    partner_a.save()
    with PushService(PUBLIC) as push:
        phone = push.phone("alex")
        push_subscription_save(user=partner_a, info=phone.subscription(), user_agent="")
        notice = notification_create(user=partner_a, kind="reminder", url="/timeline/")
        first = run_worker()
        assert first.returncode == 0, first.stderr
        # The same task again (a retry, a second worker that picked it up): nothing more.
        from attune.tasks import notification_push

        notification_push.enqueue(notice.pk)
        second = run_worker()
        assert second.returncode == 0, second.stderr
        assert push.refused == []
        assert [d.payload["body"] for d in push.deliveries] == ["Attune has a reminder for you."]
    assert Notification.objects.get(pk=notice.pk).pushed_at is not None
