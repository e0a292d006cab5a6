import itertools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest

from checkins.quiet import hold_for_quiet_hours

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NIGHT = {"start": time(22), "end": time(8)}


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    "due,held",
    [
        (berlin(2026, 11, 23, 21, 59), berlin(2026, 11, 23, 21, 59)),
        (berlin(2026, 11, 23, 22, 0), berlin(2026, 11, 24, 8, 0)),
        (berlin(2026, 11, 23, 23, 30), berlin(2026, 11, 24, 8, 0)),
        (berlin(2026, 11, 24, 3, 0), berlin(2026, 11, 24, 8, 0)),
        (berlin(2026, 11, 24, 8, 0), berlin(2026, 11, 24, 8, 0)),
    ],
)
def test_overnight_quiet_hours(due, held):
    assert hold_for_quiet_hours(due, tz=BERLIN, **NIGHT) == held


def test_daytime_quiet_hours_and_none():
    nap = {"start": time(13), "end": time(15)}
    assert hold_for_quiet_hours(berlin(2026, 5, 1, 14), tz=BERLIN, **nap) == berlin(2026, 5, 1, 15)
    assert hold_for_quiet_hours(berlin(2026, 5, 1, 16), tz=BERLIN, **nap) == berlin(2026, 5, 1, 16)
    same = {"start": time(9), "end": time(9)}
    assert hold_for_quiet_hours(berlin(2026, 5, 1, 9), tz=BERLIN, **same) == berlin(2026, 5, 1, 9)


def test_the_end_of_quiet_hours_follows_a_dst_change():
    # Night of 28-29 March 2026: Berlin springs forward at 02:00. 08:00 local is 06:00 UTC.
    held = hold_for_quiet_hours(berlin(2026, 3, 28, 23), tz=BERLIN, **NIGHT)
    assert held == datetime(2026, 3, 29, 6, tzinfo=UTC)
    # Night of 24-25 October 2026: back to winter time. 08:00 local is 07:00 UTC.
    held = hold_for_quiet_hours(berlin(2026, 10, 24, 23), tz=BERLIN, **NIGHT)
    assert held == datetime(2026, 10, 25, 7, tzinfo=UTC)


def test_a_quiet_end_inside_the_skipped_hour_lands_after_it():
    early = {"start": time(0, 30), "end": time(2, 30)}  # 02:30 does not exist on 29 March
    held = hold_for_quiet_hours(berlin(2026, 3, 29, 1), tz=BERLIN, **early)
    assert held.astimezone(BERLIN).hour == 3


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
def test_never_earlier_never_inside_never_more_than_a_day(zone):
    tz = zoneinfo.ZoneInfo(zone)
    start_of_year = datetime(2026, 1, 1, tzinfo=UTC)
    windows = [
        (time(22), time(8)),
        (time(13), time(15)),
        (time(0), time(6)),
        (time(23, 30), time(0, 15)),
    ]
    for hours, (start, end) in itertools.product(range(0, 24 * 365, 7), windows):
        due = start_of_year + timedelta(hours=hours, minutes=hours % 60)
        held = hold_for_quiet_hours(due, tz=tz, start=start, end=end)
        assert due <= held <= due + timedelta(days=1)
        clock = held.astimezone(tz).time()
        inside = start <= clock < end if start < end else (clock >= start or clock < end)
        assert not inside, (due, held)
