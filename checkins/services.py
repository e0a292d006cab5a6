"""Writes for check-ins and answers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from attune.models import User
from attune.selectors import couple_for_user
from checkins.models import Answer, CheckIn
from checkins.selectors import ANSWER_WINDOW


def checkin_record(*, author: User, data: dict) -> CheckIn:
    """Post a check-in to the author's active couple. `data` is a validated CheckInForm's
    cleaned data; the author and couple come from the session, never from the request body."""
    couple_view = couple_for_user(user=author)
    if couple_view is None:
        raise ValidationError("Link with your partner to start checking in.", code="unlinked")
    checkin = CheckIn(author=author, couple=couple_view.couple, **data)
    # Author and couple come from the session, and the database checks the constraints
    # again on insert; validating them here would cost a query each.
    checkin.full_clean(exclude=["author", "couple"], validate_constraints=False)
    with transaction.atomic():
        checkin.save()
    return checkin


def checkin_delete(*, actor: User, checkin: CheckIn) -> None:
    """Delete a check-in; only its author may."""
    if checkin.author_id != actor.pk:
        raise PermissionDenied("Only the author can delete a check-in.")
    checkin.delete()


def answer_give(*, author: User, checkin: CheckIn, kind: str) -> Answer:
    """A partner's one-tap answer to a check-in of the other: at most one per person."""
    couple_view = couple_for_user(user=author)
    if checkin.author_id == author.pk:
        raise ValidationError("You can answer your partner's check-ins, not your own.")
    if couple_view is None or couple_view.couple.pk != checkin.couple_id:
        raise ValidationError("You can answer check-ins only while you are linked.")
    if checkin.occurred_at < timezone.now() - ANSWER_WINDOW:
        raise ValidationError("This check-in is more than a day old; check in yourself instead.")
    answer = Answer(checkin=checkin, author=author, kind=kind)
    answer.full_clean(exclude=["checkin", "author"], validate_constraints=False)
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:
        raise ValidationError("You have already answered this check-in.") from None
    return answer
