"""The pure helpers, over their whole input space where it is small."""

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from checkins.lanes import LANE_HEIGHT, WIDTH, build_lane, lane_segments, shading, ticks
from checkins.presenters import day_label, days_of
from checkins.selectors import Cursor
from checkins.timeline import cursor_decode, cursor_encode

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def ci(hours: float, state: str = "regulated", intensity: int = 3):
    return SimpleNamespace(occurred_at=T0 + hours * H, state=state, intensity=intensity)


def test_a_checkin_lasts_until_the_next_one():
    segs = lane_segments(
        [ci(1, "activated"), ci(2, "shutdown")],
        start=T0,
        end=T0 + 24 * H,
        now=T0 + 3 * H,
        max_age=3 * H,
    )
    assert [(s.state, round(s.x * 24, 3), round(s.width * 24, 3)) for s in segs] == [
        ("activated", 1, 1),
        ("shutdown", 2, 1),  # cut at "now"
    ]


def test_a_checkin_ages_out_after_the_current_window():
    (seg,) = lane_segments([ci(1)], start=T0, end=T0 + 24 * H, now=T0 + 20 * H, max_age=3 * H)
    assert round(seg.width * 24, 3) == 3


def test_a_checkin_before_the_window_colours_its_start():
    (seg,) = lane_segments([ci(-1)], start=T0, end=T0 + 24 * H, now=T0 + 20 * H, max_age=3 * H)
    assert (seg.x, round(seg.width * 24, 3)) == (0, 2)


def test_aged_out_before_the_window_draws_nothing():
    assert lane_segments([ci(-5)], start=T0, end=T0 + 24 * H, now=T0 + 20 * H, max_age=3 * H) == []


@pytest.mark.parametrize("intensity", [1, 2, 3, 4, 5])
def test_intensity_sets_the_bar_height(intensity):
    lane = build_lane(
        "You",
        40,
        [ci(1, intensity=intensity)],
        start=T0,
        end=T0 + 24 * H,
        now=T0 + 2 * H,
        max_age=3 * H,
    )
    (rect,) = lane.rects
    assert rect.height == LANE_HEIGHT * intensity / 5
    assert rect.y + rect.height == 40 + LANE_HEIGHT
    assert lane.counts == {"regulated": 1, "activated": 0, "shutdown": 0}


def test_the_drawn_paths_are_the_bars():
    """Lane.paths writes the bars out itself (it runs for every picture); what it draws must
    be `rects`, the geometry the tests above pin: each bar at its place and height, a
    moment at least 2 units wide, one path per state in the lanes' order."""
    states = ["activated", "regulated", "shutdown", "regulated", "activated", "shutdown"]
    checkins = [
        ci(hours, state, intensity)
        for hours, state, intensity in zip(
            [0.5, 1.25, 2.0001, 2.0002, 7.77, 13.1], states, [5, 1, 3, 2, 4, 1], strict=True
        )
    ]
    lane = build_lane(
        "You", 172, checkins, start=T0, end=T0 + 24 * H, now=T0 + 14 * H, max_age=3 * H
    )
    drawn = {
        state: re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-\3z", d)
        for state, d, _ in lane.paths
    }
    assert list(drawn) == ["regulated", "activated", "shutdown"]
    for state, bars in drawn.items():
        expected = [
            (f"{r.x:g}", f"{r.y:g}", f"{r.width:g}", f"{r.height:g}")
            for r in lane.rects
            if r.state == state
        ]
        assert bars == expected
    assert any(r.width == 2.0 for r in lane.rects)  # the one-second check-in still shows


def test_cursor_round_trips_to_the_microsecond():
    cursor = Cursor(at=datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC), id=42)
    assert cursor_decode(cursor_encode(cursor)) == cursor


@pytest.mark.parametrize(
    "raw", ["", "abc", "123", "1.x", "-5.3", "1e5.3", "9" * 40 + ".1", "12.", ".12", "1.2.3"]
)
def test_garbage_cursors_are_rejected(raw):
    assert cursor_decode(raw) is None


def test_days_follow_the_viewers_time_zone():
    late = SimpleNamespace(occurred_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    early = SimpleNamespace(occurred_at=datetime(2026, 11, 22, 14, 0, tzinfo=UTC))
    tokyo = days_of([late, early], tz=zoneinfo.ZoneInfo("Asia/Tokyo"), today=date(2026, 11, 23))
    assert [(d.date, len(d.entries)) for d in tokyo] == [
        (date(2026, 11, 23), 1),
        (date(2026, 11, 22), 1),
    ]
    london = days_of([late, early], tz=zoneinfo.ZoneInfo("Europe/London"), today=date(2026, 11, 23))
    assert [(d.date, len(d.entries)) for d in london] == [(date(2026, 11, 22), 2)]


def test_day_labels():
    today = date(2026, 11, 23)
    assert day_label(today, today) == "Today"
    assert day_label(date(2026, 11, 22), today) == "Yesterday"
    assert day_label(date(2026, 11, 19), today) == "Thursday"
    assert day_label(date(2026, 10, 1), today) == "Thursday 1 October"
    assert day_label(date(2025, 10, 1), today) == "Wednesday 1 October 2025"


def test_mismatch_windows_are_clipped_to_the_picture():
    end = T0 + 24 * H
    windows = [(T0 - 2 * H, T0 + 6 * H), (T0 + 18 * H, None), (T0 - 5 * H, T0 - 4 * H)]
    shades = shading(windows, start=T0, end=end, now=T0 + 21 * H)
    assert shades == [(0.0, 250.0), (750.0, 125.0)]


BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "day,hours",
    [(date(2026, 10, 25), 25), (date(2026, 3, 29), 23), (date(2026, 11, 24), 24)],
)
def test_a_day_the_clocks_change_is_drawn_in_elapsed_time(day, hours):
    """The shading, the hour ticks and the lanes agree on where a moment is, on a day of 25
    or 23 hours as on any other."""
    start = datetime.combine(day, time(0), tzinfo=BERLIN)
    end = start + timedelta(days=1)
    noon = datetime.combine(day, time(12), tzinfo=BERLIN)
    elapsed = (noon.timestamp() - start.timestamp()) / 3600
    x = round(elapsed / hours * WIDTH, 2)

    [(shade_x, _)] = shading([(noon.astimezone(UTC), None)], start=start, end=end, now=end)
    assert shade_x == x
    assert ticks([(noon, "12:00")], start=start, end=end) == [(round(x), "12:00")]
    checkin = SimpleNamespace(occurred_at=noon.astimezone(UTC), state="activated", intensity=3)
    [segment] = lane_segments([checkin], start=start, end=end, now=end, max_age=H)
    assert round(segment.x * WIDTH, 2) == x
    # A mismatch still open at the day's last hour (in UTC, as the database gives it) stays
    # inside the picture.
    late = datetime.combine(day, time(23), tzinfo=BERLIN).astimezone(UTC)
    now = end.astimezone(UTC)
    [(late_x, late_width)] = shading([(late, None)], start=start, end=end, now=now)
    assert late_x + late_width == pytest.approx(WIDTH)
