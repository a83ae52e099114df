"""The administrator's walkthrough, run through the real `improveflow` command."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cli_runner import Cli

PEOPLE_CSV = """\
name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Sam Patel,sam@council.example,Chief Executive,CMT,admin
Cllr Ruth Holt,ruth@council.example,,Cabinet,
Owen Marsh,Owen@Council.example,Head of Business Transformation,,owner
Priya Shah,priya@council.example,HRMT;Head of Strategic HR,,owner
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    return Cli(tmp_path, "council.db")


def test_walkthrough(cli: Cli) -> None:
    """From an empty file to a completed, deferred and verified plan, as the README describes."""
    cli("init")
    assert "5 people added" in cli("people", "import", "people.csv").out
    plan = cli("plan", "create", "Peer Challenge Improvement Plan", "--kind", "peer-challenge",
               "--json").json()  # fmt: skip
    assert plan == {
        "id": 1,
        "title": "Peer Challenge Improvement Plan",
        "kind": "peer_challenge",
        "challenge_date": None,  # not given: the timetable waits for it
    }
    for description, owner, target in (
        ("Extend medium term financial strategy", "owen@council.example", "2015-02-28"),
        ("Review financial assumptions", "priya@council.example", "2014-02-28"),
        ("Recruit programme office", "owen@council.example", "2014-07-31"),
    ):
        cli("action", "add", "1", "--theme", "Financial Planning and Viability",
            "--objective", "Revisit financial assumptions", "--description", description,
            "--owner", owner, "--target", target)  # fmt: skip
    listed = cli("action", "list", "--json").json()
    assert isinstance(listed, list)
    assert [(a["id"], a["state"], a["owner_email"]) for a in listed] == [
        (1, "drafted", "owen@council.example"),
        (2, "drafted", "priya@council.example"),
        (3, "drafted", "owen@council.example"),
    ]

    cli("action", "request", "1", "approve", "--as", "owen@council.example")
    queue = cli("approvals", "list", "--body", "CMT", "--json").json()
    assert queue == [
        {
            "id": 1, "action_id": 1, "transition": "approve", "status": "pending", "body": "CMT",
            "quorum": 1, "requested_by": "Owen Marsh", "requested_at": queue[0]["requested_at"],  # type: ignore[index]
            "reason": None, "new_target_date": None,
        }
    ]  # fmt: skip
    cli("approvals", "approve", "1", "--as", "dana@council.example", "--comment", "Agreed at CMT")
    assert (
        cli("action", "request", "1", "start", "--as", "owen@council.example").out
        == "Action 1 is now in progress.\n"
    )
    cli("action", "update", "1", "--progress", "Five-year model drafted", "--rag", "amber",
        "--as", "owen@council.example")  # fmt: skip
    cli("action", "request", "1", "complete", "--as", "owen@council.example")

    refused = cli("approvals", "approve", "2", "--as", "priya@council.example", expect=1)
    assert refused.err.strip() == (
        "Error: Priya Shah is not a member of CMT, which must approve 'complete'"
    )
    cli("approvals", "approve", "2", "--as", "sam@council.example")

    shown = cli("action", "show", "1", "--json").json()
    assert isinstance(shown, dict)
    assert (shown["state"], shown["rag"], shown["version"]) == ("complete", "amber", 5)
    assert [(h["event"], h["by"], h["to_state"]) for h in shown["history"]] == [
        ("action_created", None, "drafted"),
        ("requested", "Owen Marsh", "approved"),
        ("decision", "Dana Reeve", None),
        ("transition", "Dana Reeve", "approved"),
        ("approved", "Dana Reeve", None),
        ("transition", "Owen Marsh", "in_progress"),
        ("progress", "Owen Marsh", None),
        ("requested", "Owen Marsh", "complete"),
        ("decision", "Sam Patel", None),
        ("transition", "Sam Patel", "complete"),
        ("approved", "Sam Patel", None),
    ]
    assert "Five-year model drafted" in cli("action", "show", "1").out

    cli("action", "request", "2", "defer", "--as", "priya@council.example",
        "--reason", "Superseded by the budget review")  # fmt: skip
    not_cabinet = cli("approvals", "approve", "3", "--as", "dana@council.example", expect=1)
    assert "Dana Reeve is not a member of Cabinet, which must approve 'defer'" in not_cabinet.err
    cli("approvals", "approve", "3", "--as", "ruth@council.example")
    assert cli("action", "list", "--state", "deferred", "--json").json()[0]["id"] == 2  # type: ignore[index]

    assert "Audit log verified" in cli("audit", "verify").out
    # Someone with direct access to the file removes the guard and edits Dana's decision.
    with closing(sqlite3.connect(cli.folder / "council.db")) as db, db:
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute("UPDATE audit_event SET comment = 'Rubber-stamped' WHERE seq = 11")
    broken = cli("audit", "verify", expect=1)
    assert "audit event 11 (#11, 'decision'" in broken.err
    assert "changed after writing" in broken.err


def test_mistakes_are_explained(cli: Cli) -> None:
    """Bad usage exits 2; refusals and an uninitialised database exit 1 with the reason."""
    uninitialised = cli("plan", "list", expect=1)
    assert "run 'improveflow init' first" in uninitialised.err
    cli("init")
    cli("people", "import", "people.csv")
    cli("plan", "create", "Plan", "--kind", "service-plan")
    bad_date = cli("action", "add", "1", "--theme", "T", "--objective", "O", "--description", "D",
                   "--target", "31/07/2014", expect=2)  # fmt: skip
    assert "31/07/2014" in bad_date.err
    assert "not a kind of plan" in cli("plan", "create", "X", "--kind", "wishlist", expect=1).err
    assert "No action with id 99" in cli("action", "show", "99", expect=1).err
    unknown = cli("action", "request", "1", "approve", "--as", "nobody@council.example", expect=1)
    assert "Nobody with the email address nobody@council.example" in unknown.err
    (cli.folder / "bad.csv").write_text("name,email\nNo Address,not-an-email\n", encoding="utf-8")
    bad_people = cli("people", "import", "bad.csv", expect=1)
    assert "bad.csv:2" in bad_people.err


def test_workflow_show_prints_mermaid(cli: Cli) -> None:
    """`workflow show --format mermaid` prints a state diagram with who approves each step."""
    diagram = cli("workflow", "show", "--format", "mermaid").out
    assert diagram.startswith("stateDiagram-v2\n")
    assert "in_progress --> complete : complete (CMT approves)" in diagram
    assert "Transitions" in cli("workflow", "show").out
