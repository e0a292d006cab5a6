"""Bulk data for tests and benchmarks that need many rows fast (no password hashing)."""

from datetime import timedelta

from django.utils import timezone

from attune.models import Couple, Membership, User
from checkins.models import Reminder, Revisit


def due_reminders(count: int, *, prefix: str = "r") -> list[User]:
    """`count` due reminders: count/2 couples, each with an agreed revisit and one reminder
    per partner, due a second ago. Returns the users."""
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@example.com", display_name=f"R{i}", password="!")
        for i in range(count)
    )
    couples = Couple.objects.bulk_create(Couple() for _ in range(count // 2))
    Membership.objects.bulk_create(
        Membership(couple=couples[i // 2], user=user, seat=1 + i % 2)
        for i, user in enumerate(users)
    )
    revisits = Revisit.objects.bulk_create(
        Revisit(couple=c, proposed_by=users[2 * i], scheduled_for=now, status="agreed")
        for i, c in enumerate(couples)
    )
    Reminder.objects.bulk_create(
        Reminder(
            revisit=revisits[i // 2],
            user=user,
            kind="revisit",
            sequence=0,
            due_at=now - timedelta(seconds=1),
        )
        for i, user in enumerate(users)
    )
    return users


def race(*calls) -> list[str]:
    """Run each call in its own thread (own database connection), all released at once;
    return "ok" or the refusal's message, or the repr of any other error, per call."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        except Exception as error:  # a deadlock or a 500 in the making: the test must see it
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
