"""The two-lane picture (you above, your partner below) as pure geometry, and as SVG with
its caption, legend and text (`Picture`).

A check-in colours its author's lane from its time until the author's next check-in, until it
ages out (it stops being "current"), or until now, whichever comes first.
"""

import html
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from django.utils.safestring import SafeString

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

    def svg(self, key: str) -> str:
        """The lane's SVG elements: its name, its track and its paths, the patterns drawn
        from the picture `key`'s own definitions."""
        parts = [
            f'<text class="lanes__name" x="4" y="{self.name_y}">{html.escape(self.label)}</text>',
            f'<rect class="lanes__track" x="0" y="{self.top}" width="{WIDTH}" '
            f'height="{self.height}"/>',
        ]
        for state, d, pattern in self.paths:
            parts.append(f'<path class="lanes__seg lanes__seg--{state}" d="{d}"/>')
            if pattern:
                parts.append(f'<path class="lanes__pattern" fill="url(#{pattern}-{key})" d="{d}"/>')
        return "\n".join(parts)

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

    @property
    def svg(self) -> str:
        """The picture as one SVG element. Written here rather than in the template: a
        picture is a few dozen small elements, and as template nodes they cost a timeline
        page about a tenth of its time (see bench/). Every value is a number, a fixed word
        or escaped here."""
        key = self.key
        parts = [
            f'<svg class="lanes" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="picture-{key}-svgtitle picture-{key}-desc">',
            f'<title id="picture-{key}-svgtitle">{html.escape(self.title)}: '
            "you and your partner</title>",
            f'<desc id="picture-{key}-desc">{html.escape(self.description)}</desc>',
            f'<defs><pattern id="hatch-{key}" width="8" height="8" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><line class="lanes__hatch" x1="0" y1="0" x2="0" '
            f'y2="8"/></pattern><pattern id="dots-{key}" width="8" height="8" '
            'patternUnits="userSpaceOnUse"><circle class="lanes__dot" cx="4" cy="4" r="1.6"/>'
            "</pattern></defs>",
        ]
        parts.extend(
            f'<rect class="lanes__shade" x="{x}" y="28" width="{width}" height="252"/>'
            for x, width in self.shades
        )
        parts.extend(lane.svg(key) for lane in self.lanes)
        for x, label in self.ticks:
            parts.append(
                f'<line class="lanes__tick" x1="{x}" y1="36" x2="{x}" y2="270"/>\n'
                f'<text class="lanes__label" x="{x}" y="296" dx="4">{html.escape(label)}</text>'
            )
        parts.append("</svg>")
        return "\n".join(parts)

    @property
    def figure(self) -> SafeString:
        """The picture with its caption and legend, and today's also as text (the lanes
        read out), as the page shows it. Written here like the SVG, for the same reason;
        every value is escaped or built from escaped parts."""
        key = self.key
        shade = ""
        if self.shades:
            shade = '\n      <li><span class="legend-shade">Out of sync</span></li>'
        text = ""
        if key == "today":
            lines = "".join(
                f"\n        <p><strong>{html.escape(lane.label)}</strong>: "
                f"{html.escape(lane.text or 'no check-ins')}.</p>"
                for lane in self.lanes
            )
            text = (
                '\n    <details class="lanes__text">\n      <summary>Show as text</summary>'
                f"{lines}\n    </details>"
            )
        return SafeString(
            f'\n  <figure class="picture card" aria-labelledby="picture-{key}-title">\n'
            f'    <figcaption id="picture-{key}-title">{html.escape(self.title)}</figcaption>\n'
            f"    {self.svg}\n"
            '    <ul class="lanes__legend" aria-hidden="true">\n'
            '      <li><span class="state state--regulated">Regulated</span></li>\n'
            '      <li><span class="state state--activated">Activated</span></li>\n'
            f'      <li><span class="state state--shutdown">Shut down</span></li>{shade}\n'
            f"    </ul>{text}\n  </figure>"
        )
