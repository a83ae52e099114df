"""`improveflow plan publish` and `progress publish`: a council officer opens a plan's public
page and an approver marks progress public, with the real command, its words and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import Cli

PEOPLE_CSV = """name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Owen Marsh,owen@council.example,Head of Business Transformation,,owner
"""
ADDRESS = "https://plans.council.example/public/plans/peer-challenge-improvement-plan"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A plan of one agreed action in progress, with one progress update (id 1)."""
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    cli = Cli(tmp_path, columns=None)
    cli.env["IMPROVEFLOW_BASE_URL"] = "https://plans.council.example"
    cli("init")
    cli("people", "import", "people.csv")
    cli("plan", "create", "Peer Challenge Improvement Plan", "--kind", "peer-challenge")
    cli("action", "add", "1", "--theme", "Financial Planning and Viability",
        "--objective", "Revisit financial assumptions", "--description", "Extend the strategy",
        "--owner", "owen@council.example", "--target", "2015-02-28",
        "--lead", "Head of Finance")  # fmt: skip
    cli("action", "request", "1", "approve", "--as", "owen@council.example")
    cli("approvals", "approve", "1", "--as", "dana@council.example")
    cli("action", "request", "1", "start", "--as", "owen@council.example")
    cli("action", "update", "1", "--progress", "Model drafted", "--as", "owen@council.example")
    return cli


def test_an_approver_publishes_the_plan_and_marks_progress_public(cli: Cli) -> None:
    """Publish prints the page's address; marking and unmarking say what they did; unpublish
    says the address is gone; every step is in the audit log, which still verifies."""
    published = cli("plan", "publish", "1", "--by", "dana@council.example")
    assert published.out.splitlines()[0] == f"Plan 1 is published at {ADDRESS}"
    again = cli("plan", "publish", "1", "--by", "dana@council.example")
    assert again.out.splitlines()[0] == f"Plan 1 was already published at {ADDRESS}"

    marked = cli("progress", "publish", "1", "--by", "dana@council.example")
    assert marked.out.strip() == "Progress update 1 (action 1) is marked public."
    unmarked = cli("progress", "unpublish", "1", "--by", "dana@council.example")
    assert unmarked.out.strip() == "Progress update 1 (action 1) is not public."

    gone = cli("plan", "unpublish", "1", "--by", "dana@council.example")
    assert gone.out.strip() == (
        "Plan 1 is no longer published: /public/plans/peer-challenge-improvement-plan "
        "now answers 'not found'."
    )
    cli("audit", "verify")


def test_others_are_refused_with_who_may(cli: Cli) -> None:
    """The owner is refused (exit 1) with a sentence naming who may; nothing changes."""
    refused = cli("progress", "publish", "1", "--by", "owen@council.example", expect=1)
    assert refused.err.strip() == (
        "Error: Owen Marsh cannot mark progress public: only members of CMT or Cabinet, the "
        "bodies that decide this plan's changes, may"
    )
    refused = cli("plan", "publish", "1", "--by", "owen@council.example", expect=1)
    assert "only an administrator or members of CMT or Cabinet" in refused.err
    missing = cli("plan", "unpublish", "1", "--by", "dana@council.example", expect=1)
    assert missing.err.strip() == (
        "Error: Plan 1 is not published, so there is no page to withdraw"
    )
    bad = cli("plan", "publish", "1", "--by", "dana@council.example", "--slug", "A B", expect=1)
    assert "'A B' cannot be a page address" in bad.err
