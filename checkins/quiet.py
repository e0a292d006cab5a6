"""Quiet hours: pure calendar arithmetic in the recipient's own time zone."""

from datetime import UTC, datetime, time, timedelta, tzinfo


def _at(day, clock: time, tz: tzinfo) -> datetime:
    # Through UTC and back, so a wall time that a DST change skips lands just after it.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def hold_for_quiet_hours(due: datetime, *, tz: tzinfo, start: time, end: time) -> datetime:
    """`due`, or the end of the quiet hours it falls in (start inclusive, end exclusive).
    Quiet hours may run across midnight (22:00-08:00) or within a day (13:00-15:00);
    equal start and end mean none."""
    if start == end:
        return due
    local = due.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:
        if start <= clock < end:
            return _at(day, end, tz)
        return due
    if clock >= start:
        return _at(day + timedelta(days=1), end, tz)
    if clock < end:
        return _at(day, end, tz)
    return due
