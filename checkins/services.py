"""Writes for check-ins, answers, mismatch flags, revisits and reminders."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from attune.delivery import push_enabled
from attune.models import Couple, Notification, User
from attune.selectors import couple_for_user
from attune.services import notification_create, push_later
from attune.tasks import partner_checkin_push
from checkins.mismatch import Reading, classify
from checkins.models import Answer, CheckIn, Flag, Reminder, Revisit, RevisitRating, State
from checkins.quiet import hold_for_quiet_hours
from checkins.selectors import ANSWER_WINDOW
from checkins.tasks import reminder_due

# The Gottmans' guidance for a break from a flooded conflict: at least about twenty minutes
# (their clinical observation; people differ, many need longer), and not more than a day, so
# the pause does not become avoidance.
REVISIT_EARLIEST = timedelta(minutes=20)
REVISIT_LATEST = timedelta(hours=24)
REVISIT_DEFAULT = timedelta(minutes=30)
NUDGE_BEFORE = timedelta(minutes=10)


@dataclass(frozen=True)
class Recorded:
    checkin: CheckIn
    flag: Flag | None  # the open flag this check-in forms or joins, if any
    again: bool = False  # the same form sent before: nothing new was saved


def checkin_record(*, author: User, data: dict) -> Recorded:
    """Post a check-in to the author's active couple and compare it, in the same
    transaction, with the partner's current check-in. `data` is a validated CheckInForm's
    cleaned data; author and couple come from the session, never from the request body."""
    couple_view = couple_for_user(user=author)
    if couple_view is None:
        raise ValidationError("Link with your partner to start checking in.", code="unlinked")
    # While the author has paused sharing, the check-in is theirs alone (selectors._visible).
    checkin = CheckIn(
        author=author, couple=couple_view.couple, withheld=couple_view.sharing_paused, **data
    )
    # Author and couple come from the session, and the database checks the constraints
    # again on insert; validating them here would cost a query each.
    checkin.full_clean(exclude=["author", "couple"], validate_constraints=False)
    try:
        with transaction.atomic():
            checkin.save()
            flag = _detect(checkin, couple_view.couple, couple_view.partner)
    except IntegrityError:
        # checkin_client_key_once: this form was sent before (a double tap, or a retry after
        # the connection dropped with the first request already saved). That one stands.
        earlier = CheckIn.objects.filter(author=author, client_key=checkin.client_key).first()
        if checkin.client_key is None or earlier is None:
            raise
        return Recorded(checkin=earlier, flag=earlier.flags.first(), again=True)
    partner = couple_view.partner
    wanted = partner is not None and partner.push_partner_checkins and not checkin.withheld
    if wanted and push_enabled():
        push_later(partner_checkin_push, partner, partner.pk, reverse("checkins:timeline"))
    return Recorded(checkin=checkin, flag=flag)


def _currents(couple: Couple, author_ids: tuple[int, int], now: datetime) -> list:
    """Each author's current check-in (their latest, no older than CHECKIN_CURRENT_HOURS),
    or None, in one query: a few hours hold a handful of check-ins each. A check-in kept
    back while its author paused sharing is no one's current state."""
    since = now - timedelta(hours=settings.CHECKIN_CURRENT_HOURS)
    rows = (
        CheckIn.objects.filter(
            couple=couple,
            author_id__in=author_ids,
            occurred_at__gte=since,
            occurred_at__lte=now,
            withheld=False,
        )
        .order_by("-occurred_at", "-pk")
        .only("author", "state", "need")
    )
    latest: dict[int, CheckIn] = {}
    for row in rows:
        latest.setdefault(row.author_id, row)
    return [latest.get(author_id) for author_id in author_ids]


def _detect(checkin: CheckIn, couple: Couple, partner: User | None) -> Flag | None:
    """Flag the pattern the two current check-ins form, or resolve open flags when both are
    regulated. Current = each partner's latest, no older than CHECKIN_CURRENT_HOURS."""
    if partner is None or checkin.withheld:
        return None
    now = timezone.now()
    mine, theirs = _currents(couple, (checkin.author_id, partner.pk), now)
    if mine is None or theirs is None:
        return None
    if mine.state == theirs.state == State.REGULATED:
        Flag.objects.filter(couple=couple, resolved_at__isnull=True).update(resolved_at=now)
        return None
    mismatch = classify(Reading(mine.state, mine.need), Reading(theirs.state, theirs.need))
    if mismatch is None:
        return None
    people = (mine.author_id, theirs.author_id)
    flag = Flag(
        couple=couple,
        pattern=mismatch.pattern.value,
        pursuer_id=people[mismatch.pursuer] if mismatch.pursuer is not None else None,
        withdrawer_id=people[mismatch.withdrawer] if mismatch.withdrawer is not None else None,
        checkin=checkin,
        opened_at=now,
    )
    try:
        with transaction.atomic():
            flag.save()
    except IntegrityError:
        # Open already (flag_one_open_per_pattern), perhaps by the partner's post in this
        # same instant: that one.
        return Flag.objects.filter(
            couple=couple, pattern=flag.pattern, resolved_at__isnull=True
        ).first()
    notification_create(
        user=partner, kind=Notification.Kind.FLAG, url=reverse("checkins:flag", args=[flag.pk])
    )
    return flag


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
    answer = Answer(checkin=checkin, couple_id=checkin.couple_id, author=author, kind=kind)
    answer.full_clean(exclude=["checkin", "couple", "author"], validate_constraints=False)
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:
        raise ValidationError("You have already answered this check-in.") from None
    return answer


# --- Revisits -----------------------------------------------------------------------------


def revisit_window(*, flag: Flag | None, now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest allowed revisit time: 20 minutes to 24 hours after the flag
    (or after now, without one), and never in the past."""
    anchor = flag.opened_at if flag else now
    return max(anchor + REVISIT_EARLIEST, now), anchor + REVISIT_LATEST


def _check_time(when: datetime, flag: Flag | None) -> None:
    earliest, latest = revisit_window(flag=flag, now=timezone.now())
    # A minute of grace: the form was filled in a moment ago.
    if when < earliest - timedelta(minutes=1):
        raise ValidationError(
            {
                "scheduled_for": "Give it at least 20 minutes: that is about how long a body "
                "needs to settle."
            }
        )
    if when > latest:
        raise ValidationError(
            {
                "scheduled_for": "Come back within 24 hours of the moment, so the pause stays a "
                "pause."
            }
        )


def _other(couple_view, user: User) -> User:
    return couple_view.partner


def _open_revisit(couple: Couple) -> Revisit | None:
    return Revisit.objects.filter(couple=couple, status__in=Revisit.OPEN).first()


def revisit_propose(*, proposer: User, when: datetime, flag: Flag | None = None) -> Revisit:
    """Propose a time to come back together. A couple has one open revisit at a time; a
    partner's proposal to an open one from the other is a counter-proposal."""
    couple_view = couple_for_user(user=proposer)
    if couple_view is None:
        raise ValidationError("Link with your partner to plan a revisit.")
    if flag is not None and flag.couple_id != couple_view.couple.pk:
        raise PermissionDenied
    _check_time(when, flag)
    with transaction.atomic():
        existing = (
            Revisit.objects.select_for_update()
            .filter(couple=couple_view.couple, status__in=Revisit.OPEN)
            .first()
        )
        if existing is not None:
            if existing.status == Revisit.Status.AGREED:
                raise ValidationError("You already have a time agreed; move that one instead.")
            existing.scheduled_for = when
            existing.proposed_by = proposer
            existing.sequence = F("sequence") + 1
            existing.updated_at = timezone.now()
            existing.save()
            existing.refresh_from_db()
            revisit = existing
        else:
            try:
                with transaction.atomic():
                    revisit = Revisit.objects.create(
                        couple=couple_view.couple,
                        flag=flag,
                        proposed_by=proposer,
                        scheduled_for=when,
                    )
            except IntegrityError:
                raise ValidationError(
                    "Your partner has just proposed a time; see theirs."
                ) from None
        notification_create(
            user=_other(couple_view, proposer),
            kind=Notification.Kind.REVISIT_PROPOSED,
            url=reverse("checkins:revisit", args=[revisit.pk]),
        )
    return revisit


def revisit_accept(*, user: User, revisit: Revisit) -> Revisit:
    """The other partner agrees to the proposed time: reminders are scheduled for both."""
    couple_view = couple_for_user(user=user)
    with transaction.atomic():
        revisit = Revisit.objects.select_for_update().get(pk=revisit.pk)
        if revisit.status == Revisit.Status.AGREED and revisit.proposed_by_id != user.pk:
            # Agreed already, by this same "yes" sent twice (a double tap, a second tab, a
            # retry after a timeout): the answer stands, and nothing is scheduled twice.
            return revisit
        if revisit.status != Revisit.Status.PROPOSED:
            raise ValidationError("This revisit is no longer waiting for an answer.")
        if revisit.proposed_by_id == user.pk:
            raise ValidationError("Your partner answers your proposal.")
        if revisit.scheduled_for <= timezone.now():
            raise ValidationError("That time has passed; propose a new one.")
        revisit.status = Revisit.Status.AGREED
        revisit.updated_at = timezone.now()
        revisit.save(update_fields=["status", "updated_at"])
        reminders_schedule(revisit=revisit)
        notification_create(
            user=_other(couple_view, user),
            kind=Notification.Kind.REVISIT_AGREED,
            url=reverse("checkins:revisit", args=[revisit.pk]),
        )
    return revisit


def revisit_decline(*, user: User, revisit: Revisit, message: str = "") -> Revisit:
    """Decline a proposed time, with an optional short message."""
    return _close(
        user,
        revisit,
        Revisit.Status.CANCELLED,
        Notification.Kind.REVISIT_DECLINED,
        message=message,
        allowed=(Revisit.Status.PROPOSED,),
    )


def revisit_cancel(*, user: User, revisit: Revisit) -> Revisit:
    """Either partner cancels a proposed or agreed revisit; the other is told."""
    return _close(
        user,
        revisit,
        Revisit.Status.CANCELLED,
        Notification.Kind.REVISIT_CANCELLED,
        allowed=Revisit.OPEN,
    )


def revisit_mark_done(*, user: User, revisit: Revisit) -> Revisit:
    """Either partner marks an agreed revisit done once its time has come."""
    if revisit.scheduled_for > timezone.now():
        raise ValidationError("Mark it done once the time has come.")
    return _close(user, revisit, Revisit.Status.DONE, None, allowed=(Revisit.Status.AGREED,))


def revisit_rate(*, user: User, revisit: Revisit, rating: int) -> RevisitRating:
    """Each partner's optional "how did it go?" (1-5) once a revisit is done; the last
    answer counts."""
    if revisit.status != Revisit.Status.DONE:
        raise ValidationError("You can say how it went once the revisit is done.")
    if rating not in range(1, 6):
        raise ValidationError("Choose from 1 to 5.")
    answer, _created = RevisitRating.objects.update_or_create(
        revisit=revisit, user=user, defaults={"rating": rating}
    )
    return answer


def revisits_mark_missed(*, now: datetime | None = None) -> int:
    """Agreed revisits a day past their time that nobody marked done count as missed."""
    moment = now or timezone.now()
    return Revisit.objects.filter(
        status=Revisit.Status.AGREED, scheduled_for__lt=moment - REVISIT_LATEST
    ).update(status=Revisit.Status.MISSED, updated_at=moment)


def _close(user, revisit, status, kind, *, message="", allowed) -> Revisit:
    couple_view = couple_for_user(user=user)
    with transaction.atomic():
        revisit = Revisit.objects.select_for_update().get(pk=revisit.pk)
        if revisit.status not in allowed:
            raise ValidationError("This revisit can't be changed any more.")
        revisit.status = status
        revisit.message = message.strip()[:200]
        revisit.updated_at = timezone.now()
        revisit.save(update_fields=["status", "message", "updated_at"])
        revisit.reminders.filter(sent_at__isnull=True).delete()
        if kind:
            notification_create(
                user=_other(couple_view, user),
                kind=kind,
                url=reverse("checkins:revisit", args=[revisit.pk]),
            )
    return revisit


def revisit_move(*, user: User, revisit: Revisit, when: datetime) -> Revisit:
    """Move an agreed revisit (reschedule, or "I need more time"): reminders follow the new
    time, the calendar event keeps its UID with a higher SEQUENCE, the partner is told."""
    couple_view = couple_for_user(user=user)
    with transaction.atomic():
        revisit = (
            Revisit.objects.select_for_update(of=("self",))
            .select_related("flag")
            .get(pk=revisit.pk)
        )
        if revisit.status != Revisit.Status.AGREED:
            raise ValidationError("Only an agreed revisit can be moved.")
        _check_time(when, revisit.flag)
        revisit.scheduled_for = when
        revisit.sequence += 1
        revisit.updated_at = timezone.now()
        revisit.save(update_fields=["scheduled_for", "sequence", "updated_at"])
        revisit.reminders.filter(sent_at__isnull=True).delete()
        reminders_schedule(revisit=revisit)
        notification_create(
            user=_other(couple_view, user),
            kind=Notification.Kind.REVISIT_MOVED,
            url=reverse("checkins:revisit", args=[revisit.pk]),
        )
    return revisit


# --- Reminders ----------------------------------------------------------------------------


def reminders_schedule(*, revisit: Revisit) -> list[Reminder]:
    """A reminder for each partner at the revisit time (held past their quiet hours), and
    a nudge ten minutes before when that is still ahead. Enqueued after commit."""
    now = timezone.now()
    people = [
        m.user for m in revisit.couple.memberships.select_related("user") if m.ended_at is None
    ]
    reminders = []
    for person in people:
        tz = zoneinfo_of(person)
        moments = [(Reminder.Kind.REVISIT, revisit.scheduled_for)]
        if revisit.scheduled_for - NUDGE_BEFORE > now:
            moments.append((Reminder.Kind.NUDGE, revisit.scheduled_for - NUDGE_BEFORE))
        for kind, when in moments:
            due = hold_for_quiet_hours(
                when, tz=tz, start=person.quiet_hours_start, end=person.quiet_hours_end
            )
            reminders.append(
                Reminder(
                    revisit=revisit,
                    user=person,
                    kind=kind,
                    sequence=revisit.sequence,
                    due_at=due,
                    held_for_quiet_hours=due != when,
                )
            )
    created = Reminder.objects.bulk_create(reminders)
    for reminder in created:
        # robust: the reminder's row is the truth; a lost wake-up is the sweep's to cover.
        transaction.on_commit(
            lambda pk=reminder.pk, due=reminder.due_at: reminder_due.using(run_after=due).enqueue(
                pk
            ),
            robust=True,
        )
    return created


def zoneinfo_of(user: User) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(user.time_zone)
