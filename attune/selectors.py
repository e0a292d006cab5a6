"""Reads for the couple-account domain, always from the point of view of one user."""

from dataclasses import dataclass

from attune.models import Couple, Membership, User


@dataclass(frozen=True)
class CoupleView:
    """What a partner knows of their active couple: the couple and who the partner is."""

    couple: Couple
    partner: User | None


def couple_for_user(*, user: User) -> CoupleView | None:
    """The viewer's active couple and partner, or None when they are not linked."""
    if not user.is_authenticated:
        return None
    memberships = list(
        Membership.objects.filter(
            couple__memberships__user=user,
            couple__memberships__ended_at__isnull=True,
            ended_at__isnull=True,
        ).select_related("couple", "user")
    )
    if not memberships:
        return None
    partner = next((m.user for m in memberships if m.user_id != user.pk), None)
    return CoupleView(couple=memberships[0].couple, partner=partner)
