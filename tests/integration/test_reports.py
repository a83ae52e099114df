"""The committee report against a real database: its DOCX opened with python-docx and its PDF
with pdfplumber, checked against the database; exceptions first; the date ledger of an action
re-dated twice; and the same snapshot giving the same bytes however much later it is made."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from improveflow import audit_checkpoint
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.services import approvals, audit_checkpoints, progress, reports
from improveflow.services.context import Context
from improveflow.services.reports import ReportFormat
from improveflow.testing import add_action, add_plan, add_sample_people, make_context

OWEN = "owen@council.example"
DANA = "dana@council.example"  # CMT
SAM = "sam@council.example"  # CMT
RUTH = "ruth@council.example"  # Cabinet
LEDGER = "first due 31 July 2014; re-dated twice"


@dataclass(frozen=True)
class Plan:
    id: int
    redated: int
    red: int
    deferred: int
    overdue: int
    quiet: int


def _decide(ctx: Context, action_id: int, trigger: str, decider: str, **asked: object) -> None:
    request_id = approvals.request_change(ctx, action_id, trigger, by_email=OWEN, **asked)  # type: ignore[arg-type]
    if request_id.request_id is not None:
        approvals.decide(ctx, request_id.request_id, Verdict.APPROVE, by_email=decider)


def _started(ctx: Context, plan_id: int, description: str, target: date, theme: str) -> int:
    action_id = add_action(ctx, plan_id, description, target=target, theme=theme)
    _decide(ctx, action_id, "approve", DANA)
    _decide(ctx, action_id, "start", DANA)
    return action_id


@pytest.fixture
def plan(ctx: Context) -> Plan:
    add_sample_people(ctx)
    plan_id = add_plan(ctx, kind=PlanKind.SERVICE_PLAN)
    money, people = "Financial Planning and Viability", "Workforce"
    redated = _started(ctx, plan_id, "Extend the financial strategy", date(2014, 7, 31), money)
    _decide(
        ctx, redated, "revise_target", SAM, reason="Data late", new_target_date=date(2014, 9, 30)
    )
    _decide(
        ctx,
        redated,
        "revise_target",
        SAM,
        reason="Audit moved",
        new_target_date=date(2014, 12, 31),
    )
    red = _started(ctx, plan_id, "Close the budget gap", date(2015, 3, 31), money)
    progress.record_progress(ctx, red, "Savings short by £2m", Rag.RED, by_email=OWEN)
    deferred = _started(ctx, plan_id, "Review the pay policy", date(2014, 10, 31), people)
    _decide(ctx, deferred, "defer", RUTH, reason="Waiting for the national award")
    overdue = _started(ctx, plan_id, "Publish the workforce plan", date(2014, 5, 30), people)
    quiet = add_action(ctx, plan_id, "Train every manager", target=date(2015, 1, 31), theme=people)
    return Plan(plan_id, redated, red, deferred, overdue, quiet)


def _docx(data: bytes) -> list[Paragraph | Table]:
    return list(Document(io.BytesIO(data)).iter_inner_content())


def _headings(blocks: list[Paragraph | Table]) -> list[tuple[str, str]]:
    return [
        (b.style.name, b.text)
        for b in blocks
        if isinstance(b, Paragraph) and b.style is not None and b.style.name.startswith("Heading")
    ]


def _table_after(blocks: list[Paragraph | Table], heading: str) -> Table:
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Paragraph) and b.text == heading)
    return next(b for b in blocks[start:] if isinstance(b, Table))


def _rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_docx_has_the_sections_in_order_with_real_headings(ctx: Context, plan: Plan) -> None:
    """Summary, exceptions, the plan theme by theme, then the decisions: each a real Word
    heading, so a screen reader and the navigation pane can move between them."""
    report = reports.make_report(ctx, plan.id)
    headings = _headings(_docx(reports.render(report, ReportFormat.DOCX)))
    level2 = [text for style, text in headings if style == "Heading 2"]
    assert level2 == [
        "Summary",
        "Exceptions",
        "The plan",
        "Appendix: decisions since the plan's start",
    ]
    assert [text for style, text in headings if style == "Heading 3"][-2:] == [
        "Financial Planning and Viability",
        "Workforce",
    ]
    assert headings[0] == ("Heading 1", "Peer Challenge Improvement Plan: progress report")


def test_docx_plan_tables_match_the_database(ctx: Context, plan: Plan) -> None:
    """Every action is a row under its theme and challenge with its lead, owner, both target
    dates, the date ledger, the state and RAG as words, and its latest progress with its date."""
    report = reports.make_report(ctx, plan.id)
    blocks = _docx(reports.render(report, ReportFormat.DOCX))
    table = _table_after(blocks, "Workforce")
    rows = _rows(table)
    assert rows[0] == [
        "Ref",
        "Action",
        "Lead",
        "Owner",
        "First target",
        "Current target",
        "Date changes",
        "State",
        "RAG",
        "Latest progress",
    ]
    assert [row[1] for row in rows[1:]] == [
        "Review the pay policy",
        "Publish the workforce plan",
        "Train every manager",
    ]
    assert rows[1][3:9] == [
        "Owen Marsh",
        "31 October 2014",
        "31 October 2014",
        "first due 31 October 2014; not re-dated",
        "Deferred",
        "Not rated",
    ]
    money = _rows(_table_after(blocks, "Financial Planning and Viability"))
    assert money[1][1:9] == [
        "Extend the financial strategy",
        "",
        "Owen Marsh",
        "31 July 2014",
        "31 December 2014",
        LEDGER,
        "In progress",
        "Not rated",
    ]
    assert money[2][8:] == ["Red", "Savings short by £2m (2 June 2014)"]
    # The header row repeats on every page and is the table's header for assistive technology.
    first_row = table._tbl.tr_lst[0]
    assert first_row.trPr.find(qn("w:tblHeader")) is not None
    assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in table._tbl.tr_lst[1:])


def test_exceptions_come_first_each_with_its_reason(ctx: Context, plan: Plan) -> None:
    """Red, then overdue, then deferred, then re-dated actions, before the plan, each saying why."""
    report = reports.make_report(ctx, plan.id)
    blocks = _docx(reports.render(report, ReportFormat.DOCX))
    rows = _rows(_table_after(blocks, "Exceptions"))
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("Close the budget gap", "Red"),
        ("Publish the workforce plan", "Overdue"),
        ("Review the pay policy", "Deferred"),
        ("Extend the financial strategy", "Re-dated"),
    ]
    reasons = [row[2] for row in rows[1:]]
    assert reasons == [
        "Rated red: Savings short by £2m",
        "Past its target date of 30 May 2014",
        "Deferred: Waiting for the national award",
        "Target date changed twice, now 31 December 2014: Audit moved",
    ]
    order = [text for _, text in _headings(blocks)]
    assert order.index("Exceptions") < order.index("The plan")


def test_summary_counts_and_changes_since_the_last_report(
    ctx: Context, plan: Plan, clock: FrozenClock
) -> None:
    """The summary counts by state and RAG; a second report counts only what changed after the
    first: here one action completed and one re-dated, and the decisions behind them."""
    first = reports.make_report(ctx, plan.id)
    assert [(c.label, c.number) for c in first.summary.by_rag] == [
        ("Red", 1),
        ("Amber", 0),
        ("Green", 0),
        ("Not rated", 4),
    ]
    assert {(c.label, c.number) for c in first.summary.by_state} == {
        ("Drafted", 1),
        ("In progress", 3),
        ("Deferred", 1),
    }
    assert [c.action for c in first.summary.newly_red] == ["Close the budget gap"]
    clock.advance(timedelta(days=30))
    progress.record_progress(ctx, plan.red, "Still £2m short", Rag.RED, by_email=OWEN)
    progress.record_progress(ctx, plan.overdue, "Published", Rag.GREEN, by_email=OWEN)
    _decide(ctx, plan.overdue, "complete", DANA)
    _decide(
        ctx,
        plan.red,
        "revise_target",
        SAM,
        reason="Budget reset",
        new_target_date=date(2015, 6, 30),
    )
    clock.advance(timedelta(days=1))
    second = reports.make_report(ctx, plan.id)
    assert second.since_text == "since the report of 2 June 2014 (snapshot 1)"
    assert [c.action for c in second.summary.completed] == ["Publish the workforce plan"]
    assert [c.detail for c in second.summary.redated] == [
        "from 31 March 2015 to 30 June 2015: Budget reset"
    ]
    assert second.summary.deferred == []
    assert second.summary.newly_red == []
    assert [(d.asked, d.asked_by, d.decided_by, d.decided_on) for d in second.decisions] == [
        ("mark the action complete", "Owen Marsh", "Dana Reeve (approved)", date(2014, 7, 2)),
        (
            "change the target date to 30 June 2015",
            "Owen Marsh",
            "Sam Patel (approved)",
            date(2014, 7, 2),
        ),
    ]
    # --since overrides the last report.
    again = reports.make_report(ctx, plan.id, since=date(2014, 6, 1))
    assert again.since_text == "since 1 June 2014"
    assert len(again.summary.redated) == 3
    assert [(c.action, c.detail) for c in again.summary.newly_red] == [
        ("Close the budget gap", "Still £2m short")
    ]


def test_decisions_appendix_names_who_asked_and_who_decided(ctx: Context, plan: Plan) -> None:
    """The appendix lists each decision: what was asked, by whom, who decided, when."""
    report = reports.make_report(ctx, plan.id)
    blocks = _docx(reports.render(report, ReportFormat.DOCX))
    rows = _rows(_table_after(blocks, "Appendix: decisions since the plan's start"))
    assert rows[0] == [
        "Action",
        "What was asked",
        "Asked by",
        "Reason given",
        "Decided by",
        "Outcome",
        "Decided on",
    ]
    assert [
        "Extend the financial strategy",
        "change the target date to 31 December 2014",
        "Owen Marsh",
        "Audit moved",
        "Sam Patel (approved)",
        "Approved",
        "2 June 2014",
    ] in rows
    assert ["Review the pay policy", "defer the action", "Owen Marsh"] in [r[:3] for r in rows]


def test_docx_declares_its_language_and_snapshot(ctx: Context, plan: Plan) -> None:
    """The document's language is British English, its properties carry the snapshot's
    moment (not the moment it was rendered), and its zip entries carry one fixed date."""
    report = reports.make_report(ctx, plan.id)
    data = reports.render(report, ReportFormat.DOCX)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        # Every entry dated alike, and no thumbnail of the blank page it was made from.
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in package.namelist()
    document = Document(io.BytesIO(data))
    styles = document.styles.element
    assert styles.find(f".//{qn('w:rPrDefault')}//{qn('w:lang')}").get(qn("w:val")) == "en-GB"
    props = document.core_properties
    assert props.language == "en-GB"
    assert props.created == report.made_at
    assert props.last_printed is None  # never printed: nothing claims it was
    assert props.identifier == f"report-snapshot-{report.snapshot_id}"


def test_pdf_reads_in_order_with_the_ledger(ctx: Context, plan: Plan) -> None:
    """The PDF has the same sections in the same order, the exceptions before the plan, the
    twice re-dated action's ledger, and names the audit event it was made at; it is tagged and
    in British English for screen readers."""
    report = reports.make_report(ctx, plan.id)
    data = reports.render(report, ReportFormat.PDF)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        tables = [
            [[" ".join((cell or "").split()) for cell in row] for row in table]
            for page in pdf.pages
            for table in page.extract_tables()
        ]
        catalog = pdf.doc.catalog
        assert catalog["Lang"] == b"en-GB"
        assert "StructTreeRoot" in catalog
    lines = [line.strip() for line in text.splitlines()]
    positions = [
        lines.index(heading)
        for heading in (
            "Summary",
            "Exceptions",
            "The plan",
            "Appendix: decisions since the plan's start",
        )
    ]
    assert positions == sorted(positions)
    flat = " ".join(text.split())
    assert flat.index("Close the budget gap") < flat.index(" The plan Financial")
    plan_rows = [row for table in tables if table[0][:2] == ["Ref", "Action"] for row in table[1:]]
    assert [row[1] for row in plan_rows] == [
        "Extend the financial strategy",
        "Close the budget gap",
        "Review the pay policy",
        "Publish the workforce plan",
        "Train every manager",
    ]
    assert plan_rows[0][4:8] == ["31 July 2014", "31 December 2014", LEDGER, "In progress"]
    assert f"Made at audit event {report.checkpoint.seq}" in flat


def test_the_same_snapshot_gives_the_same_bytes(
    ctx: Context, plan: Plan, clock: FrozenClock
) -> None:
    """A stored report produced again months later, after the plan has changed, is byte for
    byte the one first made, in DOCX, PDF and HTML; a new report of the changed plan is not."""
    report = reports.make_report(ctx, plan.id)
    first = {fmt: reports.render(report, fmt) for fmt in ReportFormat}
    clock.advance(timedelta(days=180))
    progress.record_progress(ctx, plan.quiet, "Underway", Rag.AMBER, by_email=OWEN)
    again = reports.stored_report(ctx, report.snapshot_id, plan.id)
    assert {fmt: reports.render(again, fmt) for fmt in ReportFormat} == first
    newer = reports.make_report(ctx, plan.id)
    assert reports.render(newer, ReportFormat.DOCX) != first[ReportFormat.DOCX]
    assert newer.checkpoint.seq > report.checkpoint.seq


def test_with_the_audit_key_the_report_stands_on_a_signed_checkpoint(
    database_url: str, clock: FrozenClock
) -> None:
    """With IMPROVEFLOW_AUDIT_KEY set, the snapshot keeps a checkpoint signed with it, at the
    log's head when the report was made, and the report names it."""
    key = "an-audit-key-for-tests-kept-apart-from-the-database"
    keyed = make_context(database_url, clock=clock, audit_key=key)
    try:
        add_sample_people(keyed)
        plan_id = add_plan(keyed, kind=PlanKind.SERVICE_PLAN)
        add_action(keyed, plan_id)
        report = reports.make_report(keyed, plan_id)
        assert keyed.database.audit_key is not None
        signed = audit_checkpoint.parse(
            report.checkpoint.document, keyed.database.audit_key, source="the report"
        )
        verified = audit_checkpoints.verify_log(keyed)
        assert (signed.seq, signed.head_hash) == (verified.events, verified.head_hash)
        assert report.checkpoint.seq == signed.seq
        page = reports.render(report, ReportFormat.HTML).decode()
        assert f"in a checkpoint signed with audit key {signed.key_id}" in page
    finally:
        keyed.close()
