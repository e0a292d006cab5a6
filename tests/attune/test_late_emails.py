"""A notification's e-mail whose task was lost (its worker killed, its queue gone with a
Redis restart) is sent by the sweep once it is late, once, and not when it is stale."""

import socket
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from attune.delivery import EMAIL_LATE, EMAIL_STALE
from attune.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def notice(user, age: timedelta) -> Notification:
    # Created as the service would, minus its task: the task is what was lost.
    return Notification.objects.create(
        user=user, kind="revisit_agreed", url="/timeline/", created_at=timezone.now() - age
    )


def sweep() -> str:
    out = StringIO()
    call_command("send_due_reminders", stdout=out)
    return out.getvalue()


def test_the_sweep_sends_late_emails_once_and_leaves_the_rest():
    wants, quiet = UserFactory(), UserFactory(email_notifications=False)
    late = notice(wants, EMAIL_LATE + timedelta(minutes=1))
    fresh = notice(wants, timedelta(minutes=1))  # its own task still has its chance
    stale = notice(wants, EMAIL_STALE + timedelta(minutes=1))
    unwanted = notice(quiet, EMAIL_LATE + timedelta(minutes=1))

    assert "e-mailed 1 late notification(s)" in sweep()
    assert [m.to for m in mail.outbox] == [[wants.email]]
    assert "something for you" in mail.outbox[0].subject
    for row in (late, fresh, stale, unwanted):
        row.refresh_from_db()
    assert late.emailed_at is not None
    assert fresh.emailed_at is stale.emailed_at is unwanted.emailed_at is None

    # A second sweep, or the lost task turning up after all, sends nothing more.
    from attune.delivery import notification_email_send

    assert "late notification" not in sweep()
    assert notification_email_send(notification_id=late.pk, site_url="") is False
    assert len(mail.outbox) == 1


def test_a_mail_server_that_cannot_be_reached_loses_nothing(settings):
    with socket.socket() as s:  # a port with nobody listening: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_TIMEOUT = 5
    late = notice(UserFactory(), EMAIL_LATE + timedelta(minutes=1))

    assert "late notification" not in sweep()  # the sweep carries on; nothing marked sent
    late.refresh_from_db()
    assert late.emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "e-mailed 1 late notification(s)" in sweep()
    assert len(mail.outbox) == 1
