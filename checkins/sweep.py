"""The reminder sweep: what `send_due_reminders` and the reminder task run. Apart from
services, which enqueue the task that calls this, so imports run one way
(services -> tasks -> sweep -> models)."""

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from attune.models import Notification
from attune.services import notification_create
from checkins.models import Reminder, Revisit


def reminders_send_due(
    *, now: datetime | None = None, only: int | None = None, batch: int = 100
) -> int:
    """Send every due, unsent, current reminder; return how many were sent.

    Exactly once: each batch locks its rows (SKIP LOCKED, so two workers share the work
    instead of doubling it), writes each recipient's in-app notification and the sent mark
    in the same transaction, and commits. A worker killed mid-batch commits nothing, its
    locks vanish with its connection, and the next sweep sends those reminders. The e-mail
    goes out through the notification's own task after the commit (see
    attune.delivery.notification_email_send for what an e-mail can promise)."""
    sent = 0
    while True:
        moment = now or timezone.now()
        with transaction.atomic():
            due = (
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("revisit", "user")
                .filter(sent_at__isnull=True, due_at__lte=moment)
                .order_by("due_at", "pk")
            )
            if only is not None:
                due = due.filter(pk=only)
            rows = list(due[:batch])
            for reminder in rows:
                revisit = reminder.revisit
                stale = (
                    revisit.status != Revisit.Status.AGREED or reminder.sequence != revisit.sequence
                )
                if stale:
                    reminder.delete()  # cancelled or moved since: never delivered
                    continue
                reminder.sent_at = moment
                reminder.save(update_fields=["sent_at"])
                notification_create(
                    user=reminder.user,
                    kind=Notification.Kind.REMINDER,
                    url=reverse("checkins:revisit", args=[revisit.pk]),
                )
                sent += 1
        if len(rows) < batch or only is not None:
            return sent
