"""Reads of check-ins, flags and revisits. Every read of check-ins goes through
`checkins_visible_to`, which takes the viewer.

A partner sees every entry of their active couple, except those the other wrote while they had
paused sharing, and, always, their own entries (also those from a couple that has since
ended). A therapist sees the couples whose consent is live right
now. The text of an `only me` note is never loaded for anyone but its author: the database
returns an empty string in its place.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Prefetch, Q, QuerySet, Subquery, TextField, Value, When
from django.utils import timezone

from attune.models import User
from attune.selectors import live_access_couple_ids, memberships_of
from checkins.models import Answer, CheckIn, Flag, NoteVisibility, Revisit

# A first page fills several phone screens; scrolling to the end loads the next page by
# itself, so a page is not longer than a phone's connection needs.
PAGE_SIZE = 20

# A one-tap answer is for a moment that is still live; a week-old check-in gets none.
ANSWER_WINDOW = timedelta(hours=24)


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


def _visible(viewer: User) -> Q:
    """The one rule of who sees which check-in. Resolved to couple ids first (the viewer's
    memberships are loaded for the page anyway), so the database walks one couple's
    timeline index rather than testing every row against a join."""
    if viewer.is_therapist:
        return Q(couple_id__in=live_access_couple_ids(therapist=viewer), withheld=False)
    memberships = memberships_of(user=viewer)
    visible = Q(pk__in=[])
    if memberships.active is not None:
        # A check-in written while its author paused sharing is theirs alone.
        visible |= Q(couple_id=memberships.active.couple.pk) & (
            Q(withheld=False) | Q(author_id=viewer.pk)
        )
    if memberships.ended_couple_ids:
        visible |= Q(couple_id__in=memberships.ended_couple_ids, author_id=viewer.pk)
    return visible


def checkins_visible_to(*, viewer: User) -> QuerySet[CheckIn]:
    """The check-ins `viewer` may see, with `shown_note`: the note for its author or when
    shared, blank otherwise. The note column itself is never loaded."""
    return (
        CheckIn.objects.filter(_visible(viewer))
        .annotate(
            shown_note=Case(
                When(
                    Q(author_id=viewer.pk) | Q(note_visibility=NoteVisibility.SHARED),
                    then=F("note"),
                ),
                default=Value(""),
                output_field=TextField(),
            )
        )
        .defer("note")
    )


def shared_checkins(
    *, viewer: User, couple_id: int, start: datetime, end: datetime
) -> QuerySet[CheckIn]:
    """The check-ins of one couple from `start` to `end` that both partners see, for
    patterns over weeks: through the one rule, then without any written while sharing was
    paused (the viewer's own too: a shared picture shows what both see). Notes are never
    loaded."""
    return (
        CheckIn.objects.filter(_visible(viewer))
        .filter(couple_id=couple_id, withheld=False, occurred_at__gte=start, occurred_at__lt=end)
        .defer("note")
    )


def with_answers(entries: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    """Each entry's answers, oldest first, as `answer_list` (one query for the page)."""
    return entries.prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("pk"), to_attr="answer_list")
    )


def _newest_ids(viewer: User) -> dict:
    """The newest visible check-in and the newest answer in the viewer's active couple, as
    querysets of ids, newest first; the index on (couple, id) answers each with one row."""
    active = memberships_of(user=viewer).active
    newest = checkins_visible_to(viewer=viewer).order_by("-pk").values("pk")
    answers = Answer.objects.filter(couple_id=active.couple.pk if active else None)
    return {
        "live_checkin": newest,
        "live_answer": answers.order_by("-pk").values("pk"),
    }


def timeline_page(
    *, viewer: User, before: Cursor | None = None, couple_id: int | None = None
) -> TimelinePage:
    """One page of the viewer's timeline, newest first, by keyset on (occurred_at, id);
    `couple_id` narrows a therapist's view to one of their couples. A partner's first page
    also brings the live cursor, in the same query."""
    entries = checkins_visible_to(viewer=viewer).order_by("-occurred_at", "-pk")
    if couple_id is not None:
        entries = entries.filter(couple_id=couple_id)
    if before is not None:
        entries = entries.filter(
            Q(occurred_at__lt=before.at) | Q(occurred_at=before.at, pk__lt=before.id)
        )
    with_live = before is None and couple_id is None
    if with_live:
        entries = entries.annotate(
            **{name: Subquery(ids[:1]) for name, ids in _newest_ids(viewer).items()}
        )
    rows = list(with_answers(entries)[: PAGE_SIZE + 1])
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


def live_cursor(*, viewer: User) -> LiveCursor:
    """The newest check-in and answer the viewer can see right now, in one query."""
    newest = {name: Subquery(ids[:1]) for name, ids in _newest_ids(viewer).items()}
    row = User.objects.filter(pk=viewer.pk).values(**newest).first() or {}
    return LiveCursor(checkin=row.get("live_checkin") or 0, answer=row.get("live_answer") or 0)


def live_cursor_after(*, since: LiveCursor, news: list[CheckIn]) -> LiveCursor:
    """The cursor once `news` (timeline_news since `since`) is shown, without a query: the
    news holds every check-in newer than `since` and every entry with a newer answer, with
    all its answers, so the newest of each is among them."""
    return LiveCursor(
        checkin=max([since.checkin, *(e.pk for e in news)]),
        answer=max([since.answer, *(a.pk for e in news for a in e.answer_list)]),
    )


def timeline_news(*, viewer: User, since: LiveCursor) -> list[CheckIn]:
    """Check-ins that are new since `since`, or that have a new answer, newest first. News
    arrives only in the viewer's active couple: an ended couple's history never changes."""
    active = memberships_of(user=viewer).active
    if active is None:
        return []
    # The answered entries' ids first, each read from the (couple, id) index: as a
    # subquery inside the OR, the database tested all of a couple's check-ins against it.
    answered = list(
        Answer.objects.filter(couple_id=active.couple.pk, pk__gt=since.answer).values_list(
            "checkin_id", flat=True
        )
    )
    news = checkins_visible_to(viewer=viewer).filter(
        Q(couple_id=active.couple.pk, pk__gt=since.checkin) | Q(pk__in=answered)
    )
    return list(with_answers(news.order_by("-occurred_at", "-pk")))


def checkins_between(
    *, viewer: User, start: datetime, end: datetime, couple_id: int | None = None
) -> list:
    """Visible check-ins from `start` to `end`, oldest first, as rows of what the two-lane
    picture reads (a week holds a hundred or more; it needs no model instances);
    `couple_id` narrows a therapist's view to one of their couples."""
    entries = checkins_visible_to(viewer=viewer)
    if couple_id is not None:
        entries = entries.filter(couple_id=couple_id)
    return list(
        entries.filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at", "pk")
        .values_list("pk", "author_id", "state", "intensity", "occurred_at", named=True)
    )


def flags_recent(*, viewer: User, days: int = 8) -> list[Flag]:
    """Flags of the viewer's active couple that are open or ended in the last `days` days,
    newest first: the open ones for the banner, all of them to shade the picture."""
    active = memberships_of(user=viewer).active
    if active is None:
        return []
    since = timezone.now() - timedelta(days=days)
    return list(
        Flag.objects.filter(couple_id=active.couple.pk)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .order_by("-opened_at")
    )


def flag_for(*, viewer: User, pk: int) -> Flag | None:
    """One flag of the viewer's active couple, or None."""
    active = memberships_of(user=viewer).active
    if active is None:
        return None
    return Flag.objects.filter(couple_id=active.couple.pk, pk=pk).first()


def revisits_visible_to(*, viewer: User) -> QuerySet[Revisit]:
    """Revisits of the viewer's active couple."""
    active = memberships_of(user=viewer).active
    if active is None:
        return Revisit.objects.none()
    return Revisit.objects.filter(couple_id=active.couple.pk).select_related("flag", "proposed_by")


def revisit_open(*, viewer: User) -> Revisit | None:
    """The couple's open revisit (the database keeps at most one), for the banner."""
    active = memberships_of(user=viewer).active
    if active is None:
        return None
    return Revisit.objects.filter(couple_id=active.couple.pk, status__in=Revisit.OPEN).first()


def current_checkin(*, viewer: User) -> CheckIn | None:
    """The viewer's own current check-in: their latest, if not older than the window."""
    now = timezone.now()
    since = now - timedelta(hours=settings.CHECKIN_CURRENT_HOURS)
    return (
        checkins_visible_to(viewer=viewer)
        .filter(author_id=viewer.pk, occurred_at__gte=since, occurred_at__lte=now)
        .order_by("-occurred_at", "-pk")
        .first()
    )
