"""`improveflow plan import` and `action list --json`, run through the real command."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import Cli, Run

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
PEER = PLANS / "peer_challenge.txt"

PEOPLE_CSV = """\
name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Sam Patel,sam@council.example,Chief Executive,CMT,admin
Hari Gill,hari@council.example,Head of Procurement,,owner
"""

ACTION_KEYS = {
    "id",
    "plan",
    "theme",
    "objective_ref",
    "objective",
    "description",
    "lead",
    "owner_email",
    "timescale",
    "start_date",
    "target_date",
    "milestones",
    "state",
    "needs_review",
    "source",
}


def _initialised(folder: Path) -> Cli:
    (folder / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    runner = Cli(folder, "x.db")
    runner("init")
    return runner


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A new, initialised database with a people file beside it."""
    return _initialised(tmp_path)


@dataclass
class Imported:
    cli: Cli
    run: Run


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The peer challenge plan imported once, with its people and a JSON report."""
    cli = _initialised(tmp_path_factory.mktemp("imported"))
    run = cli("plan", "import", str(PEER), "--people", "people.csv", "--report", "report.json")
    return Imported(cli, run)


def test_import_prints_a_summary_and_writes_the_report(imported: Imported) -> None:
    """The terminal shows counts and what needs review; --report holds every action."""
    cli, run = imported.cli, imported.run
    assert "People: 3 added, 0 updated." in run.out
    assert "Peer Challenge Improvement Plan (Draft)" in run.out
    assert "3 themes, 6 objectives, 16 actions: 16 new" in run.out
    assert "items need review" in run.out
    assert "peer_challenge.txt:22" in run.out  # the unresolved Estates Manager
    assert "1 row could not be placed" in run.out

    report = json.loads((cli.folder / "report.json").read_text(encoding="utf-8"))
    assert report["dry_run"] is False
    assert report["people"] == {"created": 3, "updated": 0}
    [plan] = report["plans"]
    assert plan["plan_kind"] == "peer_challenge"
    counts = plan["counts"]
    assert {k: counts[k] for k in ("themes", "objectives", "actions", "created")} == {
        "themes": 3,
        "objectives": 6,
        "actions": 16,
        "created": 16,
    }
    assert counts["needs_review"] == len(plan["review"]) > 0
    assert counts["unplaced"] == 1
    assert len(plan["actions"]) == 16
    for entry in plan["actions"]:
        assert entry["source"].startswith("peer_challenge.txt:")
        assert isinstance(entry["needs_review"], list)
    depot = next(a for a in plan["actions"] if a["description"] == "Sell the former depot site.")
    assert (depot["source"], depot["lead"], depot["owner_email"]) == (
        "peer_challenge.txt:22",
        "Estates Manager",
        None,
    )
    assert "owner unresolved: 'Estates Manager' matches no person or body" in depot["needs_review"]
    # Each review item names its kind beside the sentence people read.
    assert (
        "owner unresolved",
        "owner unresolved: 'Estates Manager' matches no person or body",
    ) in {
        (item["kind"], item["reason"])
        for item in plan["review"]
        if item["source"] == depot["source"]
    }


def test_action_list_json_gives_every_field_of_an_imported_action(imported: Imported) -> None:
    """Scripts get id, plan, theme, objective, lead, owner, dates, milestones, state, review."""
    listed = imported.cli("action", "list", "--json").json()
    assert isinstance(listed, list)
    assert len(listed) == 16
    for row in listed:
        missing = ACTION_KEYS - row.keys()
        assert not missing, f"{row['description']}: missing {sorted(missing)}"
        assert isinstance(row["milestones"], list)
        assert isinstance(row["needs_review"], list)
    by_description = {row["description"]: row for row in listed}
    finance = by_description["Extend the financial plan to five years"]
    assert {k: finance[k] for k in ACTION_KEYS - {"id", "milestones", "needs_review"}} == {
        "plan": "Northfield Borough Council \u2013 Peer Challenge Improvement Plan (Draft)",
        "theme": "Money and Resources",
        "objective_ref": "key challenge suggestion 4",
        "objective": (
            "Set a balanced budget and a medium term financial plan that covers the next five "
            "years."
        ),
        "description": "Extend the financial plan to five years",
        "lead": "Head of Finance",
        "owner_email": "dana@council.example",
        "timescale": "February 2016",
        "start_date": None,
        "target_date": "2016-02-29",
        "state": "in_progress",
        "source": "peer_challenge.txt:18",
    }
    launch = by_description["Launch a manager development programme for all managers."]
    assert [(m["label"], m["target_date"]) for m in launch["milestones"]] == [
        ("Managers", "2015-10-31"),
        ("Staff", "2017-03-31"),
    ]
    assert (launch["start_date"], launch["target_date"]) == ("2016-04-01", "2017-03-31")
    booking = by_description["Introduce a central booking system for temporary staff."]
    assert (booking["owner_email"], booking["state"]) == ("hari@council.example", "complete")
    assert by_description["Report agency spending monthly to Leadership Team."]["state"] == (
        "approved"
    )


def test_bad_file_exits_1_naming_it_and_imports_nothing(cli: Cli) -> None:
    """A binary file among good ones is named on stderr and nothing at all is imported."""
    (cli.folder / "scanned.txt").write_bytes(b"Plan\n\x00\x00\x00 not text")
    run = cli("plan", "import", str(PEER), "scanned.txt", "--people", "people.csv", expect=1)
    assert "scanned.txt:" in run.err
    assert "binary" in run.err
    assert run.err.startswith("Error: ")
    assert "Traceback" not in run.err
    assert cli("action", "list", "--json").json() == []
    assert cli("plan", "list", "--json").json() == []
    assert cli("people", "list", "--json").json() == []


def test_dry_run_prints_dry_run_and_stores_nothing(cli: Cli) -> None:
    """--dry-run shows the summary, says so, and leaves no actions behind."""
    run = cli("plan", "import", str(PEER), "--dry-run", "--report", "report.json")
    assert "Dry run" in run.out
    assert "16 actions" in run.out
    report = json.loads((cli.folder / "report.json").read_text(encoding="utf-8"))
    assert report["dry_run"] is True
    assert report["plans"][0]["counts"]["actions"] == 16
    assert cli("action", "list", "--json").json() == []
    assert cli("plan", "list", "--json").json() == []


def test_dry_run_shows_each_fields_column_why_and_samples(cli: Cli) -> None:
    """The dry run names, for every field, the column chosen, why and three of its values."""
    run = cli("plan", "import", str(PLANS / "audit_tracker.xlsx"), "--dry-run")
    lines = {line.split("│")[1].strip(): line for line in run.out.splitlines() if "│" in line}
    assert "G Original Target Date" in lines["original-target"]
    assert "H Revised Target Date" in lines["target"]
    assert "header" in lines["target"]
    assert "D Priority" in lines["priority"]
    assert "content: 10 of 10 cells are priorities" in lines["priority"]
    assert "High | Medium | Low" in lines["priority"]
    assert cli("plan", "list", "--json").json() == []


def test_headerless_table_imports_with_map_by_letter(cli: Cli) -> None:
    """A table with no header row is refused with the fix, then imports with --map letters."""
    plan = str(PLANS / "headerless_plan.csv")
    refused = cli("plan", "import", plan, expect=1)
    assert "no recognisable header row" in refused.err
    assert "--map action=A" in refused.err
    assert "Traceback" not in refused.err
    flags = ["--map", "action=A", "--map", "lead=B", "--map", "target=C", "--map", "progress=D"]
    cli("plan", "import", plan, *flags)
    actions = {a["description"]: a for a in cli("action", "list", "--json").json()}
    train = actions["Train front-line staff on the duty to refer"]
    assert (train["lead"], train["target_date"]) == ("Housing Options Manager", "2026-01-31")


def test_mapping_file_and_bad_map_are_read_with_clear_errors(cli: Cli) -> None:
    """--mapping reads FIELD: COLUMN lines; an unknown field is a usage error naming it."""
    (cli.folder / "map.yaml").write_text(
        "action: A\nlead: B\ntarget: C\nprogress: D\n", encoding="utf-8"
    )
    plan = str(PLANS / "headerless_plan.csv")
    cli("plan", "import", plan, "--mapping", "map.yaml", "--dry-run")
    bad = cli("plan", "import", plan, "--map", "owner=B", expect=2)
    assert "'owner' is not a field" in bad.err


def test_month_first_dates_and_another_financial_year(cli: Cli) -> None:
    """--date-order mdy reads 03/31/2027 as 31 March; --financial-year-start moves quarters."""
    (cli.folder / "us.csv").write_text(
        "Action,Owner,Due Date\n"
        "Publish the annual report on the website,Head of Communications,03/31/2027\n"
        "Agree the schools budget with the forum,Head of Finance,Q1 2026/27\n",
        encoding="utf-8",
    )
    flags = ["--date-order", "mdy", "--financial-year-start", "09-01"]
    cli("plan", "import", "us.csv", *flags)
    actions = {a["description"]: a for a in cli("action", "list", "--json").json()}
    assert actions["Publish the annual report on the website"]["target_date"] == "2027-03-31"
    # A year starting 1 September: its first quarter ends on 30 November.
    assert actions["Agree the schools budget with the forum"]["target_date"] == "2026-11-30"


def test_two_councils_each_name_their_plan_with_organisation(cli: Cli) -> None:
    """Once people of two councils exist, an import must say whose plan it is; then it is
    that council's alone, with its leads matched among that council's people."""
    (cli.folder / "two.csv").write_text(
        "name,email,aliases,organisation\n"
        "Nia North,nia@northshire.example,Head of Finance,Northshire\n"
        "Sol South,sol@southshire.example,Head of Finance,Southshire\n",
        encoding="utf-8",
    )
    refused = cli("plan", "import", str(PEER), "--people", "two.csv", expect=1)
    assert "'Northshire', 'Southshire'" in refused.err
    assert "--organisation NAME" in refused.err
    assert "Traceback" not in refused.err
    assert cli("plan", "list", "--json").json() == []

    cli("plan", "import", str(PEER), "--people", "two.csv", "--organisation", "Northshire")
    (plan,) = cli("plan", "list", "--json").json()
    assert plan["organisation"] == "Northshire"
    owners = {action["owner_email"] for action in cli("action", "list", "--json").json()}
    assert "nia@northshire.example" in owners
    assert "sol@southshire.example" not in owners
