"""Reads of check-ins. Every one goes through `checkins_visible_to`, which takes the viewer.

A partner sees every entry of their active couple and, always, their own entries (also those
from a couple that has since ended). The text of an `only me` note is never loaded for anyone
but its author: the database returns an empty string in its place.
"""

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Case,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils import timezone

from attune.models import Membership, User
from attune.selectors import live_access_couple_ids, memberships_of
from attune.sql import builder, columns, converted, fetch, split, table
from checkins.lanes import (
    LANE_TOPS,
    Lane,
    Picture,
    build_lane,
    lane_stamps,
    shading,
    ticks,
)
from checkins.models import Answer, CheckIn, Flag, NoteVisibility, Revisit

# A first page fills several phone screens; scrolling to the end loads the next page by
# itself. Every entry on a page costs rendering time and bytes on a phone's connection,
# so a page is not longer than it needs to be (it was 30, see bench/).
PAGE_SIZE = 20


@dataclass(frozen=True)
class Cursor:
    """A position in the timeline, newest first: entries strictly older than (at, id)."""

    at: datetime
    id: int


@dataclass(frozen=True)
class LiveCursor:
    """The newest check-in and answer a page has shown; anything above them is news."""

    checkin: int
    answer: int


@dataclass(frozen=True)
class TimelinePage:
    entries: list[CheckIn]
    older: Cursor | None
    # The first page of a partner's own timeline also says where live updates start.
    live: LiveCursor | None = None

    def holds_everything_since(self, moment: datetime) -> bool:
        """Whether this first page holds every entry from `moment` on: it ends before it,
        or there is nothing older."""
        return self.older is None or self.older.at < moment


@dataclass(frozen=True)
class _Rule:
    """Who sees which check-ins, resolved to couple ids: every entry of the couples in
    `all_of`, and only `author`'s own entries in the couples in `own_of`."""

    all_of: tuple[int, ...]
    own_of: tuple[int, ...]
    author: int


def _rule(viewer: User) -> _Rule:
    """The one rule: every entry of the viewer's active couple, and the viewer's own entries
    from couples that have ended; for a therapist, the couples that consent right now.
    Resolved to couple ids first, so the database walks one couple's index instead of
    filtering every row. `_visible_to` says it to the ORM, `_visible_sql` in plain SQL."""
    if viewer.is_therapist:
        # A therapist sees the couples whose live access names them, never more.
        return _Rule(tuple(live_access_couple_ids(therapist=viewer)), (), viewer.pk)
    memberships = memberships_of(user=viewer)
    active = (memberships.active.couple.pk,) if memberships.active is not None else ()
    return _Rule(active, memberships.ended_couple_ids, viewer.pk)


def _visible_to(viewer: User) -> Q:
    rule = _rule(viewer)
    visible = Q(pk__in=[])
    if len(rule.all_of) == 1:
        visible |= Q(couple_id=rule.all_of[0])
    elif rule.all_of:
        visible |= Q(couple_id__in=rule.all_of)
    if rule.own_of:
        visible |= Q(couple_id__in=rule.own_of, author_id=rule.author)
    return visible


def _visible_sql(viewer: User, alias: str) -> tuple[str, list]:
    """`_visible_to` as a plain-SQL condition on the check-in table `alias`, and its
    parameters."""
    rule = _rule(viewer)
    parts, params = [], []
    if rule.all_of:
        parts.append(f"{alias}.couple_id IN ({', '.join(['%s'] * len(rule.all_of))})")
        params.extend(rule.all_of)
    if rule.own_of:
        parts.append(
            f"({alias}.couple_id IN ({', '.join(['%s'] * len(rule.own_of))}) "
            f"AND {alias}.author_id = %s)"
        )
        params.extend([*rule.own_of, rule.author])
    return (f"({' OR '.join(parts)})" if parts else "1 = 0"), params


def checkins_visible_to(*, viewer: User) -> QuerySet[CheckIn]:
    """The check-ins `viewer` may see, with private notes of others blanked in the
    database. Authors and answers are attached by `mark_for_viewer`, which knows the
    people: a join or a prefetch per page cost more than the rows (see bench/)."""
    return (
        CheckIn.objects.filter(_visible_to(viewer))
        .annotate(
            shown_note=Case(
                When(
                    Q(author=viewer.pk) | Q(note_visibility=NoteVisibility.SHARED), then=F("note")
                ),
                default=Value(""),
                output_field=TextField(),
            )
        )
        .defer("note")
    )


_ENTRY_FIELDS = [f for f in CheckIn._meta.concrete_fields if f.attname != "note"]


def _entries(
    viewer: User, *, where: str, params: list, more: tuple[tuple[str, str, list], ...] = ()
) -> list[CheckIn]:
    """Check-ins the viewer may see, in plain SQL: `checkins_visible_to` for the timeline's
    own hot reads (a page, the news), which the ORM took longer to build than the database
    took to answer (see bench/). The same rule (`_visible_sql`) and the same blanking: the
    note column is never selected, only `shown_note`, which is the note for its author or
    when shared and empty otherwise. `where` continues the condition ("AND ...", then any
    ORDER BY and LIMIT) on the table `c`; each of `more` is (name, SQL expression,
    parameters), a value set on every entry as an attribute."""
    qn = connection.ops.quote_name
    visible, visible_params = _visible_sql(viewer, "c")
    names = columns(CheckIn, "c", _ENTRY_FIELDS)
    more_sql = "".join(f", {expression} AS {qn(name)}" for name, expression, _ in more)
    sql = (
        f"SELECT {names}, CASE WHEN c.author_id = %s OR c.note_visibility = %s "  # noqa: S608
        f"THEN c.{qn('note')} ELSE '' END AS shown_note{more_sql} "
        f"FROM {table(CheckIn)} c WHERE {visible} {where}"
    )
    select_params = [viewer.pk, NoteVisibility.SHARED.value]
    for _, _, more_params in more:
        select_params.extend(more_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *visible_params, *params])
        rows = cursor.fetchall()
    build = builder(CheckIn, _ENTRY_FIELDS).build
    width = len(_ENTRY_FIELDS)
    entries = []
    for row in rows:
        entry = build(row[:width])
        entry.shown_note = row[width]
        for (name, _, _), value in zip(more, row[width + 1 :], strict=True):
            setattr(entry, name, value)
        entries.append(entry)
    return entries


def timeline_page(
    *, viewer: User, before: Cursor | None = None, couple_id: int | None = None
) -> TimelinePage:
    """One page of the viewer's timeline, newest first, by keyset on (occurred_at, id);
    `couple_id` narrows a therapist's view to one of their couples."""
    where, params = [], []
    if couple_id is not None:
        where.append("AND c.couple_id = %s")
        params.append(couple_id)
    if before is not None:
        at = connection.ops.adapt_datetimefield_value(before.at)
        where.append("AND (c.occurred_at < %s OR (c.occurred_at = %s AND c.id < %s))")
        params.extend([at, at, before.id])
    # The limit is written into the statement, not passed: PostgreSQL cannot plan a prepared
    # statement once for any limit, and planned this one again on every page.
    where.append(f"ORDER BY c.occurred_at DESC, c.id DESC LIMIT {PAGE_SIZE + 1:d}")
    with_live = before is None and couple_id is None
    more = ()
    if with_live:
        # The live cursor in the same statement, as two scalar subqueries that the database
        # evaluates once, not per row: a round trip less for the page.
        more = _newest_sql(viewer)
    rows = _entries(viewer, where=" ".join(where), params=params, more=more)
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        older = Cursor(at=rows[-1].occurred_at, id=rows[-1].pk)
    live = None
    if with_live:
        # Nothing visible means no answers either: an answer belongs to a visible entry.
        first = rows[0] if rows else None
        live = LiveCursor(
            checkin=(first.live_checkin or 0) if first else 0,
            answer=(first.live_answer or 0) if first else 0,
        )
    return TimelinePage(entries=rows, older=older, live=live)


def _news_couple_id(viewer: User) -> int | None:
    """The one couple news can arrive in: the viewer's active couple (check-ins and answers
    need one). Entries from ended couples are history and never change."""
    if viewer.is_therapist:
        return None
    active = memberships_of(user=viewer).active
    return active.couple.pk if active else None


def _newest_sql(viewer: User) -> tuple[tuple[str, str, list], ...]:
    """The id of the newest check-in and of the newest answer the viewer can see, as
    (name, scalar subquery, parameters). Newest first with a limit walks the (couple, id)
    index backwards and stops at the first row, where MAX() over a join would read the
    whole history."""
    visible, visible_params = _visible_sql(viewer, "n")
    return (
        (
            "live_checkin",
            f"(SELECT n.id FROM {table(CheckIn)} n WHERE {visible} "  # noqa: S608
            "ORDER BY n.id DESC LIMIT 1)",
            visible_params,
        ),
        (
            "live_answer",
            f"(SELECT a.id FROM {table(Answer)} a WHERE a.couple_id = %s "  # noqa: S608
            "ORDER BY a.id DESC LIMIT 1)",
            [_news_couple_id(viewer)],
        ),
    )


def live_cursor(*, viewer: User) -> LiveCursor:
    """The newest check-in and answer the viewer can see right now, in one query."""
    (_, checkin_sql, checkin_params), (_, answer_sql, answer_params) = _newest_sql(viewer)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {checkin_sql}, {answer_sql}", [*checkin_params, *answer_params])
        checkin, answer = cursor.fetchone()
    return LiveCursor(checkin=checkin or 0, answer=answer or 0)


def live_cursor_after(*, since: LiveCursor, news: list[CheckIn]) -> LiveCursor:
    """The cursor once `news` (timeline_news since `since`) is shown, without a query: the
    news holds every check-in newer than `since` and every entry with a newer answer, with
    all its answers, so the newest of each is among them."""
    return LiveCursor(
        checkin=max([since.checkin, *(e.pk for e in news)]),
        answer=max([since.answer, *(a.pk for e in news for a in e.answer_list)]),
    )


@functools.cache
def _poll_sql() -> str:
    checkin, answer = table(CheckIn), table(Answer)
    # News can only arrive in the viewer's active couple (check-ins and answers need one).
    # Names come from the models' own metadata; values go in as parameters.
    return (
        f"SELECT {columns(User, 'u')}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {checkin} c WHERE c.couple_id = m.couple_id AND c.id > %s) "
        f"OR EXISTS (SELECT 1 FROM {answer} a WHERE a.couple_id = m.couple_id AND a.id > %s) "
        "AS has_news "
        f"FROM {table(User)} u "
        f"LEFT JOIN {table(Membership)} m "
        f"ON m.user_id = u.id AND m.ended_at IS NULL "
        f"WHERE u.id = %s AND u.is_active = %s"
    )


def poll_viewer(*, user_id: int, since: LiveCursor) -> User | None:
    """The active user `user_id` with `has_news`: whether a check-in or answer they may see
    is newer than `since`. One plain SQL statement, because every open timeline asks this
    every few seconds and the ORM spent ten times longer building the query than the
    database spent answering it (see bench/)."""
    params = [since.checkin, since.answer, user_id, True]
    with connection.cursor() as cursor:
        cursor.execute(_poll_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    user, has_news = split(row, User)
    user.has_news = bool(has_news)
    return user


# _PLANNED_ONCE: PostgreSQL plans a prepared statement once (a generic plan) only when that
# plan looks no dearer than the plans it makes for each set of values, and it estimates a
# value it can see differently from one it cannot: "id > 490312" as a row or two against
# "id > $5" as a third of the couple's history; a light couple's id against the average
# couple's share of the flags. So the news and the recent flags were planned again on every
# check-in, every poll with news and every timeline (0 generic plans in
# `pg_prepared_statements`), which cost PostgreSQL about 130 and 45 microseconds of its CPU
# each time (see README's Benchmarks). A value read through a one-row subquery, "(SELECT
# %s)", is one the planner cannot see in either plan; the index still serves it, and the
# statement is planned once per connection. tests/checkins/test_postgresql_plans.py keeps
# this so.


def timeline_news(*, viewer: User, since: LiveCursor) -> list[CheckIn]:
    """Check-ins that are new since `since`, or that have a new answer, newest first."""
    couple_id = _news_couple_id(viewer)
    # The ids first, each from its own (couple, id) index, as one UNION: written as
    # "id > n OR id IN (answered)", PostgreSQL had to read all of a couple's check-ins
    # to test each against both (7 ms at 10,000, see bench/). On PostgreSQL the ids come as
    # one array, looked up by index: as "IN (...)" the one plan made for any cursor hashed
    # all of a couple's check-ins (64 ms at 10,000), so PostgreSQL planned the statement
    # again on every poll with news and every check-in (0.3 ms each).
    # The cursors as one-row subqueries: see _PLANNED_ONCE above.
    ids = (
        f"SELECT n.id FROM {table(CheckIn)} n "  # noqa: S608
        "WHERE n.couple_id = %s AND n.id > (SELECT %s) "
        f"UNION SELECT a.checkin_id FROM {table(Answer)} a "
        "WHERE a.couple_id = %s AND a.id > (SELECT %s)"
    )
    among = f"= ANY(ARRAY({ids}))" if connection.vendor == "postgresql" else f"IN ({ids})"
    where = f"AND c.id {among} ORDER BY c.occurred_at DESC, c.id DESC"
    params = [couple_id, since.checkin, couple_id, since.answer]
    # Whether each has answers at all: news is mostly a check-in just made, with none yet,
    # and then the answers need no query of their own (see _attach_people).
    has_answers = (
        "has_answers",
        f"EXISTS (SELECT 1 FROM {table(Answer)} x WHERE x.checkin_id = c.id)",  # noqa: S608
        [],
    )
    return _entries(viewer, where=where, params=params, more=(has_answers,))


class Point(NamedTuple):
    """A check-in as the picture reads it."""

    id: int
    author_id: int
    state: str
    intensity: int
    occurred_at: datetime


_POINT_FIELDS = [CheckIn._meta.get_field(name) for name in Point._fields]


@functools.cache
def _point_values() -> Callable[[tuple], Sequence]:
    return converted(_POINT_FIELDS)


def checkins_between(*, viewer: User, start: datetime, end: datetime) -> list[Point]:
    """Visible check-ins from `start` to `end`, oldest first, for the two-lane picture.
    Plain rows in plain SQL: the picture reads five values, and every check-in and every
    poll with news redraws it (see attune/sql.py)."""
    visible, params = _visible_sql(viewer, "c")
    names = columns(CheckIn, "c", _POINT_FIELDS)
    sql = (
        f"SELECT {names} FROM {table(CheckIn)} c "  # noqa: S608
        f"WHERE {visible} AND c.occurred_at >= %s AND c.occurred_at < %s "
        "ORDER BY c.occurred_at, c.id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(start), adapt(end)])
        rows = cursor.fetchall()
    convert = _point_values()
    return [Point(*convert(row)) for row in rows]


# The week's axis labels, as strftime's "%a" writes them (Attune is in English), without
# a strftime for each of seven days on every picture.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def two_lane_pictures(
    *,
    viewer: User,
    partner: User | None,
    now: datetime,
    tz: tzinfo,
    flags: list[Flag] = (),
    people: tuple[User, User] | None = None,
    page: TimelinePage | None = None,
) -> list[Picture]:
    """Today and the last seven days, you above and your partner below, with mismatch
    windows shaded behind the lanes, in one query (the flags come from the caller). With
    the viewer's first timeline `page`, when it reaches back past the pictures' window (as
    it does for most couples), its entries are all the pictures need and there is no
    query at all."""
    max_age = timedelta(hours=settings.CHECKIN_CURRENT_HOURS)
    today = now.astimezone(tz).date()
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    week_start = day_start - timedelta(days=6)
    start = week_start - max_age
    if page is not None and page.holds_everything_since(start):
        rows = sorted(
            (e for e in page.entries if start <= e.occurred_at < day_end),
            key=lambda e: (e.occurred_at, e.pk),
        )
    else:
        rows = checkins_between(viewer=viewer, start=start, end=day_end)
    # A partner sees "You" above their partner; a therapist sees the two partners by name.
    top, bottom = people if people else (viewer, partner)
    top_id = top.pk  # once: the viewer is request.user, a lazy object
    if people:
        rows = [c for c in rows if c.author_id in (top_id, bottom.pk)]
    mine = [c for c in rows if c.author_id == top_id]
    theirs = [c for c in rows if c.author_id != top_id]
    # Each lane's times once, for both windows.
    mine_at, theirs_at = lane_stamps(mine), lane_stamps(theirs)
    top_label = top.display_name if people else "You"
    partner_label = bottom.display_name if bottom else "Partner"

    def lanes(start: datetime, end: datetime, text_tz: tzinfo | None = None) -> list[Lane]:
        window = {"start": start, "end": end, "now": now, "max_age": max_age, "text_tz": text_tz}
        return [
            build_lane(top_label, LANE_TOPS[0], mine, stamps=mine_at, **window),
            build_lane(partner_label, LANE_TOPS[1], theirs, stamps=theirs_at, **window),
        ]

    windows = [(f.opened_at, f.resolved_at) for f in flags]

    def shades(start: datetime, end: datetime) -> list[tuple[float, float]]:
        return shading(windows, start=start, end=end, now=now)

    hours = [(datetime.combine(today, time(h), tzinfo=tz), f"{h:02d}:00") for h in (0, 6, 12, 18)]
    first_day = week_start.weekday()
    days = [(week_start + timedelta(days=d), _DAY_NAMES[(first_day + d) % 7]) for d in range(7)]
    hour_ticks = ticks(hours, start=day_start, end=day_end)
    day_ticks = ticks(days, start=week_start, end=day_end)
    return [
        Picture(
            key="today",
            title="Today",
            # Today's picture can also be shown as text.
            lanes=lanes(day_start, day_end, text_tz=tz),
            ticks=hour_ticks,
            shades=shades(day_start, day_end),
        ),
        Picture(
            key="week",
            title="The last 7 days",
            lanes=lanes(week_start, day_end),
            ticks=day_ticks,
            shades=shades(week_start, day_end),
        ),
    ]


# A one-tap answer is for a moment that is still live; a week-old check-in gets none.
ANSWER_WINDOW = timedelta(hours=24)


@functools.lru_cache(maxsize=64)
def _answers_sql(count: int) -> str:
    """The answers to `count` check-ins, oldest first (plain SQL, see attune/sql.py)."""
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT {columns(Answer, 'a')} FROM {table(Answer)} a "  # noqa: S608
        f"WHERE a.checkin_id IN ({marks}) ORDER BY a.id"
    )


def _attach_people(entries: list[CheckIn], people: dict[int, User]) -> None:
    """Give every entry its answers, oldest first, and every entry and answer its author.

    Authors come from `people` (the viewer and whoever the caller has at hand: the
    partner, a therapist's two partners); anyone else, such as a former partner, costs one
    query for their names. Answers load alone, one plain query for the page (none when the
    entries were read with `has_answers` and none has any): joining their authors made
    PostgreSQL hash the whole user table for a handful of rows, and Django's prefetch
    built a queryset per entry (together more than a third of a timeline page's data
    time, see bench/)."""
    by_entry: dict[int, list[Answer]] = {entry.pk: [] for entry in entries}
    # Entries read with `has_answers` (the news) skip the query when none has any.
    answered = [entry.pk for entry in entries if getattr(entry, "has_answers", True)]
    if answered:
        for answer in fetch(Answer, _answers_sql(len(answered)), answered):
            by_entry[answer.checkin_id].append(answer)
    wanted = {e.author_id for e in entries} | {
        a.author_id for answers in by_entry.values() for a in answers
    }
    missing = wanted - people.keys()
    if missing:
        people.update(User.objects.only("id", "display_name").in_bulk(missing))
    entry_author = CheckIn._meta.get_field("author")
    answer_author = Answer._meta.get_field("author")
    for entry in entries:
        entry_author.set_cached_value(entry, people[entry.author_id])
        entry.answer_list = by_entry[entry.pk]
        for answer in entry.answer_list:
            answer_author.set_cached_value(answer, people[answer.author_id])


def mark_for_viewer(
    entries: list[CheckIn],
    *,
    viewer: User,
    couple_id: int | None,
    people: Iterable[User | None] = (),
) -> None:
    """Tell each entry what the viewer may do with it (delete their own, answer their
    partner's: once, recent ones only, and only within the active couple) and how it reads
    to them (its times in their zone, who answered), with their answers and authors loaded
    (one query, and one more only for someone outside `people`). `people` are users the
    caller has at hand (the partner; a therapist's two partners) who may have written or
    answered these entries. Entries are rendered only after this."""
    answerable_since = timezone.now() - ANSWER_WINDOW
    zone = str(timezone.get_current_timezone())
    viewer_id = viewer.pk  # once: the viewer is request.user, a lazy object
    known = {viewer_id: viewer} | {p.pk: p for p in people if p is not None}
    _attach_people(entries, known)
    for entry in entries:
        answers = entry.answer_list
        for answer in answers:
            answer.who = "You" if answer.author_id == viewer_id else answer.author.display_name
        entry.is_mine = entry.author_id == viewer_id
        entry.viewer_answer = next((a for a in answers if a.author_id == viewer_id), None)
        entry.can_answer = (
            not entry.is_mine
            and entry.viewer_answer is None
            and entry.couple_id == couple_id
            and entry.occurred_at >= answerable_since
        )
        # Everything the rendered entry depends on, for its fragment cache (the template
        # adds the CSRF secret its forms carry). A check-in never changes once written;
        # its answers, names, the viewer's zone and what they may do with it can.
        entry.fragment_key = (
            entry.pk,
            viewer_id,
            zone,
            entry.occurred_at.timestamp(),
            entry.can_answer,
            entry.author.display_name,
            tuple((a.pk, a.author_id, a.author.display_name) for a in answers),
        )


@functools.cache
def _flags_recent_sql() -> str:
    # The values as one-row subqueries: see _PLANNED_ONCE above timeline_news.
    return (
        f"SELECT {columns(Flag, 'f')} FROM {table(Flag)} f "  # noqa: S608
        "WHERE f.couple_id = (SELECT %s) "
        "AND (f.resolved_at IS NULL OR f.resolved_at >= (SELECT %s)) "
        "ORDER BY f.opened_at DESC"
    )


def flags_recent(*, viewer: User, days: int = 8) -> list[Flag]:
    """Flags of the viewer's active couple that are open or ended in the last `days` days,
    newest first: the open ones for the banner, all of them to shade the picture. Plain
    SQL: the timeline, every check-in and every poll with news read these (attune/sql.py)."""
    couple_view = memberships_of(user=viewer).active
    if couple_view is None:
        return []
    since = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=days))
    return fetch(Flag, _flags_recent_sql(), [couple_view.couple.pk, since])


def flag_for(*, viewer: User, pk: int) -> Flag | None:
    couple_view = memberships_of(user=viewer).active
    if couple_view is None:
        return None
    return Flag.objects.filter(couple=couple_view.couple, pk=pk).first()


def revisits_visible_to(*, viewer: User) -> QuerySet[Revisit]:
    """Revisits of the viewer's active couple."""
    couple_view = memberships_of(user=viewer).active
    if couple_view is None:
        return Revisit.objects.none()
    return Revisit.objects.filter(couple=couple_view.couple).select_related("flag", "proposed_by")


@functools.cache
def _revisit_open_sql() -> str:
    # The open statuses are written into the statement, as the partial unique index that
    # keeps one open revisit per couple names them: with them as parameters PostgreSQL could
    # not use that index in a plan made once, and planned the query again on every page.
    statuses = ", ".join(f"'{status.value}'" for status in Revisit.OPEN)
    return (
        f"SELECT {columns(Revisit, 'r')} FROM {table(Revisit)} r "  # noqa: S608
        f"WHERE r.couple_id = %s AND r.status IN ({statuses})"
    )


def revisit_open(*, viewer: User) -> Revisit | None:
    """The couple's open revisit (the database keeps at most one), for the banner, which
    needs none of its relations. Plain SQL, as for `flags_recent`."""
    couple_view = memberships_of(user=viewer).active
    if couple_view is None:
        return None
    found = fetch(Revisit, _revisit_open_sql(), [couple_view.couple.pk])
    return found[0] if found else None


def current_checkin(*, viewer: User) -> CheckIn | None:
    """The viewer's own current check-in: their latest, if not older than the window."""
    since = timezone.now() - timedelta(hours=settings.CHECKIN_CURRENT_HOURS)
    return (
        CheckIn.objects.filter(
            author=viewer, occurred_at__gte=since, occurred_at__lte=timezone.now()
        )
        .order_by("-occurred_at", "-id")
        .first()
    )


def couple_summary(*, viewer: User, couple_id: int, start: datetime, end: datetime) -> dict:
    """A period's summary of one couple the viewer may see: check-ins per partner, flags per
    week by pattern, median time from flag to both regulated, revisits agreed, kept and
    missed, and the partners' "how did it go" answers."""
    import statistics
    from collections import Counter

    from attune.models import Membership as M
    from checkins.models import RevisitRating

    if viewer.is_therapist:
        allowed = live_access_couple_ids(therapist=viewer)
    else:
        active = memberships_of(user=viewer).active
        allowed = [active.couple.pk] if active else []
    if couple_id not in allowed:
        raise PermissionDenied
    checkins = checkins_visible_to(viewer=viewer).filter(
        couple_id=couple_id, occurred_at__gte=start, occurred_at__lt=end
    )
    names = {
        m.user_id: m.user.display_name
        for m in M.objects.filter(couple_id=couple_id).select_related("user")
    }
    per_partner = Counter(checkins.values_list("author_id", flat=True))
    flags = list(Flag.objects.filter(couple_id=couple_id, opened_at__gte=start, opened_at__lt=end))
    weeks: dict[str, Counter] = {}
    for flag in flags:
        year, week, _ = flag.opened_at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", Counter())[flag.pattern] += 1
    durations = [f.time_to_regulated.total_seconds() / 60 for f in flags if f.resolved_at]
    revisits = Revisit.objects.filter(
        couple_id=couple_id, scheduled_for__gte=start, scheduled_for__lt=end
    )
    statuses = Counter(revisits.values_list("status", flat=True))
    ratings = list(
        RevisitRating.objects.filter(revisit__in=revisits)
        .select_related("user", "revisit")
        .order_by("revisit__scheduled_for")
    )
    return {
        "checkins_per_partner": [
            (names.get(pk, "Former partner"), n) for pk, n in per_partner.items()
        ],
        "flags_per_week": [
            (week, [counts[value] for value, _label in Flag.Pattern.choices])
            for week, counts in sorted(weeks.items())
        ],
        "patterns": Flag.Pattern.choices,
        "median_minutes_to_regulated": round(statistics.median(durations)) if durations else None,
        "revisits_agreed": statuses["agreed"] + statuses["done"] + statuses["missed"],
        "revisits_kept": statuses["done"],
        "revisits_missed": statuses["missed"],
        "ratings": ratings,
    }
