"""Reads for the couple-account domain, always from the point of view of one user."""

import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from attune.models import (
    AccessLog,
    Couple,
    Invitation,
    Membership,
    Notification,
    TherapistAccess,
    User,
)
from checkins.models import Answer, CheckIn, Flag, Revisit

_MEMO = "_attune_memberships"


@dataclass(frozen=True)
class CoupleView:
    """What a partner knows of their active couple: the couple and who the partner is."""

    couple: Couple
    partner: User | None
    # Whether the viewer keeps their new check-ins to themselves for now; only they see it.
    sharing_paused: bool = False


@dataclass(frozen=True)
class Memberships:
    """A user's place in couples: the active one (if any) and the ids of ended ones."""

    active: CoupleView | None
    ended_couple_ids: tuple[int, ...]


def memberships_of(*, user: User) -> Memberships:
    """The user's couples, in one query, remembered on the user object for the request."""
    if not user.is_authenticated:
        return Memberships(active=None, ended_couple_ids=())
    cached = getattr(user, _MEMO, None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(
            couple_id__in=Membership.objects.filter(user_id=user.pk).values("couple_id")
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
        view = CoupleView(
            couple=active.couple,
            partner=partner,
            sharing_paused=active.sharing_paused_at is not None,
        )
    result = Memberships(
        active=view, ended_couple_ids=tuple(m.couple_id for m in own if m.ended_at is not None)
    )
    setattr(user, _MEMO, result)
    return result


def memberships_forget(*users: User) -> None:
    """Drop the remembered memberships after a user's couples change."""
    for user in users:
        if hasattr(user, _MEMO):
            delattr(user, _MEMO)


def couple_for_user(*, user: User) -> CoupleView | None:
    """The viewer's active couple and partner, or None when they are not linked."""
    return memberships_of(user=user).active


def invitations_pending(*, user: User) -> list[Invitation]:
    """The user's own invitations that can still be accepted."""
    return list(
        Invitation.objects.filter(
            inviter=user,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).order_by("-created_at")
    )


def notifications_for(*, user: User, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("-created_at")[:limit])


def notifications_unread_count(*, user: User) -> int:
    """The bell's count."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# Rows read from the database at a time while an export streams: memory stays flat however
# long the history (10,000 check-ins is two years of a busy couple).
EXPORT_CHUNK = 500


def export_sections(*, user: User) -> dict:
    """Everything the user wrote, as plain data in their time zone with ISO timestamps: the
    profile, then each section as rows read lazily, a chunk at a time, so an export of any
    length streams. Only their own check-ins (with their notes) and answers: never a
    partner's entries."""
    tz = zoneinfo.ZoneInfo(user.time_zone)

    def when(value):
        return value.astimezone(tz).isoformat() if value else None

    return {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "quiet_hours_start": user.quiet_hours_start.isoformat(timespec="minutes"),
            "quiet_hours_end": user.quiet_hours_end.isoformat(timespec="minutes"),
            "email_notifications": user.email_notifications,
            "date_joined": when(user.date_joined),
        },
        "couples": (
            {
                "couple": m.couple_id,
                "joined_at": when(m.joined_at),
                "left_at": when(m.ended_at),
                "sharing_paused_at": when(m.sharing_paused_at),
            }
            for m in Membership.objects.filter(user=user).order_by("joined_at")
        ),
        "checkins": (
            {
                "occurred_at": when(c.occurred_at),
                "state": c.state,
                "intensity": c.intensity,
                "need": c.need,
                "body_cues": c.body_cues,
                "stressors": c.stressors,
                "note": c.note,
                "note_visibility": c.note_visibility,
                "kept_back_while_sharing_paused": c.withheld,
                "couple": c.couple_id,
            }
            for c in CheckIn.objects.filter(author=user)
            .order_by("occurred_at", "id")
            .iterator(chunk_size=EXPORT_CHUNK)
        ),
        "answers_given": (
            {
                "answered_at": when(a.created_at),
                "answer": a.get_kind_display(),
                "checkin": a.checkin_id,
            }
            for a in Answer.objects.filter(author=user)
            .order_by("created_at", "id")
            .iterator(chunk_size=EXPORT_CHUNK)
        ),
        "invitations_sent": (
            {
                "channel": i.channel,
                "email": i.email,
                "created_at": when(i.created_at),
                "accepted_at": when(i.accepted_at),
                "revoked_at": when(i.revoked_at),
            }
            for i in Invitation.objects.filter(inviter=user).order_by("created_at")
        ),
    }


def export_rows(*, user: User) -> dict:
    """`export_sections` read in full: the same data as lists."""
    return {
        name: rows if isinstance(rows, dict) else list(rows)
        for name, rows in export_sections(user=user).items()
    }


def _live(queryset):
    return queryset.filter(
        ended_at__isnull=True, started_at__isnull=False, expires_at__gt=timezone.now()
    )


# The views of a couple's data that count as having looked (the dashboard's own counts do
# not: they are what says it is time to look).
LOOKED = ("timeline", "summary")


def _count(queryset) -> Coalesce:
    """The number of rows of `queryset` (filtered on an outer access), as a subquery."""
    counted = queryset.order_by().values("couple_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def therapist_couples(*, therapist: User) -> list[TherapistAccess]:
    """The couples a therapist may see right now, those needing attention first: flags
    opened and revisits missed since the therapist last looked (or since access started),
    as `new_flags`, `missed` and `last_looked`, in one query."""
    if not therapist.is_authenticated or not therapist.is_therapist:
        return []
    looked = AccessLog.objects.filter(
        therapist=therapist, couple_id=OuterRef("couple_id"), what__in=LOOKED
    ).order_by("-at")
    since = Coalesce(OuterRef("last_looked"), OuterRef("started_at"))
    return list(
        _live(TherapistAccess.objects.filter(therapist=therapist))
        .annotate(last_looked=Subquery(looked.values("at")[:1]))
        .annotate(
            new_flags=_count(
                Flag.objects.filter(couple_id=OuterRef("couple_id"), opened_at__gt=since)
            ),
            missed=_count(
                Revisit.objects.filter(
                    couple_id=OuterRef("couple_id"),
                    status=Revisit.Status.MISSED,
                    scheduled_for__gt=since,
                )
            ),
        )
        .annotate(attention=F("new_flags") + F("missed"))
        .select_related("couple")
        .prefetch_related("couple__memberships__user")
        .order_by("-attention", F("last_looked").asc(nulls_first=True), "expires_at", "pk")
    )


def therapist_access_for(*, therapist: User, pk: int) -> TherapistAccess | None:
    """One live access of this therapist, or None (then the view answers 404)."""
    if not therapist.is_authenticated or not therapist.is_therapist:
        return None
    return _live(TherapistAccess.objects.filter(therapist=therapist, pk=pk)).first()


def live_access_couple_ids(*, therapist: User) -> list[int]:
    return list(
        _live(TherapistAccess.objects.filter(therapist=therapist)).values_list(
            "couple_id", flat=True
        )
    )


def therapist_accesses_of_couple(*, partner: User) -> list[TherapistAccess]:
    """The partner's couple's therapist accesses, newest first, with consents and events."""
    couple_view = couple_for_user(user=partner)
    if couple_view is None:
        return []
    return list(
        TherapistAccess.objects.filter(couple=couple_view.couple)
        .select_related("therapist__therapist_profile")
        .prefetch_related("consents", "events__actor")
        .order_by("-created_at")
    )


def access_log_for(*, partner: User, limit: int = 100) -> list[AccessLog]:
    couple_view = couple_for_user(user=partner)
    if couple_view is None:
        return []
    return list(AccessLog.objects.filter(couple=couple_view.couple)[:limit])
