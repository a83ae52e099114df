"""A workflow's states and changes, laid out on the server as SVG geometry. Pure.

The template turns a `Diagram` into an inline <svg> (no script, nothing loaded from
elsewhere) with a title and a description; the table of changes beside it says the same in
words. States flow down the page in the order an action reaches them from the initial state;
each change is an arrow labelled with what it is and who decides it. Arrows between the same
two states bend apart, arrows bend around states in their way, and each label takes the first
place along its arrow that no other label or state covers.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from improveflow.workflow.definition import Workflow

BOX_WIDTH, BOX_HEIGHT = 150, 44
COLUMN_PITCH, ROW_PITCH = 330, 150  # centre to centre
LINE_HEIGHT = 15  # of the 12px arrow labels
CHAR_WIDTH = 7.0  # a generous average for 12px sans-serif, so labels never overrun
STATE_CHAR_WIDTH = 8.6  # for the 15px state labels
LABEL_WRAP = 24  # characters per line of an arrow's label
STATE_WRAP = 16
MARGIN = 14
LOOP_REACH = 48  # how far a change that keeps the state loops out from its box


@dataclass(frozen=True)
class Rect:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Rect) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )

    def grown(self, by: float) -> Rect:
        return Rect(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def holds(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float
    y: float  # baseline


@dataclass(frozen=True)
class StateBox:
    name: str
    label: str
    x: float
    y: float
    width: float
    height: float
    initial: bool
    final: bool
    lines: tuple[TextLine, ...]


@dataclass(frozen=True)
class Arrow:
    trigger: str
    source: str
    dest: str
    path: str  # the d attribute of an SVG <path>
    anchor: str  # text-anchor of its label: start, middle or end
    lines: tuple[TextLine, ...]


@dataclass(frozen=True)
class Diagram:
    view_box: str
    width: float
    height: float
    states: tuple[StateBox, ...]
    arrows: tuple[Arrow, ...]
    start: tuple[float, float]  # the dot the initial state is reached from
    start_path: str
    description: str


def draw(workflow: Workflow, deciders: Mapping[str, str]) -> Diagram:
    """Lay out `workflow`; `deciders` gives, per trigger, who decides it ('CMT decides')."""
    places = _places(workflow)
    boxes = {
        name: Rect(x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2, x + BOX_WIDTH / 2, y + BOX_HEIGHT / 2)
        for name, (x, y) in places.items()
    }
    taken: list[Rect] = [box.grown(4) for box in boxes.values()]
    extent: list[Rect] = list(boxes.values())
    moves = [
        (t.trigger, source, t.destination_from(source))
        for t in workflow.transitions.values()
        for source in t.sources
    ]
    pairs = {(source, dest) for _, source, dest in moves}
    loops_at: dict[str, int] = {}
    arrows = []
    for trigger, source, dest in moves:
        transition = workflow.transitions[trigger]
        words = _wrap(transition.label, LABEL_WRAP) + _wrap(deciders.get(trigger, ""), LABEL_WRAP)
        if source == dest:
            side = loops_at.get(source, 0)
            loops_at[source] = side + 1
            arrow, reach = _loop(trigger, source, boxes[source], side, words, taken)
        else:
            bend = 34.0 if (dest, source) in pairs else 0.0
            arrow, reach = _curve(trigger, source, dest, boxes, bend, words, taken)
        arrows.append(arrow)
        extent.extend(reach)
    initial = boxes[workflow.initial]
    dot = ((initial.left + initial.right) / 2, initial.top - 36)
    extent.append(Rect(dot[0] - 8, dot[1] - 8, dot[0] + 8, dot[1] + 8))
    whole = Rect(
        min(r.left for r in extent) - MARGIN,
        min(r.top for r in extent) - MARGIN,
        max(r.right for r in extent) + MARGIN,
        max(r.bottom for r in extent) + MARGIN,
    )
    width, height = whole.right - whole.left, whole.bottom - whole.top
    return Diagram(
        view_box=f"{_n(whole.left)} {_n(whole.top)} {_n(width)} {_n(height)}",
        width=round(width),
        height=round(height),
        states=tuple(
            _state_box(workflow, name, boxes[name]) for name in workflow.states if name in boxes
        ),
        arrows=tuple(arrows),
        start=(round(dot[0], 1), round(dot[1], 1)),
        start_path=f"M {_n(dot[0])} {_n(dot[1] + 7)} L {_n(dot[0])} {_n(initial.top - 2)}",
        description=_description(workflow),
    )


def _places(workflow: Workflow) -> dict[str, tuple[float, float]]:
    """Each state's centre: rows by how many changes it takes to reach from the initial."""
    depth = {workflow.initial: 0}
    queue = [workflow.initial]
    while queue:
        state = queue.pop(0)
        for t in workflow.transitions.values():
            if state in t.sources:
                dest = t.destination_from(state)
                if dest not in depth:
                    depth[dest] = depth[state] + 1
                    queue.append(dest)
    for name in workflow.states:  # states no change leads to, last
        depth.setdefault(name, max(depth.values()) + 1)
    rows: dict[int, list[str]] = {}
    for name in depth:
        rows.setdefault(depth[name], []).append(name)
    return {
        name: (column * COLUMN_PITCH, row * ROW_PITCH)
        for row, names in rows.items()
        for column, name in enumerate(names)
    }


def _state_box(workflow: Workflow, name: str, box: Rect) -> StateBox:
    state = workflow.states[name]
    lines = _wrap(state.label, STATE_WRAP)
    centre_x, centre_y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    first = centre_y + 5 - (len(lines) - 1) * 9
    return StateBox(
        name=name,
        label=state.label,
        x=box.left,
        y=box.top,
        width=box.right - box.left,
        height=box.bottom - box.top,
        initial=name == workflow.initial,
        final=state.final,
        lines=tuple(
            TextLine(line, round(centre_x, 1), round(first + i * 18, 1))
            for i, line in enumerate(lines)
        ),
    )


def _curve(
    trigger: str,
    source: str,
    dest: str,
    boxes: Mapping[str, Rect],
    bend: float,
    words: list[str],
    taken: list[Rect],
) -> tuple[Arrow, list[Rect]]:
    """A quadratic curve from box to box, bent by `bend` to its left as it travels."""
    a, b = _centre(boxes[source]), _centre(boxes[dest])
    length = math.dist(a, b)
    normal = ((b[1] - a[1]) / length, (a[0] - b[0]) / length)
    others = [box.grown(6) for name, box in boxes.items() if name not in (source, dest)]
    for extra in (0.0, 45.0, -45.0, 90.0, -90.0, 135.0, -135.0):
        control = _control(a, b, normal, bend + extra)
        if not any(box.holds(*point) for point in _samples(a, control, b) for box in others):
            break
    start = _edge_point(boxes[source], a, control)
    end = _edge_point(boxes[dest], b, control)
    side = normal if bend + extra >= 0 else (-normal[0], -normal[1])
    anchor, lines, area = _place_label(words, start, control, end, side, taken)
    path = f"M {_point(start)} Q {_point(control)} {_point(end)}"
    points = [start, end, *_samples(start, control, end)]
    curve = Rect(
        min(p[0] for p in points),
        min(p[1] for p in points),
        max(p[0] for p in points),
        max(p[1] for p in points),
    )
    return Arrow(trigger, source, dest, path, anchor, lines), [area, curve]


def _loop(
    trigger: str, state: str, box: Rect, side: int, words: list[str], taken: list[Rect]
) -> tuple[Arrow, list[Rect]]:
    """A change that keeps the state: a loop out of the box's left side (then its right)."""
    centre_y = (box.top + box.bottom) / 2
    edge, out, anchor = (box.left, -1, "end") if side % 2 == 0 else (box.right, 1, "start")
    reach = LOOP_REACH + 30 * (side // 2)
    path = (
        f"M {_n(edge)} {_n(centre_y - 10)} "
        f"C {_n(edge + out * reach)} {_n(centre_y - 36)} {_n(edge + out * reach)} "
        f"{_n(centre_y + 36)} {_n(edge + out * 2)} {_n(centre_y + 10)}"
    )
    x = edge + out * (reach * 0.75 + 8)
    lines, area = _text_block(words, x, centre_y, anchor, "centre")
    taken.append(area.grown(3))
    loop_area = Rect(min(edge, x), centre_y - 36, max(edge, x), centre_y + 36)
    return Arrow(trigger, state, state, path, anchor, lines), [area, loop_area]


def _place_label(
    words: list[str],
    start: tuple[float, float],
    control: tuple[float, float],
    end: tuple[float, float],
    side: tuple[float, float],
    taken: list[Rect],
) -> tuple[str, tuple[TextLine, ...], Rect]:
    """The first spot along the arrow, on either side, where the label covers nothing."""
    first: tuple[str, tuple[TextLine, ...], Rect] | None = None
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75):
        for sign in (1, -1):
            nx, ny = side[0] * sign, side[1] * sign
            px, py = _at(start, control, end, t)
            x, y = px + nx * 9, py + ny * 9
            if abs(ny) >= abs(nx):
                anchor, rows = "middle", "above" if ny < 0 else "below"
            else:
                anchor, rows = ("start" if nx > 0 else "end"), "centre"
            lines, area = _text_block(words, x, y, anchor, rows)
            found = (anchor, lines, area)
            if first is None:
                first = found
            if not any(area.overlaps(other) for other in taken):
                taken.append(area.grown(3))
                return found
    assert first is not None
    taken.append(first[2].grown(3))
    return first


def _text_block(
    words: list[str], x: float, y: float, anchor: str, rows: str
) -> tuple[tuple[TextLine, ...], Rect]:
    """Lines of label text at (x, y) and the area they cover."""
    width = max((len(line) for line in words), default=0) * CHAR_WIDTH
    height = len(words) * LINE_HEIGHT
    top = {"above": y - height, "below": y, "centre": y - height / 2}[rows]
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    lines = tuple(
        TextLine(line, round(x, 1), round(top + (i + 1) * LINE_HEIGHT - 3.5, 1))
        for i, line in enumerate(words)
    )
    return lines, Rect(left, top, left + width, top + height)


def _description(workflow: Workflow) -> str:
    names = []
    for state in workflow.states.values():
        notes = []
        if state.name == workflow.initial:
            notes.append("where every action starts")
        if state.final:
            notes.append("final")
        names.append(f"{state.label} ({', '.join(notes)})" if notes else state.label)
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return (
        f"{len(names)} states: {listed}. Each arrow is a change from one state to another, "
        "labelled with what it is and who decides it; an arrow that loops back to its state "
        "is a change that keeps the state, such as a new target date."
    )


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) if text else []


def _centre(box: Rect) -> tuple[float, float]:
    return ((box.left + box.right) / 2, (box.top + box.bottom) / 2)


def _control(
    a: tuple[float, float], b: tuple[float, float], normal: tuple[float, float], bend: float
) -> tuple[float, float]:
    # The curve passes `bend` from the straight line at its middle: twice that at the control.
    middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    return (middle[0] + normal[0] * bend * 2, middle[1] + normal[1] * bend * 2)


def _at(
    a: tuple[float, float], c: tuple[float, float], b: tuple[float, float], t: float
) -> tuple[float, float]:
    u = 1 - t
    return (
        u * u * a[0] + 2 * u * t * c[0] + t * t * b[0],
        u * u * a[1] + 2 * u * t * c[1] + t * t * b[1],
    )


def _samples(
    a: tuple[float, float], c: tuple[float, float], b: tuple[float, float]
) -> Iterator[tuple[float, float]]:
    for step in range(1, 20):
        yield _at(a, c, b, step / 20)


def _edge_point(
    box: Rect, centre: tuple[float, float], towards: tuple[float, float]
) -> tuple[float, float]:
    """Where a line from the box's centre towards `towards` leaves the box (plus a gap)."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    half_w, half_h = (box.right - box.left) / 2 + 3, (box.bottom - box.top) / 2 + 3
    scale = min(
        half_w / abs(dx) if dx else math.inf,
        half_h / abs(dy) if dy else math.inf,
    )
    return (centre[0] + dx * scale, centre[1] + dy * scale)


def _point(point: tuple[float, float]) -> str:
    return f"{_n(point[0])} {_n(point[1])}"


def _n(value: float) -> str:
    """A coordinate as short text: '12.5', '-3', never '12.500000001'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
