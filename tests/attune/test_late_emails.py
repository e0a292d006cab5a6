"""A notification's e-mail whose task was lost (its worker killed, its queue gone with a
Redis restart) is sent by the sweep once it is late, once, and not when it is stale."""

import smtplib
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from attune.delivery import EMAIL_LATE, EMAIL_STALE
from attune.models import Notification
from tests.factories import UserFactory
from tests.processes import free_port

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


class FlakyServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that refuses the first `refuse` messages
    with a temporary error, as a full or restarting server does, then accepts."""

    def __init__(self, refuse: int):
        self.refuse = refuse
        self.tries = 0
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.tries += 1
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.received.append(envelope.content.decode())
        return "250 OK"


def mail_to(settings, port: int) -> None:
    """Django's SMTP backend, to a server on 127.0.0.1:`port`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    port = free_port()
    handler = FlakyServer(refuse=2)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    mail_to(settings, port)
    yield handler
    controller.stop()


@pytest.fixture
def mail_server_down(settings):
    mail_to(settings, free_port())  # nobody listens there: connection refused


def test_a_refusing_mail_server_delays_an_email_but_never_loses_or_doubles_it(smtp):
    from django.core.cache import cache

    from attune.delivery import notification_emails_send_late
    from attune.services import notification_create
    from attune.tasks import notification_email

    cache.clear()
    user = UserFactory()
    made = timezone.now() - EMAIL_LATE - timedelta(minutes=1)
    notice = notification_create(user=user, kind="revisit_agreed", url="/timeline/")
    Notification.objects.filter(pk=notice.pk).update(created_at=made)
    # The notification's own task meets the refusal: the bell has it all the same.
    with pytest.raises(smtplib.SMTPDataError):
        notification_email.call(notice.pk)
    assert Notification.objects.filter(user=user, read_at=None).count() == 1

    now = timezone.now()
    assert notification_emails_send_late(site_url="", now=now) == 0  # refused again
    # Paused for a minute: half a minute on, the server is not even asked.
    assert notification_emails_send_late(site_url="", now=now + timedelta(seconds=30)) == 0
    assert smtp.tries == 2
    # After the pause the server accepts: sent, once.
    assert notification_emails_send_late(site_url="", now=now + timedelta(seconds=61)) == 1
    assert notification_emails_send_late(site_url="", now=now + timedelta(minutes=5)) == 0
    assert notification_email.call(notice.pk) is None  # the task, run late, sends nothing
    assert len(smtp.received) == 1
    assert user.email in smtp.received[0]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_the_pause_doubles_while_the_server_stays_down(mail_server_down):
    from django.core.cache import cache

    from attune.delivery import MAIL_RESUME_KEY, notification_emails_send_late

    cache.clear()
    late = notice(UserFactory(), EMAIL_LATE + timedelta(minutes=1))
    now = timezone.now()
    pauses = []
    for _ in range(7):
        assert notification_emails_send_late(site_url="", now=now) == 0
        resume = cache.get(MAIL_RESUME_KEY)
        pauses.append(round(resume - now.timestamp()))
        now = now.fromtimestamp(resume, tz=now.tzinfo) + timedelta(seconds=1)
    assert pauses == [60, 120, 240, 480, 960, 1800, 1800]
    late.refresh_from_db()
    assert late.emailed_at is None  # waiting, not lost


def test_an_invitation_that_cannot_be_mailed_is_not_made(client, partner_a, mail_server_down):
    """An invitation's link is a secret kept only as a hash, so it cannot be sent again
    later: when the mail server cannot take it, nothing is saved and the inviter is told
    next to the address."""
    from django.urls import reverse

    from attune.models import Invitation

    solo = UserFactory()
    client.force_login(solo)
    response = client.post(reverse("invite_email"), {"email": "sam@example.com"})
    assert response.status_code == 200
    assert "could not be sent just now, so nothing was saved" in response.content.decode()
    assert response.context["email_form"].errors["email"]
    assert not Invitation.objects.exists()


def test_a_therapist_invitation_that_cannot_be_mailed_is_not_made(
    client, partner_a, partner_b, mail_server_down
):
    from django.urls import reverse

    from attune.models import TherapistAccess
    from tests.attune.test_linking import reauthenticate

    reauthenticate(client, partner_a)
    response = client.post(
        reverse("therapist_invite"), {"email": "dr@example.com", "duration_days": 90}
    )
    assert response.status_code == 200
    assert "could not be sent just now, so nothing was saved" in response.content.decode()
    assert not TherapistAccess.objects.exists()
    assert not Notification.objects.filter(kind="therapist_invited").exists()
