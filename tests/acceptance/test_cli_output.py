"""What the command line prints into a pipe: whole lines, the web's words, right plurals, JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_runner import Cli

PEOPLE_CSV = """\
name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Sam Patel,sam@council.example,Chief Executive,CMT,admin
Cllr Ruth Holt,ruth@council.example,,Cabinet,
Owen Marsh,owen@council.example,Head of Business Transformation,,owner
"""
# Longer than any terminal's default width, so a wrapping printer would break it.
LONG = (
    "Extend the medium term financial strategy to five years, with the assumptions agreed "
    "with every service and published for residents"
)
RAW_NAMES = ("in_progress", "action_created", "revise_target", "transition", "requested")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The command with its output going to a pipe, and no COLUMNS set, as in a script."""
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    return Cli(tmp_path, columns=None)


def _plan_with_one_action(cli: Cli) -> None:
    cli("init")
    cli("people", "import", "people.csv")
    cli("plan", "create", "Peer Challenge Improvement Plan", "--kind", "peer-challenge")
    cli("action", "add", "1", "--theme", "Financial Planning and Viability",
        "--objective", "Revisit financial assumptions", "--description", LONG,
        "--owner", "owen@council.example", "--lead", "Head of Business Transformation",
        "--target", "2015-02-28")  # fmt: skip


def _words_whole(text: str, *phrases: str) -> None:
    for phrase in phrases:
        assert any(phrase in line for line in text.splitlines()), f"{phrase!r} not on one line"


def test_messages_use_the_workflows_labels(cli: Cli) -> None:
    """Each step says what happened in the web's words: states and changes by their labels."""
    _plan_with_one_action(cli)
    asked = cli("action", "request", "1", "approve", "--as", "owen@council.example").out
    assert asked == (
        "Request 1 (approve the action, action 1) is waiting for a decision by "
        "Corporate Management Team (CMT).\n"
    )
    approved = cli("approvals", "approve", "1", "--as", "dana@council.example").out
    assert approved == "Approved: action 1 is now approved.\n"
    started = cli("action", "request", "1", "start", "--as", "owen@council.example").out
    assert started == "Action 1 is now in progress.\n"
    cli("action", "request", "1", "revise_target", "--as", "owen@council.example",
        "--reason", "Consultation moved", "--new-target", "2015-06-30")  # fmt: skip
    waiting = cli("approvals", "list").out
    _words_whole(
        waiting,
        "change the target date to 30 June 2015",
        "Cabinet",
        "Consultation moved",
        "Waiting for a decision",
    )
    rejected = cli("approvals", "reject", "2", "--as", "ruth@council.example", "--comment", "No")
    assert rejected.out == (
        "Rejected: request 2 to change the target date. Action 1 stays in progress.\n"
    )
    assert cli("approvals", "list").out == "No requests waiting for a decision.\n"
    for raw in RAW_NAMES:
        assert raw not in asked + approved + started + waiting + rejected.out


def test_action_show_in_a_pipe_keeps_every_line_whole(cli: Cli) -> None:
    """`action show` piped: no word split across lines, history as sentences, labels not names."""
    _plan_with_one_action(cli)
    cli("action", "request", "1", "approve", "--as", "owen@council.example")
    cli("approvals", "approve", "1", "--as", "dana@council.example", "--comment", "Agreed at CMT")
    cli("action", "request", "1", "start", "--as", "owen@council.example")
    cli("action", "update", "1", "--progress", "Five-year model drafted", "--rag", "amber",
        "--as", "owen@council.example")  # fmt: skip
    shown = cli("action", "show", "1").out
    _words_whole(
        shown,
        f"Action 1: {LONG}",
        "Owner: Owen Marsh <owen@council.example>",
        "Lead in the plan: Head of Business Transformation",
        "Target date: 28 February 2015",
        "State: In progress",
        "RAG: Amber",
        "Action added to the plan as Drafted",
        "State changed from Drafted to Approved: asked by Owen Marsh, approved by Dana Reeve "
        "(Agreed at CMT)",
        "State changed from Approved to In progress by Owen Marsh",
        "Progress update by Owen Marsh, rated Amber: Five-year model drafted",
    )
    history = shown.split("History, oldest first:\n")[1].splitlines()
    assert [line[:2] for line in history] == ["  "] * 4
    assert all(re.match(r"  \d{4}-\d\d-\d\d \d\d:\d\d  [A-Z]", line) for line in history)
    for raw in RAW_NAMES:
        assert raw not in shown
    listed = cli("action", "list").out
    _words_whole(listed, LONG, "Owen Marsh (Head of Business Transformation)", "In progress")


def test_json_stays_for_scripts(cli: Cli) -> None:
    """--json still gives the stored names, for programs to match on."""
    _plan_with_one_action(cli)
    result = cli("action", "request", "1", "approve", "--as", "owen@council.example", "--json")
    assert result.json()["status"] == "pending"
    shown = cli("action", "show", "1", "--json").json()
    assert (shown["state"], shown["description"], shown["owner_name"]) == (
        "drafted", LONG, "Owen Marsh",
    )  # fmt: skip
    assert [h["event"] for h in shown["history"]] == ["action_created", "requested"]
    listed = json.loads(cli("action", "list", "--json").out)
    assert listed[0]["owner_email"] == "owen@council.example"


def test_counts_have_the_right_plural(cli: Cli) -> None:
    """One person, one theme, one action, one item to review: never '1 items'."""
    cli("init")
    (cli.folder / "one.csv").write_text(
        "name,email,aliases,bodies,roles\nDana Reeve,dana@council.example,,CMT,\n",
        encoding="utf-8",
    )
    assert cli("people", "import", "one.csv").out == "1 person added, 0 updated.\n"
    (cli.folder / "plan.csv").write_text(
        "Theme,Objective,Action,Lead,Target Date\n"
        "Money,Assets,Sell the former depot site,Estates Manager,31/03/2027\n",
        encoding="utf-8",
    )
    imported = cli("plan", "import", "plan.csv").out
    assert "1 theme, 1 objective, 1 action: 1 new" in imported
    assert "1 item needs review" in imported
    assert "1 items" not in imported
