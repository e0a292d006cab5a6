"""The patterns over weeks as pictures and words: plain values from `checkins.patterns`'
counts that templates/checkins/partials/patterns.html draws as SVG, each picture with a
table or sentences that say the same, and a short reading in plain words.

The reading speaks of the couple, never of one partner: it names nobody, uses no pronouns,
and says what the counts show, not why.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from checkins.lanes import LANE_STATES, STATE_PATTERNS
from checkins.models import STRESSORS, State
from checkins.patterns import Patterns, median

WIDTH = 1000
LEFT = 110  # room for the row names
PLOT = WIDTH - LEFT - 10
TAG_PLOT = WIDTH - 250 - 10
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKEND = (6, 7)
# Parts of the day for the reading; evenings are where the source material expects most.
DAY_PARTS = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))
# Below these the stressor ratio says nothing: a tag on 2 of 4 check-ins is 50 %.
MIN_GROUP = 10
MIN_TAGGED = 3
# The settling picture's scale, in minutes: log, from 5 minutes to a week.
SETTLE_MIN, SETTLE_MAX = 5, 7 * 24 * 60
SETTLE_TICKS = ((15, "15 min"), (60, "1 h"), (240, "4 h"), (1440, "1 day"), (10080, "1 week"))


def duration_words(minutes: float | None) -> str:
    if minutes is None:
        return ""
    minutes = round(minutes)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    day_word = "day" if days == 1 else "days"
    return f"{days} {day_word} {hours} h" if hours else f"{days} {day_word}"


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass(frozen=True)
class Axis:
    """Weekly columns across the plot, and which of them carry a date label."""

    weeks: list[date]

    @property
    def step(self) -> float:
        return PLOT / max(len(self.weeks), 1)

    def x(self, index: int) -> float:
        return round(LEFT + index * self.step, 2)

    @property
    def bar(self) -> float:
        return round(max(self.step * 0.78, 2), 2)

    @property
    def labels(self) -> list[tuple[float, date]]:
        every = max(1, math.ceil(len(self.weeks) / 7))
        return [(self.x(i), week) for i, week in enumerate(self.weeks) if i % every == 0]


def _bar(x: float, y: float, width: float, height: float) -> str:
    return f"M{x:g} {round(y, 2):g}h{width:g}v{round(height, 2):g}h-{width:g}z"


@dataclass
class StatesChart:
    """Share of each state per week, one row per partner: a column stacks regulated,
    activated and shut down in proportion to that week's check-ins."""

    axis: Axis
    rows: list[dict]
    height: int
    table: list[dict]


def states_chart(patterns: Patterns, names: dict[int, str]) -> StatesChart:
    axis = Axis(patterns.period.weeks)
    rows, row_height, gap = [], 90, 44
    for r, author in enumerate(patterns.partners):
        top = 34 + r * (row_height + gap)
        bottom = top + row_height
        shapes = {state: [] for state in LANE_STATES}
        by_week = patterns.states.get(author, {})
        totals = dict.fromkeys(LANE_STATES, 0)
        for i, week in enumerate(axis.weeks):
            counts = by_week.get(week, {})
            n = sum(counts.values())
            y = bottom
            for state in LANE_STATES:
                part = counts.get(state, 0)
                totals[state] += part
                if part:
                    h = row_height * part / n
                    y -= h
                    shapes[state].append(_bar(axis.x(i), y, axis.bar, h))
        total = sum(totals.values())
        rows.append(
            {
                "name": names.get(author, "Partner"),
                "top": top,
                "name_y": top - 10,
                "height": row_height,
                "paths": [
                    (state, "".join(shapes[state]), STATE_PATTERNS[state])
                    for state in LANE_STATES
                    if shapes[state]
                ],
                "total": total,
                "shares": [
                    (State(s).label.lower(), percent(totals[s], total)) for s in LANE_STATES
                ],
            }
        )
    table = []
    for week in axis.weeks:
        cells = []
        for author in patterns.partners:
            counts = patterns.states.get(author, {}).get(week, {})
            n = sum(counts.values())
            cells.append(
                {
                    "n": n,
                    "shares": [
                        (State(s).label.lower(), percent(counts.get(s, 0), n)) for s in LANE_STATES
                    ],
                }
            )
        table.append({"week": week, "cells": cells})
    height = 34 + len(patterns.partners) * (row_height + gap) - gap + 30
    return StatesChart(axis=axis, rows=rows, height=height, table=table)


@dataclass
class HeatChart:
    """Flags by weekday (rows) and hour of the day (columns) they opened in."""

    cells: list[tuple[float, float, int, int]]  # x, y, count, level 1-4
    rows: list[tuple[float, str]]
    hours: list[tuple[float, int]]
    table: list[tuple[str, list[int]]]
    cell_width: float
    cell_height: int
    height: int
    summary: str
    top: int = 34

    @property
    def grid_height(self) -> int:
        return 7 * self.cell_height


def heat_chart(patterns: Patterns) -> HeatChart:
    cell_w, cell_h, top = round(PLOT / 24, 2), 36, 34
    busiest = max(patterns.flag_times.values(), default=0)
    cells = []
    for (day, hour), n in sorted(patterns.flag_times.items()):
        level = max(1, math.ceil(4 * n / busiest))
        cells.append((round(LEFT + hour * cell_w, 2), top + (day - 1) * cell_h, n, level))
    table = [
        (name, [patterns.flag_times.get((d, h), 0) for h in range(24)])
        for d, name in enumerate(WEEKDAYS, start=1)
    ]
    return HeatChart(
        cells=cells,
        rows=[(top + i * cell_h + cell_h / 2 + 9, name) for i, name in enumerate(WEEKDAYS)],
        hours=[(round(LEFT + h * cell_w, 2), h) for h in range(0, 24, 3)],
        table=table,
        cell_width=cell_w,
        cell_height=cell_h,
        height=top + 7 * cell_h + 4,
        summary=_when_words(patterns) or "No flags in this period.",
    )


@dataclass
class StressorChart:
    """Each tag's share of check-ins at flagged moments beside its share of calm ones."""

    rows: list[dict]
    at_flags: int
    calm: int
    enough: bool
    height: int
    # Tag names are longer than weekdays: this picture's bars start further right.
    left: int = 250
    plot: int = TAG_PLOT


def stressor_chart(patterns: Patterns) -> StressorChart:
    enough = patterns.at_flags >= MIN_GROUP and patterns.calm >= MIN_GROUP
    rows = []
    for key, label in STRESSORS.items():
        flagged = patterns.stressors_at_flags.get(key, 0)
        calm = patterns.stressors_calm.get(key, 0)
        if not flagged and not calm:
            continue
        flag_share = flagged / patterns.at_flags if patterns.at_flags else 0
        calm_share = calm / patterns.calm if patterns.calm else 0
        ratio = None
        if enough and flagged >= MIN_TAGGED and calm_share:
            ratio = round(flag_share / calm_share, 1)
        rows.append(
            {
                "label": label,
                "flagged": flagged,
                "calm": calm,
                "flag_percent": percent(flagged, patterns.at_flags),
                "calm_percent": percent(calm, patterns.calm),
                "flag_width": round(TAG_PLOT * flag_share, 2),
                "calm_width": round(TAG_PLOT * calm_share, 2),
                "ratio": ratio,
                "only_at_flags": enough and flagged >= MIN_TAGGED and not calm,
            }
        )
    rows.sort(key=lambda r: (-(r["ratio"] or 0), -r["flag_percent"], r["label"]))
    row_height = 40
    for i, row in enumerate(rows):
        row["y"] = 10 + i * row_height
        row["label_y"] = row["y"] + 20
    return StressorChart(
        rows=rows,
        at_flags=patterns.at_flags,
        calm=patterns.calm,
        enough=enough,
        height=10 + len(rows) * row_height + 4,
    )


def _settle_y(minutes: float, top: int, height: int) -> float:
    clamped = min(max(minutes, SETTLE_MIN), SETTLE_MAX)
    share = math.log(clamped / SETTLE_MIN) / math.log(SETTLE_MAX / SETTLE_MIN)
    return round(top + height * (1 - share), 2)


@dataclass
class SettleChart:
    """Per week, the shortest to the longest time from a flag to both regulated, and the
    median as a dot."""

    axis: Axis
    marks: list[dict]
    ticks: list[tuple[float, str]]
    table: list[dict]
    still_open: int
    height: int = 260


def settle_chart(patterns: Patterns) -> SettleChart:
    axis = Axis(patterns.period.weeks)
    top, height = 16, 200
    marks, table = [], []
    for i, week in enumerate(axis.weeks):
        minutes = patterns.settled.get(week)
        if not minutes:
            continue
        middle = median(minutes)
        cx = round(axis.x(i) + axis.bar / 2, 2)
        marks.append(
            {
                "x": cx,
                "y1": _settle_y(minutes[-1], top, height),
                "y2": _settle_y(minutes[0], top, height),
                "cy": _settle_y(middle, top, height),
            }
        )
        table.append(
            {
                "week": week,
                "n": len(minutes),
                "median": duration_words(middle),
                "shortest": duration_words(minutes[0]),
                "longest": duration_words(minutes[-1]),
            }
        )
    return SettleChart(
        axis=axis,
        marks=marks,
        ticks=[(_settle_y(m, top, height), label) for m, label in SETTLE_TICKS],
        table=table,
        still_open=patterns.still_open,
    )


@dataclass
class RevisitChart:
    """Revisits per week by what became of them, the weeks' moves, and the average "how
    did it go" answer (1-5) as a dot below."""

    axis: Axis
    paths: list[tuple[str, str]]
    moved: list[tuple[float, int]]
    ratings: list[tuple[float, float, float]]
    table: list[dict]
    top: int = 16
    bar_height: int = 110
    height: int = 318

    @property
    def moved_y(self) -> int:
        return self.top + self.bar_height + 30

    @property
    def rating_label_y(self) -> int:
        return self.moved_y + 42

    @property
    def rating_top(self) -> int:
        return self.rating_label_y + 20

    @property
    def rating_ticks(self) -> list[tuple[float, int]]:
        return [(self._rating_y(r), r) for r in (1, 3, 5)]

    def _rating_y(self, rating: float) -> float:
        return round(self.rating_top + 90 * (5 - rating) / 4, 2)


def revisit_chart(patterns: Patterns) -> RevisitChart:
    axis = Axis(patterns.period.weeks)
    chart = RevisitChart(axis=axis, paths=[], moved=[], ratings=[], table=[])
    busiest = max((row["agreed"] for row in patterns.revisits.values()), default=0) or 1
    bottom = chart.top + chart.bar_height
    shapes = {"kept": [], "missed": [], "open": []}
    for i, week in enumerate(axis.weeks):
        row = patterns.revisits.get(week)
        if not row or not (row["agreed"] or row["answers"]):
            continue
        parts = {
            "kept": row["kept"],
            "missed": row["missed"],
            "open": row["agreed"] - row["kept"] - row["missed"],
        }
        y = bottom
        for kind, n in parts.items():
            if n:
                h = chart.bar_height * n / busiest
                y -= h
                shapes[kind].append(_bar(axis.x(i), y, axis.bar, h))
        cx = round(axis.x(i) + axis.bar / 2, 2)
        if row["moved"]:
            chart.moved.append((cx, row["moved"]))
        if row["rating"] is not None:
            chart.ratings.append((cx, chart._rating_y(row["rating"]), round(row["rating"], 1)))
        chart.table.append({"week": week, **row})
    chart.paths = [(kind, "".join(d)) for kind, d in shapes.items() if d]
    return chart


@dataclass
class PatternsView:
    patterns: Patterns
    states: StatesChart
    heat: HeatChart
    stressors: StressorChart
    settle: SettleChart
    revisits: RevisitChart
    reading: list[str] = field(default_factory=list)
    totals: dict = field(default_factory=dict)


def _revisit_totals(patterns: Patterns) -> dict:
    totals = dict.fromkeys(("agreed", "kept", "moved", "missed", "answers"), 0)
    for row in patterns.revisits.values():
        for key in totals:
            totals[key] += row[key]
    return totals


def _when_words(patterns: Patterns) -> str | None:
    """Where most flags fall: weekdays or weekends, and the part of the day."""
    buckets: dict[tuple[str, str], int] = {}
    for (day, hour), n in patterns.flag_times.items():
        days = "weekend" if day in WEEKEND else "weekday"
        part = next(name for name, start, end in DAY_PARTS if start <= hour < end)
        buckets[(days, part)] = buckets.get((days, part), 0) + n
    if not buckets:
        return None
    (days, part), n = max(buckets.items(), key=lambda item: (item[1], item[0]))
    total = patterns.flags
    phrase = f"{days} {part}s" if part != "night" else f"{days} nights"
    if n * 2 > total:
        return f"Most moments out of sync came on {phrase} ({n} of {total})."
    return f"Flags came at many times; {phrase} had the most ({n} of {total})."


def reading(
    patterns: Patterns, *, couple_words: str, stressors: StressorChart | None = None
) -> list[str]:
    """A few plain sentences on the period, for the couple (`couple_words` "you") or their
    therapist ("the couple")."""
    flags, sentences = patterns.flags, []
    subject = couple_words[0].upper() + couple_words[1:]
    if not patterns.checkins and not flags and not patterns.revisits:
        return [
            "Nothing in this period yet. Patterns show once there are a few weeks of check-ins."
        ]
    if not flags:
        sentences.append("No moments out of sync in this period.")
    else:
        noun = "moment" if flags == 1 else "moments"
        sentences.append(f"{flags} {noun} out of sync in this period.")
        if flags >= 3:
            sentences.append(_when_words(patterns))
        settled = sorted(m for week in patterns.settled.values() for m in week)
        if settled:
            within_hour = sum(1 for m in settled if m <= 60)
            if within_hour * 2 > len(settled):
                sentences.append(
                    f"Most of them settled within an hour ({within_hour} of {len(settled)})."
                )
            else:
                sentences.append(f"Half of them settled within {duration_words(median(settled))}.")
        first, second = patterns.flags_first_half, patterns.flags_second_half
        if flags >= 4:
            if second * 3 <= first * 2:
                sentences.append(
                    f"There were fewer in the second half of the period ({first}, then {second})."
                )
            elif first * 3 <= second * 2:
                sentences.append(
                    f"There were more in the second half of the period ({first}, then "
                    f"{second}). Demanding weeks often bring more; it is a season, not a "
                    "verdict."
                )
    if patterns.checkins:
        regulated = sum(
            weeks.get(State.REGULATED, 0)
            for by_week in patterns.states.values()
            for weeks in by_week.values()
        )
        n = patterns.checkins
        sentences.append(
            f"Of the {n} check-ins, {percent(regulated, n)}% were regulated."
            if n > 1
            else f"One check-in, {'' if regulated else 'not '}regulated."
        )
    chart = stressors or stressor_chart(patterns)
    strongest = next((row for row in chart.rows if row["ratio"] and row["ratio"] >= 1.5), None)
    if strongest:
        sentences.append(
            f"{strongest['label']} came up more often around flags than at calm times: "
            "something to talk about, not a cause."
        )
    totals = _revisit_totals(patterns)
    if totals["agreed"]:
        sentences.append(
            f"{subject} agreed on {totals['agreed']} "
            f"revisit{'s' if totals['agreed'] != 1 else ''} and kept {totals['kept']}."
        )
    return sentences


def patterns_view(patterns: Patterns, *, names: dict[int, str], couple_words: str):
    """Every picture of the patterns page, and the reading."""
    stressors = stressor_chart(patterns)
    return PatternsView(
        patterns=patterns,
        states=states_chart(patterns, names),
        heat=heat_chart(patterns),
        stressors=stressors,
        settle=settle_chart(patterns),
        revisits=revisit_chart(patterns),
        reading=reading(patterns, couple_words=couple_words, stressors=stressors),
        totals=_revisit_totals(patterns),
    )
