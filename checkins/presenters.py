"""Shaping what the selectors read for a page: how each entry reads to its viewer, the days
the entries fall in, and the values of the two-lane pictures. No queries and no markup: the
templates draw what these return."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import groupby

from django.conf import settings

from attune.models import User
from checkins.lanes import LANE_TOPS, Lane, Picture, build_lane, lane_stamps, shading, ticks
from checkins.models import CheckIn, Flag, NoteVisibility
from checkins.selectors import ANSWER_WINDOW

# How a partner who has left reads in the history that remains: never their live profile
# (a name they have since changed, say), only neutral words.
FORMER_PARTNER = "Your former partner"


def names_for(viewer: User, people: Iterable[User | None] = ()) -> dict[int, str]:
    """What to call each author on the viewer's page: "You", and the people the caller
    knows to be there now (the partner; a therapist's two partners) by name."""
    return {p.pk: p.display_name for p in people if p is not None} | {viewer.pk: "You"}


def entries_for_viewer(
    entries: list[CheckIn],
    *,
    viewer: User,
    couple_id: int | None,
    names: dict[int, str],
    now: datetime,
) -> None:
    """Tell each entry what the viewer may do with it (delete their own, answer their
    partner's: once, recent ones only, and only within the active couple) and who wrote it
    and its answers, in `names`' words; anyone else is a former partner."""
    answerable_since = now - ANSWER_WINDOW
    for entry in entries:
        entry.is_mine = entry.author_id == viewer.pk
        entry.who = names.get(entry.author_id, FORMER_PARTNER)
        entry.private = entry.is_mine and entry.note_visibility == NoteVisibility.ONLY_ME
        for answer in entry.answer_list:
            answer.who = names.get(answer.author_id, FORMER_PARTNER)
        answered = any(a.author_id == viewer.pk for a in entry.answer_list)
        entry.can_answer = (
            not entry.is_mine
            and not answered
            and couple_id is not None
            and entry.couple_id == couple_id
            and entry.occurred_at >= answerable_since
        )
        # Everything the rendered entry depends on but its zone and the CSRF secret its
        # forms carry (checkins/fragments.py adds those): a check-in never changes once
        # written; who reads it, its answers and what the viewer may do with it can.
        entry.fragment_key = (
            entry.pk,
            viewer.pk,
            entry.who,
            entry.can_answer,
            tuple((a.pk, a.who) for a in entry.answer_list),
        )


@dataclass(frozen=True)
class Day:
    date: date
    label: str
    entries: list[CheckIn]

    @property
    def slug(self) -> str:
        return self.date.isoformat()


def day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if today - day < timedelta(days=7):
        return f"{day:%A}"
    if day.year == today.year:
        return f"{day:%A} {day.day} {day:%B}"
    return f"{day:%A} {day.day} {day:%B %Y}"


def days_of(entries: list[CheckIn], *, tz: tzinfo, today: date) -> list[Day]:
    """Entries (newest first) grouped by their calendar day in the viewer's time zone."""
    return [
        Day(date=day, label=day_label(day, today), entries=list(items))
        for day, items in groupby(entries, key=lambda e: e.occurred_at.astimezone(tz).date())
    ]


@dataclass(frozen=True)
class PictureWindow:
    """Today and the last seven days in the viewer's zone, and from when check-ins count
    (one that began before the week may still colour its start)."""

    today: date
    day_start: datetime
    day_end: datetime
    week_start: datetime

    @property
    def reads_from(self) -> datetime:
        return self.week_start - timedelta(hours=settings.CHECKIN_CURRENT_HOURS)


def picture_window(*, now: datetime, tz: tzinfo) -> PictureWindow:
    today = now.astimezone(tz).date()
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    return PictureWindow(
        today=today,
        day_start=day_start,
        day_end=day_start + timedelta(days=1),
        week_start=day_start - timedelta(days=6),
    )


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def two_lane_pictures(
    rows: list[CheckIn],
    *,
    window: PictureWindow,
    now: datetime,
    tz: tzinfo,
    top: tuple[int, str],
    bottom: tuple[int | None, str],
    flags: list[Flag] = (),
) -> list[Picture]:
    """Today and the last seven days from `rows` (oldest first), `top`'s lane above
    `bottom`'s, each given as (author id, label); mismatch windows shaded behind."""
    max_age = timedelta(hours=settings.CHECKIN_CURRENT_HOURS)
    rows = [c for c in rows if window.reads_from <= c.occurred_at < window.day_end]
    top_id, top_label = top
    bottom_id, bottom_label = bottom
    mine = [c for c in rows if c.author_id == top_id]
    # A partner's lane holds everyone else's check-ins (a therapist names both partners).
    theirs = [c for c in rows if c.author_id != top_id and bottom_id in (None, c.author_id)]
    mine_at, theirs_at = lane_stamps(mine), lane_stamps(theirs)

    def lanes(start: datetime, end: datetime, text_tz: tzinfo | None = None) -> list[Lane]:
        common = {"start": start, "end": end, "now": now, "max_age": max_age, "text_tz": text_tz}
        return [
            build_lane(top_label, LANE_TOPS[0], mine, stamps=mine_at, **common),
            build_lane(bottom_label, LANE_TOPS[1], theirs, stamps=theirs_at, **common),
        ]

    windows = [(f.opened_at, f.resolved_at) for f in flags]
    day_start, day_end, week_start = window.day_start, window.day_end, window.week_start
    hours = [
        (datetime.combine(window.today, time(h), tzinfo=tz), f"{h:02d}:00") for h in (0, 6, 12, 18)
    ]
    first_day = week_start.weekday()
    days = [(week_start + timedelta(days=d), _DAY_NAMES[(first_day + d) % 7]) for d in range(7)]
    return [
        Picture(
            key="today",
            title="Today",
            # Today's picture can also be shown as text.
            lanes=lanes(day_start, day_end, text_tz=tz),
            ticks=ticks(hours, start=day_start, end=day_end),
            shades=shading(windows, start=day_start, end=day_end, now=now),
        ),
        Picture(
            key="week",
            title="The last 7 days",
            lanes=lanes(week_start, day_end),
            ticks=ticks(days, start=week_start, end=day_end),
            shades=shading(windows, start=week_start, end=day_end, now=now),
        ),
    ]
