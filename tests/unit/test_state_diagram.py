"""The server-drawn diagram: every state and move drawn, nothing on top of a state, all inside."""

from __future__ import annotations

import re

import pytest

from improveflow.resources import bundled_dir
from improveflow.web.state_diagram import CHAR_WIDTH, LINE_HEIGHT, Diagram, TextLine, draw
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import load_workflow, parse_workflow

Box = tuple[float, float, float, float]


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(bundled_dir("workflows") / "improvement_action.yaml")


def _boxes(diagram: Diagram) -> dict[str, Box]:
    return {s.name: (s.x, s.y, s.x + s.width, s.y + s.height) for s in diagram.states}


def _label_box(lines: tuple[TextLine, ...], anchor: str) -> Box:
    texts = [(line.text, line.x, line.y) for line in lines]
    width = max(len(text) for text, _, _ in texts) * CHAR_WIDTH
    x = texts[0][1]
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (left, texts[0][2] - LINE_HEIGHT + 3.5, left + width, texts[-1][2] + 3.5)


def _overlap(a: Box, b: Box) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def test_every_state_and_move_is_drawn(workflow: Workflow) -> None:
    """One box per state with its label, one arrow per move, labelled with who decides."""
    diagram = draw(workflow, {"complete": "CMT decides"})
    assert [s.label for s in diagram.states] == [s.label for s in workflow.states.values()]
    moves = [(t.trigger, s) for t in workflow.transitions.values() for s in t.sources]
    assert [(a.trigger, a.source) for a in diagram.arrows] == moves
    complete = next(a for a in diagram.arrows if a.trigger == "complete")
    assert [line.text for line in complete.lines] == ["mark the action complete", "CMT decides"]
    assert [s.name for s in diagram.states if s.final] == ["complete"]


def test_nothing_is_drawn_on_a_state_or_outside_the_picture(workflow: Workflow) -> None:
    """Nothing overlaps a state or another label, and every label is inside the viewBox."""
    diagram = draw(workflow, dict.fromkeys(workflow.transitions, "Cabinet decides"))
    boxes = _boxes(diagram)
    names = list(boxes)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            assert not _overlap(boxes[first], boxes[second])
    left, top, width, height = (float(n) for n in diagram.view_box.split())
    labels: list[Box] = []
    for arrow in diagram.arrows:
        label = _label_box(arrow.lines, arrow.anchor)
        assert not any(_overlap(label, other) for other in labels), arrow.trigger
        labels.append(label)
        assert not any(_overlap(label, box) for box in boxes.values()), arrow.trigger
        assert left <= label[0], arrow.trigger
        assert label[2] <= left + width, arrow.trigger
        assert top <= label[1], arrow.trigger
        assert label[3] <= top + height, arrow.trigger


def test_an_arrow_bends_round_a_state_in_its_way() -> None:
    """A change back up a chain of three curves round the middle state instead of crossing it."""
    chain = parse_workflow(
        {
            "workflow": "chain",
            "bodies": {"CMT": {}},
            "states": {"a": {"initial": True}, "b": {}, "c": {}},
            "transitions": {
                "ab": {"source": "a", "dest": "b", "requested_by": "owner"},
                "bc": {"source": "b", "dest": "c", "requested_by": "owner"},
                "ca": {"source": "c", "dest": "a", "requested_by": "owner"},
            },
        },
        "chain.yaml",
    )
    diagram = draw(chain, {})
    back = next(a for a in diagram.arrows if a.trigger == "ca")
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", back.path)]
    (sx, sy, cx, cy, ex, ey) = numbers
    middle = _boxes(diagram)["b"]
    for step in range(1, 20):
        t = step / 20
        x = (1 - t) ** 2 * sx + 2 * (1 - t) * t * cx + t * t * ex
        y = (1 - t) ** 2 * sy + 2 * (1 - t) * t * cy + t * t * ey
        assert not (middle[0] <= x <= middle[2] and middle[1] <= y <= middle[3])
