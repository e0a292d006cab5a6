from django_tasks import task

from checkins.sweep import reminders_send_due


@task()
def reminder_due(reminder_id: int) -> None:
    """A wake-up call at a reminder's due time. The row decides: a reminder already sent,
    moved or cancelled is not sent again (safe to run twice, or never: the sweep covers)."""
    reminders_send_due(only=reminder_id)
