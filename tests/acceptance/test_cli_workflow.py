"""`improveflow workflow show` says who approves each change, per kind of plan and per plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path, "council.db")
    runner("init")
    runner("plan", "create", "Peer Challenge Improvement Plan", "--kind", "peer-challenge")
    runner("plan", "create", "Workforce plan", "--kind", "service-plan", "--override", "defer=CMT")
    return runner


def _row(output: str, trigger: str) -> str:
    """The table row of one transition, its cells joined by single spaces."""
    line = next(line for line in output.splitlines() if line.startswith(f"│ {trigger} "))
    return " ".join(cell.strip() for cell in line.strip("│").split("│"))


def test_without_a_plan_each_kind_of_plan_is_named(cli: Cli) -> None:
    """A new target date goes to Cabinet for peer-challenge plans and to CMT for the others."""
    shown = cli("workflow", "show").out
    assert (
        "revise_target approved, in_progress (same) CMT for service plans, action plans, "
        "scrutiny plans and governance statement plans; Cabinet"
    ) in _row(shown, "revise_target")
    assert "for peer-challenge plans" in shown
    assert _row(shown, "defer").startswith("defer drafted, approved, in_progress deferred Cabinet ")
    diagram = cli("workflow", "show", "--format", "mermaid").out
    assert (
        "approved --> approved : revise_target (CMT approves for service plans, action plans, "
        "scrutiny plans and governance statement plans, Cabinet for peer-challenge plans)"
    ) in diagram


def test_for_a_peer_challenge_plan_cabinet_decides_new_dates(cli: Cli) -> None:
    """For plan 1 the table and the diagram say Cabinet, as the plan's requests are routed."""
    shown = cli("workflow", "show", "--plan", "1").out
    assert "Who approves is shown for plan 1, Peer Challenge Improvement Plan, a" in shown
    assert _row(shown, "revise_target").startswith(
        "revise_target approved, in_progress (same) Cabinet (for peer-challenge plans)"
    )
    assert _row(shown, "approve").startswith("approve drafted approved CMT ")
    diagram = cli("workflow", "show", "--plan", "1", "--format", "mermaid").out
    assert "in_progress --> in_progress : revise_target (Cabinet approves)" in diagram
    assert "CMT approves for service plans" not in diagram


def test_a_plan_s_own_override_is_shown_as_its_own(cli: Cli) -> None:
    """Plan 2 sends deferrals to CMT: the table says CMT, and that the plan set it."""
    shown = cli("workflow", "show", "--plan", "2").out
    assert _row(shown, "defer").startswith(
        "defer drafted, approved, in_progress deferred CMT (this plan's own setting)"
    )
    assert _row(shown, "revise_target").startswith(
        "revise_target approved, in_progress (same) CMT "
    )


def test_an_unknown_plan_is_refused(cli: Cli) -> None:
    """A plan that does not exist is named in the refusal, with exit code 1."""
    assert "No plan with id 9" in cli("workflow", "show", "--plan", "9", expect=1).err
