"""What the worker delivers: a notification's e-mail. Apart from services, which enqueue the
tasks that call this, so imports run one way (services -> tasks -> delivery -> models)."""

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from attune.models import Notification


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
        send_mail(
            subject="Attune has something for you",
            message=render_to_string(
                "attune/email/notification.txt",
                {"user": notification.user, "url": f"{site_url}{reverse('notifications')}"},
            ),
            from_email=None,
            recipient_list=[notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
