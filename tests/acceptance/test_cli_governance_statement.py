"""An annual governance statement's action plan at the command line: created for its
financial year, rolled over at year end with its unfinished actions, each carried action
saying where it came from, and mistakes refused in words that say what to do."""

from __future__ import annotations

from pathlib import Path

from cli_runner import Cli

PEOPLE = """name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Sam Patel,sam@council.example,Chief Executive,CMT,admin
Cllr Ruth Holt,ruth@council.example,,Cabinet,
Owen Marsh,owen@council.example,Head of Procurement,,owner
"""
TITLE = "Annual Governance Statement 2025/26 action plan"
NEXT = "Annual Governance Statement 2026/27 action plan"


def _council(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    cli("init")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    cli("people", "import", "people.csv")
    return cli


def _add(cli: Cli, description: str, target: str) -> None:
    cli(
        "action", "add", "1", "--theme", "Procurement", "--objective", "Rules are followed",
        "--description", description, "--owner", "owen@council.example", "--target", target,
    )  # fmt: skip


def test_a_governance_statement_plan_rolled_over_to_next_year(tmp_path: Path) -> None:
    """Created for 2025/26; at year end the action in progress goes to 2026/27's plan with its
    progress and date ledger, the complete one stays; both plans and the carried action say
    so; a second roll-over is refused naming the new plan; the log verifies."""
    cli = _council(tmp_path)
    created = cli(
        "plan", "create", TITLE, "--kind", "governance-statement", "--year", "2025/26"
    ).out
    assert created.splitlines() == [
        f"Plan 1 created: {TITLE}",
        "It is for the financial year 2025/26 (1 April 2025 to 31 March 2026).",
    ]
    _add(cli, "Refresh the contract procedure rules", "2025-12-31")
    _add(cli, "Train every buyer", "2025-10-31")
    for action, request in (("1", "1"), ("2", "2")):
        cli("action", "request", action, "approve", "--as", "owen@council.example")
        cli("approvals", "approve", request, "--as", "dana@council.example")
        cli("action", "request", action, "start", "--as", "owen@council.example")
    cli("action", "update", "1", "--progress", "Draft rules out to consultation", "--rag",
        "amber", "--as", "owen@council.example")  # fmt: skip
    cli("action", "request", "1", "revise_target", "--new-target", "2026-02-27", "--reason",
        "Consultation extended", "--as", "owen@council.example")  # fmt: skip
    cli("approvals", "approve", "3", "--as", "dana@council.example")
    cli("action", "update", "2", "--progress", "All buyers trained", "--as",
        "owen@council.example")  # fmt: skip
    cli("action", "request", "2", "complete", "--as", "owen@council.example")
    cli("approvals", "approve", "4", "--as", "dana@council.example")

    refused = cli("plan", "roll-over", "1", "--by", "dana@council.example", expect=1)
    assert (
        "dana@council.example cannot roll plan 1 over: only an administrator of its council can"
    ) in " ".join(refused.err.split())

    rolled = cli("plan", "roll-over", "1", "--by", "sam@council.example").out
    assert rolled.splitlines() == [
        f"Plan 1 rolled over to plan 2: {NEXT} (2026/27).",
        "1 action carried forward; 1 complete one stays in plan 1.",
    ]
    again = cli("plan", "roll-over", "1", "--by", "sam@council.example", expect=1).err
    assert f"Plan 1 was already rolled over to plan 2, '{NEXT}'" in " ".join(again.split())

    listed = cli("plan", "list", "--json").json()
    assert [(p["id"], p["kind"], p["financial_year"], p["rolled_over_to"]) for p in listed] == [
        (1, "governance_statement", "2025/26", 2),
        (2, "governance_statement", "2026/27", None),
    ]
    shown = cli("plan", "show", "2").out
    assert "Kind: Governance statement" in shown
    assert "Financial year: 2026/27 (1 April 2026 to 31 March 2027)" in shown
    assert f"Carries forward the unfinished actions of plan 1, '{TITLE}'." in shown
    assert "Rolled over to plan 2" in cli("plan", "show", "1").out

    action = cli("action", "show", "3").out
    assert "Plan: Annual Governance Statement 2026/27 action plan (plan 2)" in action
    assert "Target date: 27 February 2026" in action
    assert "Latest progress: Draft rules out to consultation" in action
    assert (
        f"Carried forward from {TITLE}, action 1, where its history before then stays."
    ) in action
    assert (
        f"Carried forward from {TITLE}, action 1, by Sam Patel, as In progress; its earlier "
        "history is under 'improveflow action show 1'"
    ) in action
    detail = cli("action", "show", "3", "--json").json()
    assert detail["date_ledger"] == "first due 31 December 2025; re-dated once"
    assert detail["carried_from"] == {"action_id": 1, "plan_id": 1, "words": f"{TITLE}, action 1"}
    old = cli("action", "show", "1").out
    assert f"Carried forward to {NEXT}, action 3: it continues there" in old
    # Last year's history is all still there, on last year's action.
    assert "Target date changed from 31 December 2025 to 27 February 2026" in old
    assert cli("action", "list", "--plan", "2", "--json").json()[0]["id"] == 3
    cli("audit", "verify")


def test_only_a_governance_statement_plan_rolls_over_and_years_are_checked(
    tmp_path: Path,
) -> None:
    """A service plan's roll-over is refused saying which kind can; a year that is not one is
    refused with the form to use."""
    cli = _council(tmp_path)
    cli("plan", "create", "Workforce plan", "--kind", "service-plan")
    refused = cli("plan", "roll-over", "1", "--by", "sam@council.example", expect=1).err
    assert (
        "Plan 1 is a service plan: only a governance statement plan is rolled over to next "
        "year, its unfinished actions carried forward"
    ) in " ".join(refused.split())
    bad = cli("plan", "create", "AGS", "--kind", "governance-statement", "--year", "2025/27",
              expect=1).err  # fmt: skip
    assert "'2025/27' is not a financial year: give it as 2025/26 (April 2025 to March 2026)" in (
        " ".join(bad.split())
    )
