"""What the worker delivers: a notification's e-mail. Apart from services, which enqueue the
tasks that call this, so imports run one way (services -> tasks -> delivery -> models)."""

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from attune.models import Notification, User

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
