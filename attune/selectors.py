"""Reads for the couple-account domain, always from the point of view of one user."""

from dataclasses import dataclass

from attune.models import Couple, Membership, User

_MEMO = "_attune_memberships"


@dataclass(frozen=True)
class CoupleView:
    """What a partner knows of their active couple: the couple and who the partner is."""

    couple: Couple
    partner: User | None


@dataclass(frozen=True)
class Memberships:
    """A user's place in couples: the active one (if any) and the ids of ended ones."""

    active: CoupleView | None
    ended_couple_ids: tuple[int, ...]


def memberships_of(*, user: User) -> Memberships:
    """The user's couples, in one query, remembered on the user object for the request."""
    if not user.is_authenticated:
        return Memberships(active=None, ended_couple_ids=())
    cached = user.__dict__.get(_MEMO)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(
            couple__in=Membership.objects.filter(user=user).values("couple_id")
        ).select_related("couple", "user")
    )
    own = [m for m in rows if m.user_id == user.pk]
    active = next((m for m in own if m.ended_at is None), None)
    view = None
    if active is not None:
        partner = next(
            (
                m.user
                for m in rows
                if m.couple_id == active.couple_id and m.user_id != user.pk and m.ended_at is None
            ),
            None,
        )
        view = CoupleView(couple=active.couple, partner=partner)
    result = Memberships(
        active=view, ended_couple_ids=tuple(m.couple_id for m in own if m.ended_at is not None)
    )
    user.__dict__[_MEMO] = result
    return result


def memberships_forget(*users: User) -> None:
    """Drop the remembered memberships after a user's couples change."""
    for user in users:
        user.__dict__.pop(_MEMO, None)


def couple_for_user(*, user: User) -> CoupleView | None:
    """The viewer's active couple and partner, or None when they are not linked."""
    return memberships_of(user=user).active
