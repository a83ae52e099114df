"""A scrutiny officer's plan at the command line: created with the day the executive received
the committee's report, the executive's response is due by the end of the two months beginning
with that day, and reminded and escalated on working days only; the response is marked given;
the committee's sign-off of an action is recorded, shown by `action show` and in the committee
report; mistakes are refused with a sentence."""

from __future__ import annotations

from pathlib import Path

from cli_runner import Cli

PEOPLE = """name,email,aliases,bodies,roles,organisation
Sid Amin,sid@council.example,,,scrutiny_officer,
Cara Evans,cara@council.example,,,chief_executive,
Owen Marsh,owen@council.example,,,owner,
Dana Reeve,dana@council.example,,CMT,,
"""


def test_a_scrutiny_plan_from_its_report_to_a_committee_sign_off(tmp_path: Path) -> None:
    """A report received on 28 October 2025: the two months beginning with that day end on
    Saturday 27 December, when the response is due; reminded on 10 December, nothing over
    Christmas and Boxing Day, escalated on Monday 29 December, each to the officer and the
    chief executive once; given on 5 January; an action signed off."""
    cli = Cli(tmp_path)
    cli("init")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    cli("people", "import", "people.csv")
    created = cli(
        "plan", "create", "Scrutiny review of school transport", "--kind", "scrutiny",
        "--report-date", "2025-10-28", "--json",
    ).json()  # fmt: skip
    assert created["kind"] == "scrutiny"
    assert (created["report_date"], created["response_months"]) == ("2025-10-28", 2)
    listed = cli("plan", "milestone", "list", "1", "--json").json()
    assert [(m["milestone"], m["due_on"], m["latest_on"]) for m in listed] == [
        ("executive_response", "2025-12-27", None)
    ]
    assert "Scrutiny timetable" in cli("plan", "milestone", "list", "1").out
    shown = " ".join(cli("plan", "show", "1").out.split())
    assert (
        "Report received by the executive on Tuesday 28 October 2025, response within two "
        "months beginning with that day, due by Saturday 27 December 2025."
    ) in shown

    reminded = cli("sweep", "--now", "2025-12-10T09:30", "--json").json()["decisions"]
    assert [d["why"].split(" (")[0] for d in reminded] == [
        "Executive response given: due by 27 Dec 2025"
    ] * 2
    for quiet in ("2025-12-10T15:00", "2025-12-25T10:00", "2025-12-26T10:00"):
        assert cli("sweep", "--now", quiet, "--json").json()["decisions"] == []
    escalated = cli("sweep", "--now", "2025-12-29T09:30", "--json").json()["decisions"]
    assert [d["kind"] for d in escalated] == ["milestone_overdue"] * 2

    given = cli(
        "plan", "milestone", "done", "1", "executive-response", "--on", "2026-01-05",
        "--link", "https://council.example/cabinet/2026-01-05", "--by", "sid@council.example",
    ).out  # fmt: skip
    assert "Executive response given: Done on Monday 5 January 2026." in given

    cli(
        "action", "add", "1", "--theme", "Recommendations", "--objective", "Eligibility",
        "--description", "R1 Publish the eligibility policy", "--owner", "owen@council.example",
    )  # fmt: skip
    drafted = cli(
        "action", "sign-off", "1", "--on", "2026-03-10", "--as", "sid@council.example", expect=1
    )  # fmt: skip
    assert (
        "Action 1 is drafted: the committee signs off an action as implemented once it is "
        "complete. Ask for it to be marked complete first"
    ) in " ".join((drafted.err + drafted.out).split())
    assert "Committee:" not in cli("action", "show", "1").out
    _complete(cli, "1")
    signed = cli(
        "action", "sign-off", "1", "--on", "2026-03-10", "--minute", "45/26",
        "--as", "sid@council.example",
    ).out  # fmt: skip
    assert "Action 1: Signed off by committee on Tuesday 10 March 2026 (minute 45/26)." in signed
    shown = cli("action", "show", "1").out
    assert "Committee: Signed off by committee on Tuesday 10 March 2026 (minute 45/26)" in shown
    assert "Signed off by committee on 10 March 2026 (minute 45/26), recorded by Sid Amin" in shown
    detail = cli("action", "show", "1", "--json").json()
    assert detail["committee_sign_off"]["recorded_by"] == "sid@council.example"
    cli("report", "1", "--format", "html")
    [report] = tmp_path.glob("plan-1-*.html")
    assert "Signed off by committee on 10 March 2026 (minute 45/26)" in report.read_text()
    assert "verified" in cli("audit", "verify").out.lower()


def _complete(cli: Cli, action: str) -> None:
    """The action's owner asks, and CMT agrees, until it is complete."""
    for trigger in ("approve", "start", "complete"):
        if trigger == "complete":
            cli("action", "update", action, "--progress", "Done", "--as", "owen@council.example")
        asked = cli(
            "action", "request", action, trigger, "--as", "owen@council.example", "--json"
        ).json()
        if asked["request_id"] is not None:
            cli("approvals", "approve", str(asked["request_id"]), "--as", "dana@council.example")


def test_mistakes_are_refused_with_a_sentence(tmp_path: Path) -> None:
    """A response period without a report date, a service plan's action signed off, an owner
    signing off, and a report date for a service plan are each refused, saying why."""
    cli = Cli(tmp_path)
    cli("init")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    cli("people", "import", "people.csv")
    no_date = cli(
        "plan", "create", "Scrutiny", "--kind", "scrutiny", "--response-months", "3", expect=1
    )
    assert "give --report-date too" in no_date.err + no_date.out
    cli("plan", "create", "Scrutiny", "--kind", "scrutiny")
    cli("plan", "create", "Service plan", "--kind", "service-plan")
    none_listed = " ".join(cli("plan", "milestone", "list", "1").out.split())
    assert (
        "No milestones yet: record the day the executive received the scrutiny report with "
        "'improveflow plan set-report-date 1 YYYY-MM-DD'."
    ) in none_listed
    assert "set-challenge-date" not in none_listed
    recorded = cli(
        "plan", "set-report-date", "1", "2025-06-12", "--response-months", "3",
        "--by", "sid@council.example",
    ).out  # fmt: skip
    assert "Plan 1: the executive received the scrutiny report on 12 June 2025." in recorded
    listed = cli("plan", "milestone", "list", "1", "--json").json()
    assert [m["due_on"] for m in listed] == ["2025-09-11"]  # 12 September less a day
    refused = cli("plan", "set-report-date", "2", "2025-06-12", expect=1)
    assert "Plan 2 is a service plan: only a scrutiny plan has a report date" in " ".join(
        (refused.err + refused.out).split()
    )
    for plan in ("1", "2"):
        cli(
            "action", "add", plan, "--theme", "T", "--objective", "O", "--description", "Do it",
        )  # fmt: skip
    other = cli("action", "sign-off", "2", "--on", "2025-10-01", "--as", "sid@council.example",
                expect=1)  # fmt: skip
    assert "a service plan: only a scrutiny plan's actions are signed off" in (
        other.err + other.out
    )
    owner = cli("action", "sign-off", "1", "--on", "2025-10-01", "--as", "owen@council.example",
                expect=1)  # fmt: skip
    assert "only the scrutiny officer or an administrator" in owner.err + owner.out
    assert "Committee:" not in cli("action", "show", "1").out
