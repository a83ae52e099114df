"""The progress review pack against a real database, in each format: the Word document opened
with python-docx, the PDF with pdfplumber and the page with an HTML parser. Each has the peer
challenge timetable as it stands, then each recommendation with its actions, their status,
RAG rating and evidence, row for row as the database holds them; the same snapshot gives the
same bytes in every format."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pdfplumber
import pytest
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from improveflow import exceptions
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.services import (
    approvals,
    dashboard,
    milestones,
    plan_export,
    plans,
    progress,
    reports,
)
from improveflow.services.context import Context
from improveflow.services.reports import ReportFormat, ReportPack
from improveflow.testing import add_action, add_plan, add_sample_people

OWEN = "owen@council.example"
DANA = "dana@council.example"
PACK = ReportPack.PROGRESS_REVIEW
ACTION_HEADERS = ["Ref", "Action", "Owner", "Target date", "Status", "RAG", "Evidence"]
TIMETABLE_HEADERS = ["Milestone", "Due by", "Latest date", "Where it stands", "Link"]
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", None: "Not rated"}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _expected(ctx: Context, plan_id: int) -> dict[str, list[list[str]]]:
    """Each recommendation's heading and its actions' rows, read from the database (the rows
    the CSV export reads), in the words the pack uses."""
    workflow = dashboard.plan_for(ctx, plan_id, None).workflow
    labels = {name: s.label for name, s in ctx.workflows.workflow(workflow).states.items()}
    found: dict[str, list[list[str]]] = {}
    for item in plan_export.export_rows(ctx, plan_id, dashboard.TableFilter()):
        row = item.row
        reference = f" {row.objective_ref}" if row.objective_ref else ""
        evidence = (
            f"{row.progress.text} ({_day(row.progress.day)})"
            if row.progress
            else "No progress recorded yet."
        )
        found.setdefault(f"Recommendation{reference}: {row.objective}", []).append(
            [
                row.reference or "",
                row.description,
                row.owner or row.lead or "",
                _day(row.target_date) if row.target_date else row.timescale or "",
                labels[row.state],
                RAG_WORDS[row.rag],
                evidence,
            ]
        )
    return found


@pytest.fixture
def plan_id(ctx: Context, clock: FrozenClock) -> int:
    """A peer-challenge plan whose challenge ended 14 March 2014: two recommendations, one
    action in progress with evidence, one drafted without; the action plan published."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx, "Corporate Peer Challenge 2014")
    milestones.set_challenge_date(ctx, plan_id, date(2014, 3, 14))
    first = add_action(
        ctx, plan_id, "Extend the medium term financial strategy", objective="R1 Finances",
        target=date(2014, 9, 30),
    )  # fmt: skip
    add_action(ctx, plan_id, "Agree a workforce plan", objective="R2 People", target=None)
    opened = approvals.request_change(ctx, first, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, first, "start", by_email=OWEN)
    clock.set(datetime(2014, 6, 10, 10, 0, tzinfo=UTC))
    progress.record_progress(ctx, first, "Model agreed by Cabinet", Rag.GREEN, by_email=OWEN)
    milestones.mark_done(
        ctx,
        plan_id,
        milestones.milestone_kind("action-plan"),
        done_on=date(2014, 6, 6),
        link="https://council.example/cpc-action-plan",
        by_email="pia@peers.example",
    )
    clock.set(datetime(2014, 6, 20, 10, 0, tzinfo=UTC))
    return plan_id


# The timetable as it stood on 20 June 2014, in every format.
TIMETABLE = [
    TIMETABLE_HEADERS,
    [
        "Feedback report published",
        "14 June 2014",
        "None given",
        "Overdue: it was due by Saturday 14 June 2014",
        "",
    ],
    [
        "Action plan published",
        "14 June 2014",
        "14 August 2014",
        "Done on Friday 6 June 2014",
        "https://council.example/cpc-action-plan",
    ],
]


def _docx(data: bytes) -> tuple[list[str], list[list[list[str]]], dict[str, list[list[str]]]]:
    """Headings in order, every table, and each recommendation heading's table."""
    document = Document(io.BytesIO(data))
    headings: list[str] = []
    tables: list[list[list[str]]] = []
    under: dict[str, list[list[str]]] = {}
    for part in document.iter_inner_content():
        if isinstance(part, Paragraph):
            if part.style is not None and part.style.name.startswith("Heading"):
                headings.append(part.text)
        elif isinstance(part, Table):
            rows = [[cell.text for cell in row.cells] for row in part.rows]
            tables.append(rows)
            under[headings[-1]] = rows
    return headings, tables, under


class _Page(HTMLParser):
    """An HTML page read as headings (level, text) and tables (rows of cell texts), in order,
    with each header cell's scope, the number of thead elements and the page's language."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.tables: list[list[list[str]]] = []
        self.under: dict[str, list[list[str]]] = {}  # the table under each heading
        self.scopes: list[str | None] = []
        self.lang: str | None = None
        self.table_heads = 0
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        elif tag in ("h1", "h2", "h3", "h4", "td", "th"):
            self._text = []
        if tag == "th":
            self.scopes.append(dict(attrs).get("scope"))
        elif tag == "thead":
            self.table_heads += 1
        elif tag == "table":
            self.tables.append([])
            self.under[self.headings[-1][1]] = self.tables[-1]
        elif tag == "tr":
            self.tables[-1].append([])

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._text is None:
            return
        text = "".join(self._text)
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append((int(tag[1]), text))
            self._text = None
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(text)
            self._text = None


def _html(data: bytes) -> _Page:
    page = _Page()
    page.feed(data.decode("utf-8"))
    page.close()
    return page


def _pdf(data: bytes) -> tuple[list[str], list[list[list[str]]], dict[str, object]]:
    """Its lines of text, its tables page by page (cells' whitespace made single), and its
    catalogue."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        lines = [
            line.strip() for page in pdf.pages for line in (page.extract_text() or "").splitlines()
        ]
        tables = [
            [[" ".join((cell or "").split()) for cell in row] for row in table]
            for page in pdf.pages
            for table in page.extract_tables()
        ]
        catalog = dict(pdf.doc.catalog)
    return lines, tables, catalog


def test_the_word_pack_shows_the_timetable_and_each_recommendation_with_its_evidence(
    ctx: Context, plan_id: int
) -> None:
    """Opened with python-docx: the timetable with the action plan done and its link, the
    feedback report overdue; each recommendation a heading over its actions' rows as the
    database holds them (status, RAG as a word, latest progress or that there is none yet)."""
    made = reports.make_report(ctx, plan_id)
    data = reports.render(made, ReportFormat.DOCX, PACK)
    headings, tables, under = _docx(data)
    assert headings[:3] == [
        "Corporate Peer Challenge 2014: progress review pack",
        "The peer challenge timetable",
        "Recommendations and their actions",
    ]
    assert Document(io.BytesIO(data)).core_properties.title == (
        "Corporate Peer Challenge 2014: progress review pack"
    )
    assert tables[0][:3] == TIMETABLE
    assert tables[0][3][:3] == ["Progress review held", "14 January 2015", "None given"]
    expected = _expected(ctx, plan_id)
    assert list(expected) == ["Recommendation: R1 Finances", "Recommendation: R2 People"]
    for heading, rows in expected.items():
        assert under[heading] == [ACTION_HEADERS, *rows]
    assert expected["Recommendation: R1 Finances"][0][4:] == [
        "In progress",
        "Green",
        "Model agreed by Cabinet (10 June 2014)",
    ]
    assert expected["Recommendation: R2 People"][0][4:] == [
        "Drafted",
        "Not rated",
        "No progress recorded yet.",
    ]


def test_the_html_pack_has_real_headings_and_table_headers_with_the_same_rows(
    ctx: Context, plan_id: int
) -> None:
    """Read with an HTML parser: British English, headings h1 to h4 in the Word document's
    order and words, every header cell scoped to its column in a thead, and the same timetable
    and action rows as the database; text from the plan is escaped."""
    made = reports.make_report(ctx, plan_id)
    data = reports.render(made, ReportFormat.HTML, PACK)
    page = _html(data)
    assert page.lang == "en-GB"
    word_headings, _, _ = _docx(reports.render(made, ReportFormat.DOCX, PACK))
    assert [text for _, text in page.headings] == word_headings
    assert [level for level, _ in page.headings] == [1, 2, 2, 3, 4, 4]
    assert len(page.scopes) == 5 + 7 + 7  # the timetable's and each action table's headers
    assert set(page.scopes) == {"col"}
    assert page.table_heads == len(page.tables) == 3
    assert page.tables[0][:3] == TIMETABLE
    for heading, rows in _expected(ctx, plan_id).items():
        assert page.under[heading] == [ACTION_HEADERS, *rows]
    assert b'<a href="https://council.example/cpc-action-plan">' in data
    assert b"<title>Corporate Peer Challenge 2014: progress review pack, 20 June 2014</title>" in (
        data
    )


def test_the_pdf_pack_reads_in_order_with_the_same_rows_tagged_in_british_english(
    ctx: Context, plan_id: int
) -> None:
    """Opened with pdfplumber: the headings in order, the timetable and each recommendation's
    rows as the database holds them; tagged and in British English for screen readers."""
    made = reports.make_report(ctx, plan_id)
    lines, tables, catalog = _pdf(reports.render(made, ReportFormat.PDF, PACK))
    assert catalog["Lang"] == b"en-GB"
    assert "StructTreeRoot" in catalog
    positions = [
        lines.index(heading)
        for heading in (
            "Corporate Peer Challenge 2014: progress review pack",
            "The peer challenge timetable",
            "Recommendations and their actions",
            "Recommendation: R1 Finances",
            "Recommendation: R2 People",
        )
    ]
    assert positions == sorted(positions)
    assert tables[0][:3] == TIMETABLE
    action_rows = [row for table in tables if table[0] == ACTION_HEADERS for row in table[1:]]
    assert action_rows == [row for rows in _expected(ctx, plan_id).values() for row in rows]


def test_the_same_snapshot_gives_the_same_pack_in_every_format(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A pack made again months later from its snapshot, after the plan has changed, is byte
    for byte the same in DOCX, PDF and HTML; its PDF is a document of its own, not the
    committee report's."""
    made = reports.make_report(ctx, plan_id)
    first = {fmt: reports.render(made, fmt, PACK) for fmt in ReportFormat}
    clock.advance(timedelta(days=180))
    actions = [row.row.id for row in plan_export.export_rows(ctx, plan_id, dashboard.TableFilter())]
    progress.record_progress(ctx, actions[0], "Savings found", Rag.AMBER, by_email=OWEN)
    again = reports.stored_report(ctx, made.snapshot_id, plan_id)
    assert {fmt: reports.render(again, fmt, PACK) for fmt in ReportFormat} == first
    committee = reports.render(made, ReportFormat.PDF)
    assert committee != first[ReportFormat.PDF]
    newer = reports.make_report(ctx, plan_id)
    assert b"Savings found" in reports.render(newer, ReportFormat.HTML, PACK)


def test_a_long_recommendation_repeats_its_header_row_on_every_pdf_page(
    ctx: Context, clock: FrozenClock
) -> None:
    """Sixty actions under one recommendation run over several pages; each page's table
    starts with the header row again, and every action is there once, in order."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx, "Corporate Peer Challenge 2014")
    for number in range(1, 61):
        add_action(
            ctx,
            plan_id,
            f"Action {number}: review the service and report the findings to Cabinet",
            objective="R1 Finances",
        )
    made = reports.make_report(ctx, plan_id)
    _, tables, _ = _pdf(reports.render(made, ReportFormat.PDF, PACK))
    assert len(tables) > 1
    assert all(table[0] == ACTION_HEADERS for table in tables)
    described = [row[1] for table in tables for row in table[1:]]
    assert described == [
        f"Action {n}: review the service and report the findings to Cabinet" for n in range(1, 61)
    ]


def test_a_plan_of_another_kind_has_no_pack_said_in_its_kinds_words(ctx: Context) -> None:
    """A scrutiny plan's progress review pack is refused, naming it 'a scrutiny plan'."""
    review = plans.create_plan(ctx, "Scrutiny review", PlanKind.SCRUTINY).id
    with pytest.raises(
        exceptions.InvalidValue,
        match=f"^Plan {review} is a scrutiny plan, not a peer-challenge plan, so it has no "
        "progress review pack",
    ):
        reports.check_pack(ctx, review, ReportPack.PROGRESS_REVIEW)
