"""Importing council plans into the database: structure, dates, owners, states, audit, re-import."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import SQLModel, col, func, select

from improveflow import audit
from improveflow.audit import GENESIS_HASH
from improveflow.exceptions import InputFileError, InvalidValue
from improveflow.importers.readers import read_plan_file
from improveflow.importers.review_reasons import ReviewNote, ReviewReason
from improveflow.models import (
    Action,
    AuditEvent,
    AuditHead,
    Objective,
    Person,
    Plan,
    PlanKind,
    ProgressUpdate,
    Theme,
)
from improveflow.services import importing, people, plans, progress, views
from improveflow.services.context import Context
from improveflow.services.import_report import ImportReport, PlanImportReport
from improveflow.services.importing import ImportOptions, import_plan_files

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
PEER = PLANS / "peer_challenge.txt"
HR = PLANS / "hr_people_plan.txt"
CUSTOMER_CSV = PLANS / "customer_services_plan.csv"
PEER_TITLE = "Northfield Borough Council \u2013 Peer Challenge Improvement Plan (Draft)"
HEADER = "Challenge\tOutcomes/ Measures of Success\tAction\tLead\tTarget Date\tProgress"

# People whose aliases match leads written in the peer challenge fixture.
DIRECTORY: tuple[people.PersonInput, ...] = (
    people.PersonInput("Dana Reeve", "dana@council.example", ("Head of Finance",), ("CMT",)),
    people.PersonInput("Sam Patel", "sam@council.example", ("Chief Executive",), ("CMT",)),
    people.PersonInput("Hari Gill", "hari@council.example", ("Head of Procurement",)),
    people.PersonInput("Petra Novak", "petra@council.example", ("Head of People",)),
)

# A plan whose leads name approving bodies, a person by two aliases and a person beside nobody.
WORKFORCE = "\n".join(
    [
        "Workforce Plan 2016",
        "",
        "Workforce\t\t\t\t\t",
        HEADER,
        "Agree a workforce strategy.\t\tAdopt the workforce strategy.\t"
        "Cabinet/ Corporate Management Team\tFebruary 2014 \u2013 March 2015\t",
        "\t\tRefresh the appraisal scheme.\tHead of Strategic HR/ HR Delivery Manager\t"
        "Sept - Nov 2016\tScheme drafted.",
        "\t\tReport sickness absence to managers.\tHRMT\tOngoing\tReports issued monthly.",
        "",
    ]
)
PRIYA = people.PersonInput(
    "Priya Shah", "priya@council.example", ("HRMT", "Head of Strategic HR"), (), ("owner",)
)


# Helpers ------------------------------------------------------------------------------------


def import_files(
    ctx: Context,
    *paths: Path,
    options: ImportOptions | None = None,
    directory: tuple[people.PersonInput, ...] = (),
) -> ImportReport:
    return import_plan_files(ctx, list(paths), options or ImportOptions(), people=directory)


def only_plan(report: ImportReport) -> PlanImportReport:
    assert len(report.plans) == 1
    return report.plans[0]


def actions_by_description(ctx: Context, plan_id: int | None = None) -> dict[str, dict[str, Any]]:
    rows = list(views.action_rows(ctx, plan_id=plan_id))
    found = {row["description"]: row for row in rows}
    assert len(found) == len(rows), "action descriptions are not unique"
    return found


def count(ctx: Context, model: type[SQLModel]) -> int:
    with ctx.database.reading() as session:
        total: int = session.exec(select(func.count()).select_from(model)).one()
        return total


def audit_head(ctx: Context) -> tuple[int, str]:
    with ctx.database.reading() as session:
        head = session.exec(select(AuditHead)).one()
        return head.seq, head.hash


def events(ctx: Context, name: str) -> list[dict[str, Any]]:
    """The audit events of one kind, oldest first, as plain values."""
    with ctx.database.reading() as session:
        found = session.exec(
            select(AuditEvent).where(AuditEvent.event == name).order_by(col(AuditEvent.seq))
        ).all()
        return [
            {
                "action_id": event.action_id,
                "actor_id": event.actor_id,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "comment": event.comment,
                "data": json.loads(event.data),
            }
            for event in found
        ]


def progress_texts(ctx: Context) -> dict[int, list[str]]:
    with ctx.database.reading() as session:
        rows = session.exec(
            select(ProgressUpdate.action_id, ProgressUpdate.text).order_by(col(ProgressUpdate.id))
        ).all()
    texts: dict[int, list[str]] = {}
    for action_id, text in rows:
        texts.setdefault(action_id, []).append(text)
    return texts


def copy_with(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """The fixture under its own file name in a new folder, with one passage changed."""
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {source.name}"
    folder = tmp_path / "edited"
    folder.mkdir(exist_ok=True)
    copy = folder / source.name
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def assert_nothing_stored(ctx: Context) -> None:
    assert plans.list_plans(ctx) == []
    assert list(views.action_rows(ctx)) == []
    for model in (Plan, Theme, Objective, Action, ProgressUpdate, Person):
        assert count(ctx, model) == 0, model.__name__
    assert audit_head(ctx) == (0, GENESIS_HASH)


# The plan and its structure ---------------------------------------------------------------------


def test_plan_kind_is_guessed_from_the_title(ctx: Context) -> None:
    """A plan titled "... Peer Challenge Improvement Plan" is imported as a peer challenge plan."""
    report = only_plan(import_files(ctx, PEER))
    assert (report.plan_title, report.plan_kind, report.plan_created) == (
        PEER_TITLE,
        "peer_challenge",
        True,
    )
    [plan] = plans.list_plans(ctx)
    assert (plan.id, plan.title, plan.kind) == (report.plan_id, PEER_TITLE, "peer_challenge")


def test_kind_option_overrides_the_guess(ctx: Context) -> None:
    """--kind wins over the kind the title suggests."""
    report = only_plan(import_files(ctx, PEER, options=ImportOptions(kind=PlanKind.ACTION_PLAN)))
    assert report.plan_kind == "action_plan"
    assert [plan.kind for plan in plans.list_plans(ctx)] == ["action_plan"]


def test_reimport_with_a_different_kind_is_refused(ctx: Context) -> None:
    """An existing plan is never silently turned into another kind of plan."""
    import_files(ctx, PEER)
    with pytest.raises(
        InvalidValue, match=r"already exists as a peer-challenge plan, not a service plan$"
    ):
        import_files(ctx, PEER, options=ImportOptions(kind=PlanKind.SERVICE_PLAN))
    assert [plan.kind for plan in plans.list_plans(ctx)] == ["peer_challenge"]


def test_themes_objectives_and_actions_match_the_parsed_records(ctx: Context) -> None:
    """Every parsed theme, objective and action is stored once, in document order."""
    parsed = read_plan_file(PEER)
    report = only_plan(import_files(ctx, PEER))
    assert (report.themes, report.objectives, len(report.actions)) == (3, 6, 16)
    assert (report.themes, report.objectives, len(report.actions)) == (
        len(parsed.themes),
        len(parsed.objectives()),
        len(parsed.actions()),
    )
    assert (count(ctx, Theme), count(ctx, Objective), count(ctx, Action)) == (3, 6, 16)
    rows = list(views.action_rows(ctx))
    assert [row["description"] for row in rows] == [a.description for a in parsed.actions()]
    assert [row["theme"] for row in rows] == [
        theme.title for theme in parsed.themes for o in theme.objectives for _ in o.actions
    ]
    assert [(row["objective_ref"], row["objective"]) for row in rows] == [
        (o.reference, o.text) for o in parsed.objectives() for _ in o.actions
    ]
    assert {row["plan"] for row in rows} == {PEER_TITLE}


def test_row_that_could_not_be_placed_is_reported_not_stored(ctx: Context) -> None:
    """The further action with no objective above it is listed as unplaced with its source."""
    report = only_plan(import_files(ctx, PEER))
    assert [(u.source, u.text) for u in report.unplaced] == [
        (
            "peer_challenge.txt:33",
            "Agree a single set of contract KPIs. | Head of Procurement | May 2015",
        )
    ]
    assert "Agree a single set of contract KPIs." not in actions_by_description(ctx)


def test_each_action_keeps_source_timescale_lead_and_parser_reasons(ctx: Context) -> None:
    """Source "file:line", raw timescale and lead as written survive; parser reasons come first."""
    parsed = {a.description: a for a in read_plan_file(PEER).actions()}
    rows = actions_by_description(ctx, only_plan(import_files(ctx, PEER)).plan_id)
    assert rows.keys() == parsed.keys()
    for description, record in parsed.items():
        row = rows[description]
        assert row["source"] == f"peer_challenge.txt:{record.line}", description
        assert row["timescale"] == record.timescale, description
        assert row["lead"] == record.lead, description
        assert row["needs_review"][: len(record.review)] == record.review, description
    launch = rows["Launch a manager development programme for all managers."]
    assert launch["source"] == "peer_challenge.txt:9"
    assert launch["lead"] == "Head of People/ Organisational Development Manager"
    assert "text merged across a page break" in launch["needs_review"]
    panel = rows["Set up a residents' panel."]
    assert panel["needs_review"][0].startswith("paragraphs did not line up: 3 actions, 2 lead")


def test_timescales_become_start_and_target_dates(ctx: Context) -> None:
    """A month ends on its last day, a financial year on 31 March, "Ongoing" has no target."""
    import_files(ctx, PEER)
    rows = actions_by_description(ctx)
    panel = rows["Set up a residents' panel."]
    assert (panel["timescale"], panel["start_date"], panel["target_date"]) == (
        "July 2015",
        None,
        "2015-07-31",
    )
    assert rows["Extend the financial plan to five years"]["target_date"] == "2016-02-29"
    depot = rows["Sell the former depot site."]
    assert (depot["timescale"], depot["target_date"]) == ("Ongoing until 2016/17.", "2017-03-31")
    reviews = rows["Hold quarterly contract reviews with Eastgate Leisure."]
    assert (reviews["timescale"], reviews["target_date"], reviews["recurrence"]) == (
        "Quarterly",
        None,
        "quarterly",
    )


def test_ongoing_and_ranges_in_a_plan(ctx: Context, tmp_path: Path) -> None:
    """ "Ongoing" imports with no target and no flag; a month range has a start and a target."""
    path = tmp_path / "workforce.txt"
    path.write_text(WORKFORCE, encoding="utf-8")
    import_files(ctx, path)
    rows = actions_by_description(ctx)
    ongoing = rows["Report sickness absence to managers."]
    assert (ongoing["timescale"], ongoing["start_date"], ongoing["target_date"]) == (
        "Ongoing",
        None,
        None,
    )
    assert ongoing["milestones"] == []
    assert not any("date" in reason or "timescale" in reason for reason in ongoing["needs_review"])
    strategy = rows["Adopt the workforce strategy."]
    assert (strategy["start_date"], strategy["target_date"]) == ("2014-02-01", "2015-03-31")
    appraisal = rows["Refresh the appraisal scheme."]
    assert (appraisal["start_date"], appraisal["target_date"]) == ("2016-09-01", "2016-11-30")


def test_two_labelled_timescales_become_milestones(ctx: Context) -> None:
    """ "October 2015 (Managers) 2016/17 (Staff)" is two labelled milestones ending at the later."""
    import_files(ctx, PEER)
    launch = actions_by_description(ctx)["Launch a manager development programme for all managers."]
    assert launch["timescale"] == "October 2015 (Managers) 2016/17 (Staff)"
    assert launch["milestones"] == [
        {"label": "Managers", "start_date": None, "target_date": "2015-10-31"},
        {"label": "Staff", "start_date": "2016-04-01", "target_date": "2017-03-31"},
    ]
    assert launch["target_date"] == "2017-03-31"
    with ctx.database.reading() as session:
        stored = session.exec(select(Action).where(Action.id == launch["id"])).one()
        assert (stored.start_date, stored.target_date) == (date(2016, 4, 1), date(2017, 3, 31))


# Leads, owners and bodies -------------------------------------------------------------------


def test_owners_are_matched_through_directory_aliases(ctx: Context) -> None:
    """A lead that is a person's alias makes that person owner; the lead is kept as written."""
    people.import_people(ctx, DIRECTORY)
    import_files(ctx, PEER)
    rows = actions_by_description(ctx)
    finance = rows["Extend the financial plan to five years"]
    assert (finance["lead"], finance["owner_email"]) == ("Head of Finance", "dana@council.example")
    assert not any(r.startswith("owner unresolved") for r in finance["needs_review"])
    booking = rows["Introduce a central booking system for temporary staff."]
    assert booking["owner_email"] == "hari@council.example"
    inherited = rows["Report agency spending monthly to Leadership Team."]
    assert (inherited["lead"], inherited["owner_email"]) == (
        "Head of Procurement",
        "hari@council.example",
    )
    assert [
        (row["description"], row["owner_email"])
        for row in views.action_rows(ctx, owner_email="petra@council.example")
    ] == [
        ("Launch a manager development programme for all managers.", "petra@council.example"),
        ("Cap agency spending at \u00a31.2m per year.", "petra@council.example"),
    ]


def test_first_person_matched_owns_and_the_rest_is_flagged(ctx: Context) -> None:
    """ "Leader/ Chief Executive": the Chief Executive owns it and "Leader" is flagged."""
    people.import_people(ctx, DIRECTORY)
    import_files(ctx, PEER)
    plan = actions_by_description(ctx)["Agree a new Council Plan for 2015/16."]
    assert (plan["lead"], plan["owner_email"]) == ("Leader/ Chief Executive", "sam@council.example")
    assert "owner unresolved: 'Leader' matches no person or body" in plan["needs_review"]
    launch = actions_by_description(ctx)["Launch a manager development programme for all managers."]
    assert launch["owner_email"] == "petra@council.example"
    assert (
        "owner unresolved: 'Organisational Development Manager' matches no person or body"
        in launch["needs_review"]
    )


def test_unknown_lead_is_kept_and_flagged_owner_unresolved(ctx: Context) -> None:
    """An action whose lead matches nobody still imports, with no owner and a review reason."""
    people.import_people(ctx, DIRECTORY)
    report = only_plan(import_files(ctx, PEER))
    depot = actions_by_description(ctx)["Sell the former depot site."]
    assert (depot["lead"], depot["owner_email"]) == ("Estates Manager", None)
    assert "owner unresolved: 'Estates Manager' matches no person or body" in depot["needs_review"]
    no_lead = actions_by_description(ctx)['Publish "you said, we did" reports.']
    assert (no_lead["lead"], no_lead["owner_email"]) == (None, None)
    assert "owner unresolved: no lead given" in no_lead["needs_review"]
    assert (
        depot["source"],
        depot["id"],
        "owner unresolved: 'Estates Manager' matches no person or body",
        ReviewReason.OWNER_UNRESOLVED,
    ) in {(item.source, item.action_id, item.reason, item.kind) for item in report.review}


def test_bodies_in_the_lead_become_approving_bodies(ctx: Context, tmp_path: Path) -> None:
    """ "Cabinet/ Corporate Management Team" names two bodies and no owner; aliases find people."""
    path = tmp_path / "workforce.txt"
    path.write_text(WORKFORCE, encoding="utf-8")
    import_files(ctx, path, directory=(PRIYA,))
    rows = actions_by_description(ctx)
    strategy = rows["Adopt the workforce strategy."]
    assert (strategy["lead"], strategy["owner_email"], strategy["approving_bodies"]) == (
        "Cabinet/ Corporate Management Team",
        None,
        ["Cabinet", "CMT"],
    )
    assert strategy["needs_review"] == ["owner unresolved: the lead names only bodies"]
    appraisal = rows["Refresh the appraisal scheme."]
    assert (appraisal["owner_email"], appraisal["approving_bodies"]) == (
        "priya@council.example",
        [],
    )
    assert appraisal["needs_review"] == [
        "owner unresolved: 'HR Delivery Manager' matches no person or body"
    ]
    hrmt = rows["Report sickness absence to managers."]
    assert (hrmt["owner_email"], hrmt["needs_review"]) == ("priya@council.example", [])


# States from progress -----------------------------------------------------------------------


def test_states_are_inferred_from_progress(ctx: Context) -> None:
    """Complete, deferred/on hold, other progress and no progress give four different states."""
    import_files(ctx, PEER)
    import_files(ctx, HR)
    states = {description: row["state"] for description, row in actions_by_description(ctx).items()}
    assert states["Introduce a central booking system for temporary staff."] == "complete"
    assert states["To agree a revised pay policy statement."] == "complete"
    assert states["To review job evaluation arrangements."] == "deferred"
    assert states["To introduce an employee benefits scheme."] == "deferred"
    assert states["Cap agency spending at \u00a31.2m per year."] == "in_progress"
    assert states["Sell the former depot site."] == "in_progress"
    assert states["Report agency spending monthly to Leadership Team."] == "approved"
    assert states["Run an annual budget survey."] == "approved"
    assert set(states.values()) == {"complete", "deferred", "in_progress", "approved"}


# Audit and history --------------------------------------------------------------------------


def test_every_action_has_one_imported_event_citing_its_source(ctx: Context) -> None:
    """Each imported action gets exactly one `imported` event with its source and state."""
    report = only_plan(import_files(ctx, PEER))
    rows = {row["id"]: row for row in views.action_rows(ctx)}
    imported = events(ctx, "imported")
    assert sorted(event["action_id"] for event in imported) == sorted(rows)
    assert len(imported) == len(rows) == 16
    for event in imported:
        row = rows[event["action_id"]]
        assert event["data"] == {"source": row["source"], "plan_id": report.plan_id}
        assert (event["to_state"], event["from_state"], event["actor_id"]) == (
            row["state"],
            None,
            None,
        )
    assert not events(ctx, "approved")
    with ctx.database.reading() as session:
        verified = audit.verify(session)
    assert verified.events == audit_head(ctx)[0] == 17  # plan_created + 16 imported
    assert len(events(ctx, "plan_created")) == 1


def test_history_shows_the_import(ctx: Context) -> None:
    """An action's history is its `imported` event, with the words that decided its state."""
    import_files(ctx, PEER)
    booking = actions_by_description(ctx)["Introduce a central booking system for temporary staff."]
    history = views.action_detail(ctx, booking["id"])["history"]
    assert [(h["event"], h["by"], h["from_state"], h["to_state"]) for h in history] == [
        ("imported", None, None, "complete")
    ]
    assert history[0]["comment"] == "Complete"


def test_progress_text_becomes_a_progress_update(ctx: Context) -> None:
    """Progress written in the plan is the action's latest progress; no progress stores none."""
    parsed = {a.description: a for a in read_plan_file(PEER).actions()}
    import_files(ctx, PEER)
    rows = actions_by_description(ctx)
    for description, record in parsed.items():
        detail = views.action_detail(ctx, rows[description]["id"])
        expected = record.progress.strip() if record.progress and record.progress.strip() else None
        assert detail["latest_progress"] == expected, description
    depot = views.action_detail(ctx, rows["Sell the former depot site."]["id"])
    assert depot["latest_progress"] == "Marketing agents appointed."
    assert count(ctx, ProgressUpdate) == sum(
        1 for record in parsed.values() if record.progress and record.progress.strip()
    )
    assert all(len(texts) == 1 for texts in progress_texts(ctx).values())


# Re-import ----------------------------------------------------------------------------------


def test_reimporting_the_same_file_is_idempotent(ctx: Context) -> None:
    """A second import of an unchanged file adds nothing and reports every action unchanged."""
    first = only_plan(import_files(ctx, PEER))
    rows_before = list(views.action_rows(ctx))
    progress_before = progress_texts(ctx)
    head_before = audit_head(ctx)
    second = only_plan(import_files(ctx, PEER))
    assert (second.plan_id, second.plan_created) == (first.plan_id, False)
    assert {line.status for line in second.actions} == {"unchanged"}
    assert [line.id for line in second.actions] == [line.id for line in first.actions]
    assert (second.themes, second.objectives, len(second.actions)) == (3, 6, 16)
    assert second.not_in_files == []
    assert (count(ctx, Plan), count(ctx, Theme), count(ctx, Objective), count(ctx, Action)) == (
        1,
        3,
        6,
        16,
    )
    assert list(views.action_rows(ctx)) == rows_before
    assert progress_texts(ctx) == progress_before
    assert audit_head(ctx) == head_before


def test_edited_progress_adds_one_update_to_that_action_only(ctx: Context, tmp_path: Path) -> None:
    """Changing one progress cell gives that action one new update and leaves the rest alone."""
    import_files(ctx, PEER)
    rows_before = list(views.action_rows(ctx))
    progress_before = progress_texts(ctx)
    edited = copy_with(
        tmp_path,
        PEER,
        "Marketing agents appointed.",
        "Marketing agents appointed. Two offers received.",
    )
    report = only_plan(import_files(ctx, edited))
    depot_id = next(
        r["id"] for r in rows_before if r["description"] == "Sell the former depot site."
    )
    assert [(line.id, line.status) for line in report.actions if line.status != "unchanged"] == [
        (depot_id, "progress added")
    ]
    assert len(report.actions) == 16
    assert report.count("created") == 0
    assert list(views.action_rows(ctx)) == rows_before
    after = progress_texts(ctx)
    assert after[depot_id] == [
        "Marketing agents appointed.",
        "Marketing agents appointed. Two offers received.",
    ]
    assert {k: v for k, v in after.items() if k != depot_id} == {
        k: v for k, v in progress_before.items() if k != depot_id
    }
    detail = views.action_detail(ctx, depot_id)
    assert detail["latest_progress"] == "Marketing agents appointed. Two offers received."
    assert [h["event"] for h in detail["history"]] == ["imported", "progress"]
    [added] = events(ctx, "progress")
    assert added["action_id"] == depot_id
    assert added["data"] == {"source": "peer_challenge.txt:22", "imported": True}
    assert added["comment"] == "Marketing agents appointed. Two offers received."
    assert len(events(ctx, "imported")) == 16
    with ctx.database.reading() as session:
        audit.verify(session)


def test_action_removed_from_the_file_is_listed_and_kept(ctx: Context, tmp_path: Path) -> None:
    """An action missing from a re-imported file is reported in not_in_files, never deleted."""
    import_files(ctx, PEER)
    removed = actions_by_description(ctx)["Review the complaints process."]
    edited = copy_with(
        tmp_path,
        PEER,
        "\t\t<p>Review the complaints process.</p>\tHead of Customer Services\t"
        "January 2016\tNew process drafted.\n",
        "",
    )
    report = only_plan(import_files(ctx, edited))
    assert report.not_in_files == [removed["id"]]
    assert len(report.actions) == 15
    assert {line.status for line in report.actions} == {"unchanged"}
    assert count(ctx, Action) == 16
    kept = views.action_detail(ctx, removed["id"])
    assert (kept["description"], kept["state"], kept["source"]) == (
        "Review the complaints process.",
        removed["state"],
        removed["source"],
    )


# Dry run ------------------------------------------------------------------------------------


def test_dry_run_reports_everything_and_stores_nothing(ctx: Context) -> None:
    """--dry-run gives the full report, people included, yet leaves the database untouched."""
    report = import_files(ctx, PEER, options=ImportOptions(dry_run=True), directory=DIRECTORY)
    plan = only_plan(report)
    assert report.dry_run
    assert (report.people_created, report.people_updated) == (len(DIRECTORY), 0)
    assert (plan.plan_title, plan.plan_kind, plan.themes, plan.objectives) == (
        PEER_TITLE,
        "peer_challenge",
        3,
        6,
    )
    assert len(plan.actions) == plan.count("created") == 16
    assert plan.review
    finance = next(
        a for a in plan.actions if a.description == "Extend the financial plan to five years"
    )
    assert (finance.owner_email, finance.target_date) == ("dana@council.example", "2016-02-29")
    assert report.as_json()["plans"][0]["counts"]["actions"] == 16
    assert_nothing_stored(ctx)


def test_dry_run_of_a_reimport_stores_no_progress(ctx: Context, tmp_path: Path) -> None:
    """A dry run reports new progress but does not store it."""
    import_files(ctx, PEER)
    head = audit_head(ctx)
    progress_before = progress_texts(ctx)
    edited = copy_with(tmp_path, PEER, "Marketing agents appointed.", "Site sold.")
    report = only_plan(import_files(ctx, edited, options=ImportOptions(dry_run=True)))
    assert report.count("progress added") == 1
    assert progress_texts(ctx) == progress_before
    assert audit_head(ctx) == head


# All or nothing -----------------------------------------------------------------------------


def test_binary_file_fails_the_whole_import(ctx: Context, tmp_path: Path) -> None:
    """A good file and a binary one: an error naming the binary file, and no plan at all."""
    bad = tmp_path / "scanned_plan.txt"
    bad.write_bytes(b"Action plan\nTheme\t\t\n\x00\x01\x02\xff binary")
    with pytest.raises(InputFileError) as raised:
        import_files(ctx, PEER, bad, directory=DIRECTORY)
    assert raised.value.file == str(bad)
    assert "binary" in raised.value.problem
    assert "scanned_plan.txt" in str(raised.value)
    assert_nothing_stored(ctx)


def test_file_without_a_header_row_fails_the_whole_import(ctx: Context, tmp_path: Path) -> None:
    """A narrative file with no table is refused by name and nothing is imported."""
    bad = tmp_path / "foreword.txt"
    bad.write_text("# Foreword\n\nThe council will improve.\n", encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        import_files(ctx, PEER, bad)
    assert raised.value.file == str(bad)
    assert raised.value.problem.startswith("no recognisable header row")
    assert_nothing_stored(ctx)


def test_unsupported_extension_is_refused(ctx: Context, tmp_path: Path) -> None:
    """An Apple Pages document is refused naming the file, before anything is written."""
    pages = tmp_path / "plan.pages"
    pages.write_bytes(b"PK\x03\x04 not read")
    with pytest.raises(InputFileError) as raised:
        import_files(ctx, PEER, pages)
    assert raised.value.file == str(pages)
    assert "'.pages'" in raised.value.problem
    assert "plan.pages" in str(raised.value)
    assert_nothing_stored(ctx)


def test_damaged_word_document_is_refused_with_the_fix(ctx: Context, tmp_path: Path) -> None:
    """A .docx that is not a zip is refused in one line saying what to do, nothing written."""
    docx = tmp_path / "plan.docx"
    docx.write_bytes(b"PK\x03\x04 not read")
    with pytest.raises(InputFileError) as raised:
        import_files(ctx, PEER, docx)
    assert raised.value.file == str(docx)
    assert "save it again" in raised.value.problem
    assert_nothing_stored(ctx)


def test_failure_while_writing_rolls_back_earlier_plans_and_people(ctx: Context) -> None:
    """When the second plan is refused, the first plan and the people given are not kept."""
    plans.create_plan(ctx, "hr_people_plan", PlanKind.SERVICE_PLAN)
    head = audit_head(ctx)
    with pytest.raises(
        InvalidValue, match=r"already exists as a service plan, not an action plan$"
    ):
        import_files(
            ctx, PEER, HR, options=ImportOptions(kind=PlanKind.ACTION_PLAN), directory=DIRECTORY
        )
    assert [(p.title, p.kind) for p in plans.list_plans(ctx)] == [
        ("hr_people_plan", "service_plan")
    ]
    for model in (Theme, Objective, Action, ProgressUpdate, Person):
        assert count(ctx, model) == 0, model.__name__
    assert audit_head(ctx) == head


# Spreadsheets -------------------------------------------------------------------------------


def _write_xlsx_from_csv(source: Path, target: Path) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(target)
    workbook.close()


def test_csv_and_xlsx_import_the_same_actions(ctx: Context, tmp_path: Path) -> None:
    """The same table exported as CSV and as XLSX gives the same actions."""
    xlsx = tmp_path / "customer_services_plan.xlsx"
    _write_xlsx_from_csv(CUSTOMER_CSV, xlsx)
    from_csv = only_plan(import_files(ctx, CUSTOMER_CSV, options=ImportOptions(plan_title="CSV")))
    from_xlsx = only_plan(import_files(ctx, xlsx, options=ImportOptions(plan_title="XLSX")))

    def comparable(plan_id: int | None) -> list[dict[str, Any]]:
        ignored = {"id", "plan_id", "plan", "source"}
        return [
            {k: v for k, v in row.items() if k not in ignored}
            for row in views.action_rows(ctx, plan_id=plan_id)
        ]

    csv_rows, xlsx_rows = comparable(from_csv.plan_id), comparable(from_xlsx.plan_id)
    assert csv_rows == xlsx_rows
    assert [(r["description"], r["target_date"], r["state"]) for r in csv_rows] == [
        ("Move council tax forms online", "2024-06-30", "in_progress"),
        ("Move waste requests online", "2024-09-30", "approved"),
        ("Close the cash office", "2025-03-31", "approved"),
        ("Introduce a complaints tracker", None, "in_progress"),
    ]
    assert (from_csv.themes, from_csv.objectives) == (from_xlsx.themes, from_xlsx.objectives)
    assert (from_csv.themes, from_csv.objectives) == (2, 2)
    sources = [row["source"] for row in views.action_rows(ctx)]
    assert all(s.startswith("customer_services_plan.csv:") for s in sources[:4])
    assert all(s.startswith("customer_services_plan.xlsx, sheet ") for s in sources[4:])


# Several files ------------------------------------------------------------------------------


def test_several_files_with_a_plan_title_make_one_plan(ctx: Context) -> None:
    """--plan-title puts every file's themes and actions into the one plan named."""
    report = only_plan(
        import_files(ctx, PEER, HR, options=ImportOptions(plan_title="Northfield plans 2015"))
    )
    assert report.plan_title == "Northfield plans 2015"
    assert [Path(f).name for f in report.files] == ["peer_challenge.txt", "hr_people_plan.txt"]
    assert (report.themes, len(report.actions)) == (5, 25)
    [plan] = plans.list_plans(ctx)
    assert plan.title == "Northfield plans 2015"
    rows = list(views.action_rows(ctx, plan_id=plan.id))
    assert len(rows) == 25
    files = [row["source"].split(":")[0] for row in rows]
    assert files.count("peer_challenge.txt") == 16
    assert files.count("hr_people_plan.txt") == 9


def test_without_a_plan_title_each_file_is_its_own_plan(ctx: Context) -> None:
    """Each file becomes a plan named by its title, or by its file name when it has none."""
    report = import_files(ctx, PEER, HR)
    assert [(p.plan_title, p.plan_kind, len(p.actions)) for p in report.plans] == [
        (PEER_TITLE, "peer_challenge", 16),
        ("hr_people_plan", "action_plan", 9),
    ]
    listed = plans.list_plans(ctx)
    assert [p.title for p in listed] == [PEER_TITLE, "hr_people_plan"]
    for plan in listed:
        expected = "peer_challenge.txt" if plan.title == PEER_TITLE else "hr_people_plan.txt"
        rows = list(views.action_rows(ctx, plan_id=plan.id))
        assert {row["source"].split(":")[0] for row in rows} == {expected}


# People with the import ---------------------------------------------------------------------


def test_people_given_with_the_import_are_stored_and_matched(ctx: Context) -> None:
    """People passed with the plan are added in the same import and own the actions they lead."""
    report = import_files(ctx, PEER, directory=DIRECTORY)
    assert (report.people_created, report.people_updated) == (4, 0)
    assert sorted(p.email for p in people.list_people(ctx)) == sorted(p.email for p in DIRECTORY)
    rows = actions_by_description(ctx)
    assert rows["Extend the financial plan to five years"]["owner_email"] == "dana@council.example"
    assert rows["Publish a target operating model."]["owner_email"] == "sam@council.example"
    line = next(
        a for a in only_plan(report).actions if a.description == "Publish a target operating model."
    )
    assert line.owner_email == "sam@council.example"


# Repeats and owners' own updates ------------------------------------------------------------


def test_the_same_action_in_two_files_of_one_plan_is_imported_once(
    ctx: Context, tmp_path: Path
) -> None:
    """Two copies of one plan imported into one plan store each action once, repeats flagged."""
    copy = tmp_path / "second_copy" / PEER.name
    copy.parent.mkdir()
    copy.write_bytes(PEER.read_bytes())
    report = only_plan(import_files(ctx, PEER, copy, options=ImportOptions(plan_title="Merged")))
    assert count(ctx, Action) == 16
    assert len(events(ctx, "imported")) == 16
    first, repeated = report.actions[:16], report.actions[16:]
    assert [line.status for line in first] == ["created"] * 16
    assert [line.status for line in repeated] == ["duplicate"] * 16
    for original, again in zip(first, repeated, strict=True):
        assert again.needs_review[-1] == ReviewNote(
            ReviewReason.DUPLICATE, f"the same action appears again: first at {original.source}"
        )
    assert report.count("duplicate") == 16
    assert {row["plan"] for row in views.action_rows(ctx)} == {"Merged"}


def test_reimport_after_an_owner_update_does_not_repeat_old_progress(ctx: Context) -> None:
    """An owner's update survives re-importing an unchanged file, which adds nothing."""
    import_files(ctx, PEER, directory=DIRECTORY)
    finance = actions_by_description(ctx)["Extend the financial plan to five years"]
    progress.record_progress(
        ctx, finance["id"], "Model signed off by Cabinet.", None, by_email="dana@council.example"
    )
    report = only_plan(import_files(ctx, PEER))
    assert {line.status for line in report.actions} == {"unchanged"}
    assert views.action_detail(ctx, finance["id"])["latest_progress"] == (
        "Model signed off by Cabinet."
    )
    assert progress_texts(ctx)[finance["id"]] == [
        "Five year model built.",
        "Model signed off by Cabinet.",
    ]


# Fixed faults ------------------------------------------------------------------------------------


def test_reimport_reports_what_is_stored_and_flags_what_the_file_changed(
    ctx: Context, tmp_path: Path
) -> None:
    """A re-import keeps the stored lead, timescale and state, and says what the file changed."""
    import_files(ctx, PEER, directory=DIRECTORY)
    edited = copy_with(tmp_path, PEER, "Marketing agents appointed.", "Sold. COMPLETE.")
    edited = copy_with(tmp_path, edited, "Ongoing until 2016/17.", "March 2018")
    report = only_plan(import_files(ctx, edited))
    line = next(a for a in report.actions if a.description == "Sell the former depot site.")
    assert (line.timescale, line.target_date, line.state) == (
        "Ongoing until 2016/17.",
        "2017-03-31",
        "in_progress",
    )
    changed = [note.text for note in line.needs_review if note.reason is ReviewReason.CHANGED]
    assert any("the file now says timescale 'March 2018'" in text for text in changed)
    assert any("the file now says the action is complete" in text for text in changed)
    stored = actions_by_description(ctx)["Sell the former depot site."]
    assert (stored["timescale"], stored["state"]) == ("Ongoing until 2016/17.", "in_progress")


def test_dry_run_report_gives_no_ids(ctx: Context) -> None:
    """A dry run's report names no plan or action ids, since none were kept."""
    report = only_plan(import_files(ctx, PEER, options=ImportOptions(dry_run=True)))
    assert report.plan_id is None
    assert {line.id for line in report.actions} == {None}


def test_services_plan_title_is_a_service_plan() -> None:
    """'People Services Plan' and 'Service Plan' are service plans; others action plans."""
    assert importing.guess_kind("NORTHFIELD COUNCIL PEOPLE SERVICES PLAN 2009/10") == (
        PlanKind.SERVICE_PLAN
    )
    assert importing.guess_kind("Chief Executive's Office Service Plan") == PlanKind.SERVICE_PLAN
    assert importing.guess_kind("HR and People Strategy") == PlanKind.ACTION_PLAN


def test_long_cells_are_kept_whole_on_every_database(ctx: Context, tmp_path: Path) -> None:
    """A lead or timescale of several hundred characters is stored as written."""
    long_lead = "Head of Finance/ " + "Service Manager for Neighbourhoods " * 20
    plan = tmp_path / "long.txt"
    plan.write_text(
        f"Long Cells Plan\n\nTheme\t\t\t\t\t\n{HEADER}\n"
        f"Challenge\tOutcome\tDo the thing.\t{long_lead}\tJuly 2014\tStarted.\n",
        encoding="utf-8",
    )
    import_files(ctx, plan, directory=DIRECTORY)
    stored = actions_by_description(ctx)["Do the thing."]
    assert stored["lead"] == long_lead.strip()
