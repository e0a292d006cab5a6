"""The two-lane picture (you above, your partner below) as pure geometry: plain values that
the `picture` partial of checkins/timeline.html draws as SVG.

A check-in colours its author's lane from its time until the author's next check-in, until it
ages out (it stops being "current"), or until now, whichever comes first.
"""

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from checkins.models import State

LANE_STATES = [State.REGULATED, State.ACTIVATED, State.SHUTDOWN]
STATE_PATTERNS = {State.REGULATED: "", State.ACTIVATED: "dots", State.SHUTDOWN: "hatch"}


# Named tuples rather than frozen dataclasses: a week's picture makes hundreds of these per
# page, and a tuple is built several times faster.
class Segment(NamedTuple):
    x: float  # 0..1 across the window
    width: float
    state: str
    intensity: int
    at: datetime


# The picture's coordinate system: a 1000 x 300 viewBox with two lanes of 100 units, each
# with its name above it, and the time axis labels at the bottom.
WIDTH = 1000
HEIGHT = 300
LANE_HEIGHT = 100
LANE_TOPS = (40, 172)


class Rect(NamedTuple):
    """One segment drawn in its lane: intensity sets the bar's height."""

    x: float
    y: float
    width: float
    height: float
    state: str


@dataclass(frozen=True)
class Lane:
    label: str
    top: int
    segments: list[Segment]
    counts: dict[str, int]
    # The lane read out ("activated 4/5 from 09:12; ..."), for a picture shown as text too.
    text: str = ""

    @property
    def height(self) -> int:
        return LANE_HEIGHT

    @property
    def name_y(self) -> int:
        """Where the lane's name sits: just above it."""
        return self.top - 8

    @property
    def paths(self) -> list[tuple[str, str, str]]:
        """(state, SVG path data, pattern) with one path per state: the whole lane in three
        shapes, so a week of check-ins costs three elements rather than hundreds. The
        pattern (hatching, dots; none for regulated) tells the states apart without colour.
        The bars are `_bars`, written out here: this runs for both pictures on every
        timeline, check-in and poll with news."""
        shapes: dict[str, list[str]] = {}
        bottom = self.top + LANE_HEIGHT
        # A bar's top and height depend only on its intensity: written once per lane.
        levels: dict[int, tuple[str, str]] = {}
        for x, width, state, intensity, _ in self.segments:
            level = levels.get(intensity)
            if level is None:
                height = LANE_HEIGHT * intensity / 5
                level = f"{round(bottom - height, 2):g}", f"{round(height, 2):g}"
                levels[intensity] = level
            w = f"{max(round(width * WIDTH, 2), 2.0):g}"
            shape = shapes.get(state)
            if shape is None:
                shape = shapes[state] = []
            shape.append(f"M{round(x * WIDTH, 2):g} {level[0]}h{w}v{level[1]}h-{w}z")
        return [
            (state, "".join(shapes[state]), STATE_PATTERNS[state])
            for state in LANE_STATES
            if state in shapes
        ]

    @property
    def rects(self) -> list[Rect]:
        return [Rect(*bar) for bar in _bars(self.segments, self.top)]


def _bars(segments: list[Segment], top: int):
    """(x, y, width, height, state) of each segment's bar in viewBox units, to two decimals:
    intensity sets its height, and a bar is at least 2 units wide so a moment shows."""
    bottom = top + LANE_HEIGHT
    levels: dict[int, tuple[float, float]] = {}  # (y, height) by intensity
    for seg in segments:
        level = levels.get(seg.intensity)
        if level is None:
            height = LANE_HEIGHT * seg.intensity / 5
            level = levels[seg.intensity] = (round(bottom - height, 2), round(height, 2))
        yield (
            round(seg.x * WIDTH, 2),
            level[0],
            max(round(seg.width * WIDTH, 2), 2.0),
            level[1],
            seg.state,
        )


def lane_segments(
    checkins: list,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    max_age: timedelta,
    stamps: list[float] | None = None,
) -> list[Segment]:
    """Segments for one author's check-ins (oldest first) inside [start, end). In seconds
    since the epoch rather than datetimes: a picture is redrawn on every check-in and every
    poll with news, and datetime arithmetic was most of drawing it. `stamps` are the
    check-ins' times in those seconds, for a caller drawing several windows of one lane."""
    first, last, until = start.timestamp(), end.timestamp(), now.timestamp()
    span = last - first
    age = max_age.total_seconds()
    if stamps is None:
        stamps = lane_stamps(checkins)
    count = len(stamps)
    segments = []
    # Every check-in before the last one at or before `first` ends before the window
    # starts (its next one comes first), so drawing starts there.
    for index in range(max(bisect_right(stamps, first) - 1, 0), count):
        at = stamps[index]
        if at >= last:
            break  # oldest first: the rest start after the window too
        following = stamps[index + 1] if index + 1 < count else math.inf
        seg_start = at if at > first else first
        seg_end = min(at + age, until, last, following)
        if seg_end <= seg_start:
            continue
        checkin = checkins[index]
        # x, width, state, intensity, at: by position, which builds a named tuple about
        # twice as fast as by keyword (a week's lane holds a few hundred).
        segments.append(
            Segment(
                (seg_start - first) / span,
                (seg_end - seg_start) / span,
                checkin.state,
                checkin.intensity,
                checkin.occurred_at,
            )
        )
    return segments


def lane_stamps(checkins: list) -> list[float]:
    """The check-ins' times in seconds since the epoch, in their order."""
    return [checkin.occurred_at.timestamp() for checkin in checkins]


def lane_text(segments: list[Segment], tz: tzinfo) -> str:
    """The segments as words, each from its time in `tz` (as "%H:%M", written from the
    hour and minute: strftime was most of this, and today's picture reads out on every
    timeline, check-in and poll with news)."""
    words = []
    for seg in segments:
        at = seg.at.astimezone(tz)
        words.append(f"{seg.state} {seg.intensity}/5 from {at.hour:02d}:{at.minute:02d}")
    return "; ".join(words)


def build_lane(
    label: str,
    top: int,
    checkins: list,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    max_age: timedelta,
    text_tz: tzinfo | None = None,
    stamps: list[float] | None = None,
) -> Lane:
    """One author's lane (check-ins oldest first, with their `lane_stamps` if the caller has
    them); with `text_tz`, also read out as text in that zone."""
    if stamps is None:
        stamps = lane_stamps(checkins)
    inside = checkins[bisect_left(stamps, start.timestamp()) : bisect_left(stamps, end.timestamp())]
    counts = Counter(c.state for c in inside)
    segments = lane_segments(
        checkins, start=start, end=end, now=now, max_age=max_age, stamps=stamps
    )
    return Lane(
        label=label,
        top=top,
        segments=segments,
        counts={state.value: counts.get(state.value, 0) for state in LANE_STATES},
        text=lane_text(segments, text_tz) if text_tz is not None else "",
    )


def shading(
    windows: list[tuple[datetime, datetime | None]],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[tuple[float, float]]:
    """Mismatch windows (opened, resolved or still open) as (x, width) in viewBox units.
    In elapsed seconds, as the lanes are: a day the clocks change is 23 or 25 hours long."""
    first, last = start.timestamp(), end.timestamp()
    span = last - first
    shades = []
    for opened, resolved in windows:
        left = max(opened.timestamp(), first)
        right = min((resolved or now).timestamp(), last)
        if right > left:
            x = (left - first) / span * WIDTH
            width = max((right - left) / span * WIDTH, 2.0)
            shades.append((round(x, 2), round(width, 2)))
    return shades


def ticks(
    marks: list[tuple[datetime, str]], *, start: datetime, end: datetime
) -> list[tuple[int, str]]:
    """Axis labels at their moments, as (x in viewBox units, label): on a day the clocks
    change, 12:00 is not halfway through it."""
    first = start.timestamp()
    span = end.timestamp() - first
    return [(round((at.timestamp() - first) / span * WIDTH), label) for at, label in marks]


@dataclass(frozen=True)
class Picture:
    """One window of the two-lane picture: today, or the last seven days."""

    key: str
    title: str
    lanes: list[Lane]
    ticks: list[tuple[int, str]]  # (x in viewBox units, label)
    shades: list[tuple[float, float]]

    @property
    def description(self) -> str:
        """The picture in words, for screen readers."""
        words = [
            f"{lane.label}: {lane.counts['regulated']} regulated, "
            f"{lane.counts['activated']} activated, {lane.counts['shutdown']} shut down. "
            for lane in self.lanes
        ]
        if self.shades:
            n = len(self.shades)
            words.append(f"{n} moment{'' if n == 1 else 's'} out of sync, shaded.")
        return "".join(words)
