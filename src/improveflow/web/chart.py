"""The chart of actions by state over time, drawn on the server as SVG geometry. Pure.

The template turns a `Chart` into an inline <svg> (no script, no external asset) with a
table of the same numbers beside it for screen readers and for anyone who prefers figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

T = TypeVar("T")

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
MAX_POINTS = 120  # days drawn at most; longer histories are sampled evenly
SERIES_CLASSES = 8  # the stylesheet colours series-0 ... series-7


@dataclass(frozen=True)
class Line:
    state: str
    label: str
    css: str
    points: str  # "x,y x,y ..." for <polyline points>
    latest: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    anchor: str = "end"  # SVG text-anchor: where the label sits against its position


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    table: list[tuple[date, list[int]]]  # sampled days, counts in the order of `lines`
    summary: str


def _nice_ceiling(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return step * 4
    magnitude = int(10 ** (len(str(value)) - 1))
    return -(-value // magnitude) * magnitude


def _sample(
    series: Sequence[tuple[date, Mapping[str, int]]], today: date
) -> list[tuple[date, Mapping[str, int]]]:
    """At most MAX_POINTS days, keeping the first and the last; each carries its counts."""
    days = list(series)
    if days and days[-1][0] < today:
        days.append((today, days[-1][1]))
    if len(days) <= MAX_POINTS:
        return days
    first, last = days[0][0], days[-1][0]
    span = (last - first).days
    picked: list[tuple[date, Mapping[str, int]]] = []
    index = 0
    for i in range(MAX_POINTS):
        wanted = first.toordinal() + round(span * i / (MAX_POINTS - 1))
        while index + 1 < len(days) and days[index + 1][0].toordinal() <= wanted:
            index += 1
        if not picked or picked[-1][0] != days[index][0]:
            picked.append((date.fromordinal(wanted), days[index][1]))
    return picked


def build_chart(
    series: Sequence[tuple[date, Mapping[str, int]]],
    states: Mapping[str, str],
    today: date,
) -> Chart | None:
    """The chart for `series` (day, counts by state), one line per state; None when empty."""
    days = _sample(series, today)
    if not days:
        return None
    names = [name for name in states if any(counts.get(name) for _, counts in days)]
    names += sorted({n for _, counts in days for n in counts if counts[n]} - set(names))
    top = _nice_ceiling(max(max(counts.get(n, 0) for n in names) for _, counts in days))
    first, last = days[0][0].toordinal(), max(days[-1][0].toordinal(), days[0][0].toordinal() + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day.toordinal() - first) / (last - first), 1)

    def y(value: int) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    lines = []
    for i, name in enumerate(names):
        points: list[str] = []
        previous: int | None = None
        for day, counts in days:
            value = counts.get(name, 0)
            if previous is not None and value != previous:
                points.append(f"{x(day)},{y(previous)}")  # a step: counts change on the day
            points.append(f"{x(day)},{y(value)}")
            previous = value
        lines.append(
            Line(
                state=name,
                label=states.get(name, name),
                css=f"series-{i % SERIES_CLASSES}",
                points=" ".join(points),
                latest=days[-1][1].get(name, 0),
            )
        )
    ordinals = sorted({first + round((last - first) * i / 4) for i in range(5)})
    x_ticks = [
        Tick(x(date.fromordinal(o)), f"{date.fromordinal(o):%d/%m/%y}", anchor)
        for o, anchor in zip(
            ordinals, ["start"] + ["middle"] * (len(ordinals) - 2) + ["end"], strict=False
        )
    ]
    y_ticks = [Tick(y(top * i // 4), str(top * i // 4)) for i in range(5)]
    latest = ", ".join(f"{line.latest} {line.label.lower()}" for line in lines)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        lines=lines,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        table=[(day, [counts.get(n, 0) for n in names]) for day, counts in _spread(days, 12)],
        summary=f"Actions by state from {days[0][0]:%d/%m/%Y} to {days[-1][0]:%d/%m/%Y}. "
        f"Now: {latest}.",
    )


def _spread(items: Sequence[T], most: int) -> list[T]:
    """Up to `most` items evenly spread, always with the first and the last."""
    if len(items) <= most:
        return list(items)
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]
