"""Reads for the patterns over weeks and months: a couple's shared history as counts, each one
aggregate in the database (grouped by week, weekday and hour in the viewer's zone), never a
loop over check-ins.

What goes in is what both partners see: check-ins through the one rule
(`checkins.selectors.shared_checkins`), without those written while sharing was paused and
without anything from an earlier couple; notes are never read. Flags and revisits are the
couple's own rows, for the couple the viewer may see (`patterns_couple_id`).
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractIsoWeekDay, TruncWeek

from attune.models import User
from attune.selectors import live_access_couple_ids, memberships_of
from checkins.models import STRESSORS, Flag, Revisit, State
from checkins.selectors import shared_checkins


@dataclass(frozen=True)
class Period:
    """Whole days from `first` to `last` in the viewer's zone. Its ends are local midnights,
    so a week with a clock change holds 167 or 169 hours, as the people in it lived it."""

    first: date
    last: date
    tz: tzinfo

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=self.tz)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.tz)

    @property
    def weeks(self) -> list[date]:
        """The Mondays of the ISO weeks the period touches, oldest first."""
        monday = self.first - timedelta(days=self.first.weekday())
        weeks = []
        while monday <= self.last:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    @property
    def middle(self) -> datetime:
        days = (self.last - self.first).days + 1
        return datetime.combine(self.first + timedelta(days=days // 2), time.min, tzinfo=self.tz)


@dataclass
class Patterns:
    """The counts the patterns page draws. Weeks are keyed by their Monday."""

    period: Period
    partners: list[int]
    # {author: {week: {state: n}}}
    states: dict[int, dict[date, dict[str, int]]] = field(default_factory=dict)
    # {(iso weekday 1-7, hour 0-23): flags opened then}
    flag_times: dict[tuple[int, int], int] = field(default_factory=dict)
    flags_first_half: int = 0
    flags_second_half: int = 0
    # Check-ins while a flag was open (or that opened one), and calm ones (regulated, no
    # flag open), with how many of each carried each stressor tag.
    at_flags: int = 0
    calm: int = 0
    stressors_at_flags: dict[str, int] = field(default_factory=dict)
    stressors_calm: dict[str, int] = field(default_factory=dict)
    # {week: [minutes from flag to both regulated, shortest first]}, and flags still open.
    settled: dict[date, list[float]] = field(default_factory=dict)
    still_open: int = 0
    # {week: {"agreed", "kept", "moved", "missed", "answers", "rating"}}
    revisits: dict[date, dict] = field(default_factory=dict)
    # Whether the answers counted are the viewer's own (a partner) or both (a therapist).
    own_ratings: bool = False

    @property
    def flags(self) -> int:
        return sum(self.flag_times.values())

    @property
    def checkins(self) -> int:
        return sum(n for weeks in self.states.values() for s in weeks.values() for n in s.values())


def patterns_couple_id(*, viewer: User, couple_id: int | None = None) -> int | None:
    """The couple whose patterns `viewer` may see: a partner's active couple, or one of the
    couples a therapist has live access to (`couple_id`); None otherwise."""
    if viewer.is_therapist:
        if couple_id is not None and couple_id in live_access_couple_ids(therapist=viewer):
            return couple_id
        return None
    active = memberships_of(user=viewer).active
    return active.couple.pk if active is not None else None


def _week(value: datetime, tz: tzinfo) -> date:
    return value.astimezone(tz).date()


def couple_patterns(*, viewer: User, couple_id: int, period: Period, partners: list[int]):
    """The couple's patterns over `period` (`couple_id` from `patterns_couple_id`): five
    aggregate queries, whatever the length of the history."""
    tz = period.tz
    start, end = period.starts_at, period.ends_at
    result = Patterns(period=period, partners=partners)

    checkins = shared_checkins(viewer=viewer, couple_id=couple_id, start=start, end=end)
    states = (
        checkins.annotate(week=TruncWeek("occurred_at", tzinfo=tz))
        .values("week", "author_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in states:
        by_week = result.states.setdefault(row["author_id"], {})
        by_week.setdefault(_week(row["week"], tz), {})[row["state"]] = row["n"]

    flags = Flag.objects.filter(couple_id=couple_id, opened_at__gte=start, opened_at__lt=end)
    times = (
        flags.annotate(
            day=ExtractIsoWeekDay("opened_at", tzinfo=tz), hour=ExtractHour("opened_at", tzinfo=tz)
        )
        .values("day", "hour")
        .annotate(
            n=Count("pk"),
            later=Count("pk", filter=Q(opened_at__gte=period.middle)),
            open=Count("pk", filter=Q(resolved_at__isnull=True)),
        )
        .order_by()
    )
    for row in times:
        result.flag_times[(row["day"], row["hour"])] = row["n"]
        result.flags_second_half += row["later"]
        result.still_open += row["open"]
    result.flags_first_half = result.flags - result.flags_second_half

    # A check-in "at a flag" was written while one of the couple's flags was open (from its
    # opening until both were regulated again), or opened it. Open flags all close at the
    # same moment (when both are regulated), so a flag is open at a check-in's time exactly
    # when the latest one opened before it is: one step down the (couple, opened) index per
    # check-in rather than a walk over every earlier flag. Still open counts as open until
    # the period's end.
    open_until = Subquery(
        Flag.objects.filter(couple_id=OuterRef("couple_id"), opened_at__lte=OuterRef("occurred_at"))
        .order_by("-opened_at")
        .values(until=Coalesce("resolved_at", Value(end)))[:1]
    )
    opened = Flag.objects.filter(couple_id=couple_id, checkin_id=OuterRef("pk"))
    # Tags are a JSON list of known lower-case slugs, so a slug in quotes matches that tag
    # and no other, on every database (SQLite has no JSON containment lookup); a plain
    # `contains` on the text, without the case folding of `icontains` on every row and tag.
    tag_counts = {key: Count("pk", filter=Q(tags__contains=f'"{key}"')) for key in STRESSORS}
    groups = (
        checkins.annotate(open_until=open_until, tags=Cast("stressors", TextField()))
        .annotate(at_flag=Q(open_until__gt=F("occurred_at")) | Exists(opened))
        .values("at_flag", "state")
        .annotate(n=Count("pk"), **tag_counts)
        .order_by()
    )
    result.stressors_at_flags = dict.fromkeys(STRESSORS, 0)
    result.stressors_calm = dict.fromkeys(STRESSORS, 0)
    for row in groups:
        if row["at_flag"]:
            result.at_flags += row["n"]
            tags = result.stressors_at_flags
        elif row["state"] == State.REGULATED:
            result.calm += row["n"]
            tags = result.stressors_calm
        else:
            continue
        for key in STRESSORS:
            tags[key] += row[key]

    # Medians are not an aggregate every database has; a period's flags are few (a busy
    # year has a few hundred), so their durations come back sorted and are split by week.
    took = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    durations = (
        flags.filter(resolved_at__isnull=False)
        .annotate(week=TruncWeek("opened_at", tzinfo=tz), took=took)
        .order_by("week", "took")
        .values_list("week", "took")
    )
    for week, duration in durations:
        result.settled.setdefault(_week(week, tz), []).append(duration.total_seconds() / 60)

    agreed = [Revisit.Status.AGREED, Revisit.Status.DONE, Revisit.Status.MISSED]
    # A partner's "how did it go" is never shown to the other: on a partner's page the
    # answers are their own (an average of two beside one's own would give the other's away);
    # a therapist sees each week's answers together, without who gave which.
    mine = None if viewer.is_therapist else Q(ratings__user_id=viewer.pk)
    result.own_ratings = not viewer.is_therapist
    revisits = (
        Revisit.objects.filter(couple_id=couple_id, scheduled_for__gte=start, scheduled_for__lt=end)
        .annotate(week=TruncWeek("scheduled_for", tzinfo=tz))
        .values("week")
        .annotate(
            agreed=Count("pk", distinct=True, filter=Q(status__in=agreed)),
            kept=Count("pk", distinct=True, filter=Q(status=Revisit.Status.DONE)),
            missed=Count("pk", distinct=True, filter=Q(status=Revisit.Status.MISSED)),
            # Moved: agreed, then given another time (each change bumps the sequence).
            moved=Count("pk", distinct=True, filter=Q(status__in=agreed, sequence__gt=0)),
            answers=Count("ratings", filter=mine),
            rating=Avg("ratings__rating", filter=mine),
        )
        .order_by()
    )
    for row in revisits:
        result.revisits[_week(row.pop("week"), tz)] = row
    return result


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
