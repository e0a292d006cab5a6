from django.conf import settings
from django_tasks import task

from attune.delivery import (
    notification_email_send,
    notification_push_send,
    partner_checkin_push_send,
)


@task()
def notification_email(notification_id: int) -> None:
    """Worker side of a notification: e-mail it if still unsent (safe to run twice)."""
    notification_email_send(notification_id=notification_id, site_url=settings.SITE_URL)


@task()
def notification_push(notification_id: int) -> None:
    """Worker side of a notification's push: to each of the user's devices, once."""
    notification_push_send(notification_id=notification_id)


@task()
def partner_checkin_push(user_id: int, url: str) -> None:
    partner_checkin_push_send(user_id=user_id, url=url)
