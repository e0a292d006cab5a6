"""What the worker delivers: a notification's e-mail and its pushes. Apart from services,
which enqueue the tasks that call this, so imports run one way
(services -> tasks -> delivery -> models)."""

import json
import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pywebpush import WebPushException, webpush

from attune.models import Notification, PushSubscription, User

log = logging.getLogger(__name__)

# What a discreet e-mail says on the outside, for a shared inbox or a screen others can see:
# no "Attune" in the sender's name or the subject.
DISCREET_SENDER_NAME = "Reminders"
DISCREET_SUBJECT = "A reminder"


def discreet_sender() -> str:
    """DEFAULT_FROM_EMAIL's address under a name that says nothing."""
    return formataddr((DISCREET_SENDER_NAME, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def envelope_for(user: User | None, subject: str) -> tuple[str, str | None]:
    """The subject and sender (None: the default) of an e-mail to `user`."""
    if user is not None and user.discreet_email:
        return DISCREET_SUBJECT, discreet_sender()
    return subject, None


def notification_email_send(*, notification_id: int, site_url: str) -> bool:
    """E-mail one notification, once. The row is locked and marked in the same transaction
    as the send; a crash after the SMTP server accepted the message and before the commit
    would send it again on retry (an e-mail cannot be taken back), never lose it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.user.email_notifications:
            return False
        subject, sender = envelope_for(notification.user, "Attune has something for you")
        send_mail(
            subject=subject,
            message=render_to_string(
                "attune/email/notification.txt",
                {"user": notification.user, "url": f"{site_url}{reverse('notifications')}"},
            ),
            from_email=sender,
            recipient_list=[notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


# A notification's e-mail is a task of its own, and a task can be lost: a worker killed
# mid-task leaves a django-tasks-db task RUNNING for good, and RQ's queue lives in a Redis
# that keeps nothing on disk. So the sweep also sends what a task should have sent by now:
# unsent e-mails that were wanted, at least EMAIL_LATE old (their task has had its chance)
# and at most EMAIL_STALE old (news of a moment long past helps no one).
EMAIL_LATE = timedelta(minutes=5)
EMAIL_STALE = timedelta(days=1)


# A mail server that refused or could not be reached is left alone for a while, twice as
# long after each failure in a row (1, 2, 4 ... 30 minutes), in the shared cache so every
# node's sweep waits alike; the first e-mail that goes through ends the pause.
MAIL_PAUSE_FIRST = timedelta(minutes=1)
MAIL_PAUSE_MOST = timedelta(minutes=30)
MAIL_FAILURES_KEY = "delivery:mail-failures"
MAIL_RESUME_KEY = "delivery:mail-resume-at"


def notification_emails_send_late(
    *, site_url: str, now: datetime | None = None, batch: int = 100
) -> int:
    """E-mail the notifications whose task should have by now; return how many went out.
    Each goes through `notification_email_send`, so a task that runs after all, or another
    sweep, finds it marked and sends nothing. A mail server that refuses or cannot be
    reached stops this round and pauses the next ones (MAIL_PAUSE_*)."""
    moment = now or timezone.now()
    if cache.get(MAIL_RESUME_KEY, 0) > moment.timestamp():
        return 0
    late = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            user__email_notifications=True,
            created_at__lte=moment - EMAIL_LATE,
            created_at__gt=moment - EMAIL_STALE,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(late[:batch]):
        try:
            sent += notification_email_send(notification_id=pk, site_url=site_url)
        except (smtplib.SMTPException, OSError) as error:
            failures = cache.get(MAIL_FAILURES_KEY, 0) + 1
            pause = min(MAIL_PAUSE_FIRST * 2 ** (failures - 1), MAIL_PAUSE_MOST)
            cache.set(MAIL_FAILURES_KEY, failures, timeout=86400)
            cache.set(MAIL_RESUME_KEY, (moment + pause).timestamp(), timeout=86400)
            log.warning("mail server unavailable; late e-mails wait %s: %s", pause, error)
            break
    else:
        cache.delete_many([MAIL_FAILURES_KEY, MAIL_RESUME_KEY])
    return sent


# What a push says, for a lock screen anyone can read: that there is something, never what.
# No state, no note, no name; the page it opens says the rest after the person signs in.
PUSH_TITLE = "Attune"
PUSH_BODY = {
    Notification.Kind.REMINDER: "Attune has a reminder for you.",
}
PUSH_BODY_OTHERWISE = "Attune has something new for you."
DISCREET_PUSH_TITLE = "Reminder"
DISCREET_PUSH_BODY = "You have a reminder."
# Push services answer these when a device's subscription is gone for good.
PUSH_GONE = {404, 410}


def push_payload(*, user: User, kind: str, url: str) -> dict:
    if user.discreet_email:
        title, body = DISCREET_PUSH_TITLE, DISCREET_PUSH_BODY
    else:
        title, body = PUSH_TITLE, PUSH_BODY.get(kind, PUSH_BODY_OTHERWISE)
    # One tag for everything, so a phone shows one notice, not a stack to count.
    return {"title": title, "body": body, "url": url or reverse("notifications"), "tag": "reminder"}


def push_enabled() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def push_to_devices(*, user: User, payload: dict) -> int:
    """Send `payload` to each of the user's devices; forget a device its push service says
    is gone. Returns how many devices accepted it."""
    accepted = 0
    for subscription in PushSubscription.objects.filter(user=user):
        try:
            webpush(
                subscription_info=subscription.subscription_info(),
                data=json.dumps(payload),
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=settings.PUSH_TTL_SECONDS,
                timeout=settings.PUSH_TIMEOUT_SECONDS,
                content_encoding="aes128gcm",
            )
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in PUSH_GONE:
                subscription.delete()
                continue
            log.warning("push to subscription %s failed: %s", subscription.pk, status or error)
            continue
        except OSError as error:  # the push service unreachable: its other devices still go
            log.warning("push to subscription %s failed: %s", subscription.pk, error)
            continue
        accepted += 1
    return accepted


def notification_push_send(*, notification_id: int) -> bool:
    """Push one notification to its user's devices, once: the row is locked and marked in
    the same transaction as the sends, like the e-mail (a crash between a push service
    accepting it and the commit pushes again on retry, never loses it)."""
    if not push_enabled():
        return False
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, pushed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        payload = push_payload(user=notification.user, kind=notification.kind, url=notification.url)
        push_to_devices(user=notification.user, payload=payload)
        notification.pushed_at = timezone.now()
        notification.save(update_fields=["pushed_at"])
    return True


def partner_checkin_push_send(*, user_id: int, url: str) -> int:
    """A partner checked in, for a user who asked to hear of it: no state, no name."""
    if not push_enabled():
        return 0
    user = User.objects.filter(pk=user_id, push_partner_checkins=True).first()
    if user is None:
        return 0
    return push_to_devices(user=user, payload=push_payload(user=user, kind="checkin", url=url))
