"""Pure helpers for the timeline: cursors in URLs and grouping entries by local day."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import groupby

from checkins.models import CheckIn
from checkins.selectors import Cursor, LiveCursor


def is_plain_number(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses."""
    return raw.isascii() and raw.isdigit()


def cursor_encode(cursor: Cursor) -> str:
    micros = int(cursor.at.timestamp()) * 1_000_000 + cursor.at.microsecond
    return f"{micros}.{cursor.id}"


def cursor_decode(raw: str) -> Cursor | None:
    """Parse a `before` cursor from a URL; None when it is not one of ours."""
    micros, dot, pk = raw.partition(".")
    if not dot or not is_plain_number(micros) or not is_plain_number(pk) or len(micros) > 18:
        return None
    seconds, rest = divmod(int(micros), 1_000_000)
    try:
        at = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
    except (OverflowError, OSError, ValueError):
        return None
    return Cursor(at=at, id=int(pk))


def live_cursor_decode(checkin: str | None, answer: str | None) -> LiveCursor | None:
    if not checkin or not answer or not is_plain_number(checkin) or not is_plain_number(answer):
        return None
    if len(checkin) > 18 or len(answer) > 18:
        return None
    return LiveCursor(checkin=int(checkin), answer=int(answer))


@dataclass(frozen=True)
class Day:
    date: date
    entries: list[CheckIn]


def group_by_day(entries: list[CheckIn], tz: tzinfo) -> list[Day]:
    """Entries (newest first) grouped by their calendar day in the viewer's time zone."""
    return [
        Day(date=day, entries=list(items))
        for day, items in groupby(entries, key=lambda e: e.occurred_at.astimezone(tz).date())
    ]


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
