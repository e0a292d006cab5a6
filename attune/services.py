"""Writes for the couple-account domain."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from attune.models import Couple, Membership, User
from attune.selectors import memberships_forget


def couple_link(*, first: User, second: User) -> Couple:
    """Link two partners into a new couple; refuse if either is already in one."""
    if first.pk == second.pk:
        raise ValidationError("You cannot link with yourself.", code="self_link")
    if first.is_therapist or second.is_therapist:
        raise ValidationError("Therapist accounts cannot link as partners.", code="therapist")
    try:
        with transaction.atomic():
            couple = Couple.objects.create()
            Membership.objects.create(couple=couple, user=first, seat=1)
            Membership.objects.create(couple=couple, user=second, seat=2)
        memberships_forget(first, second)
    except IntegrityError:
        # The partial unique index on active memberships decides races between requests.
        raise ValidationError(
            "One of you is already linked with a partner.", code="already_linked"
        ) from None
    return couple
