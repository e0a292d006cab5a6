"""The timeline's cursors as they travel in URLs and forms (pure: no database)."""

from datetime import UTC, datetime

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
