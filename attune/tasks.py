from django.conf import settings
from django_tasks import task

from attune.delivery import notification_email_send


@task()
def notification_email(notification_id: int) -> None:
    """Worker side of a notification: e-mail it if still unsent (safe to run twice)."""
    notification_email_send(notification_id=notification_id, site_url=settings.SITE_URL)
