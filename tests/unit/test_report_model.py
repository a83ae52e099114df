"""The committee report's pure parts: the date ledger's words, the exceptions' order and
reasons, the summary's counts and changes, the stored model's round trip, and the HTML and
DOCX renderings of a model built by hand."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime

from docx import Document

from improveflow.reports import build
from improveflow.reports.docx import render_docx
from improveflow.reports.html import render_html
from improveflow.reports.ledger import ledger_line
from improveflow.reports.model import ActionLine, CheckpointNote, Report

TODAY = date(2014, 6, 30)


def _line(number: int, **changed: object) -> ActionLine:
    values: dict[str, object] = {
        "id": number,
        "reference": f"1.{number}",
        "description": f"Action {number}",
        "lead": "Head of Finance",
        "owner": "Owen Marsh",
        "state": "In progress",
        "rag": "Green",
        "rag_code": "green",
        "first_target": date(2014, 7, 31),
        "target": date(2014, 7, 31),
        "timescale": "",
        "target_changes": 0,
        "ledger": "first due 31 July 2014; not re-dated",
        "target_reason": "",
        "state_reason": "",
        "progress": "On track",
        "progress_date": date(2014, 6, 2),
        "overdue": False,
    }
    values.update(changed)
    return ActionLine.model_validate(values)


def _placed(*lines: ActionLine, theme: str = "Money") -> list[build.PlacedAction]:
    return [build.PlacedAction(theme, "1", "Balance the budget", line) for line in lines]


def test_the_ledger_says_the_first_date_and_how_often_it_changed() -> None:
    """'first due 31 July 2014; re-dated twice', in words for once and twice."""
    assert ledger_line(date(2014, 7, 31), 2) == "first due 31 July 2014; re-dated twice"
    assert ledger_line(date(2014, 7, 31), 1) == "first due 31 July 2014; re-dated once"
    assert ledger_line(date(2014, 7, 31), 3) == "first due 31 July 2014; re-dated 3 times"
    assert ledger_line(date(2014, 7, 31), 0) == "first due 31 July 2014; not re-dated"
    assert ledger_line(None, 0) == ""


def test_exceptions_are_ordered_red_overdue_deferred_redated_with_reasons() -> None:
    """The heaviest kind an action has decides its place; every kind it has is named."""
    redated = _line(1, target_changes=2, target=date(2014, 12, 31), target_reason="Audit moved")
    deferred = _line(2, state="Deferred", state_reason="Awaiting the award")
    overdue = _line(3, overdue=True, target=date(2014, 5, 30))
    red_and_overdue = _line(4, rag="Red", rag_code="red", overdue=True, progress="£2m short")
    fine = _line(5)
    raw = {1: "in_progress", 2: "deferred", 3: "in_progress", 4: "in_progress", 5: "approved"}
    found = build.exceptions(_placed(redated, deferred, overdue, red_and_overdue, fine), raw)
    assert [(e.action.id, e.kinds) for e in found] == [
        (4, ["Red", "Overdue"]),
        (3, ["Overdue"]),
        (2, ["Deferred"]),
        (1, ["Re-dated"]),
    ]
    assert found[0].reason == "Rated red: £2m short. Past its target date of 31 July 2014"
    assert found[2].reason == "Deferred: Awaiting the award"
    assert found[3].reason == "Target date changed twice, now 31 December 2014: Audit moved"


def test_overdue_means_past_its_date_and_still_to_do() -> None:
    """Complete and deferred actions are never overdue; an action due today is not yet."""
    assert build.is_overdue("in_progress", date(2014, 6, 29), TODAY)
    assert not build.is_overdue("in_progress", TODAY, TODAY)
    assert not build.is_overdue("complete", date(2014, 1, 1), TODAY)
    assert not build.is_overdue("deferred", date(2014, 1, 1), TODAY)
    assert not build.is_overdue("in_progress", None, TODAY)


def test_summary_counts_and_sorts_the_changes() -> None:
    """States in the workflow's order, every RAG word, and each logged change in its list."""
    red, done, later = _line(1, rag="Red", rag_code="red"), _line(2), _line(3, rag_code="none")
    raw = {1: "in_progress", 2: "complete", 3: "in_progress"}
    labels = {"drafted": "Drafted", "in_progress": "In progress", "complete": "Complete"}
    changes = [
        build.LoggedChange(1, True, None, "Short", "red", None, TODAY),
        build.LoggedChange(2, False, "complete", "Done", None, None, TODAY),
        build.LoggedChange(
            3,
            False,
            "in_progress",
            "Late data",
            None,
            (date(2014, 7, 31), date(2014, 9, 30)),
            TODAY,
        ),
    ]
    summary = build.summary(_placed(red, done, later), raw, labels, changes, {}, TODAY)
    assert [(c.label, c.number) for c in summary.by_state] == [("In progress", 2), ("Complete", 1)]
    assert [(c.label, c.number) for c in summary.by_rag] == [
        ("Red", 1),
        ("Amber", 0),
        ("Green", 1),
        ("Not rated", 1),
    ]
    assert [(c.action_id, c.detail) for c in summary.newly_red] == [(1, "Short")]
    assert [c.action for c in summary.completed] == ["1.2 Action 2"]
    assert [c.detail for c in summary.redated] == [
        "from 31 July 2014 to 30 September 2014: Late data"
    ]


def test_newly_red_means_red_now_and_not_red_when_counting_began() -> None:
    """Red again is not newly red; red no longer is not either; a red rating the log never
    saw (read from the plan's file) is newly red as of its latest progress."""
    again = _line(1, rag="Red", rag_code="red")
    recovered = _line(2, rag="Green", rag_code="green")
    imported = _line(3, rag="Red", rag_code="red", progress="Behind", progress_date=TODAY)
    raw = {1: "in_progress", 2: "in_progress", 3: "in_progress"}
    changes = [
        build.LoggedChange(1, True, None, "Still short", "red", None, TODAY),
        build.LoggedChange(2, True, None, "Short", "red", None, TODAY),
    ]
    before = {1: "red", 2: "amber", 3: "amber"}
    summary = build.summary(
        _placed(again, recovered, imported), raw, {}, changes, before, date(2014, 7, 1)
    )
    assert [(c.action_id, c.detail, c.on) for c in summary.newly_red] == [(3, "Behind", TODAY)]


def _report(*lines: ActionLine) -> Report:
    placed = _placed(*lines)
    raw = {line.id: "in_progress" for line in lines}
    return Report(
        snapshot_id=3,
        plan_id=1,
        plan_title="Improvement Plan <2014>",
        organisation="Borough Council",
        made_at=datetime(2014, 6, 30, 9, 0, tzinfo=UTC),
        report_date=TODAY,
        since=None,
        since_text="",
        checkpoint=CheckpointNote(
            seq=12, head_hash="ab" * 32, signed=False, key_id="", document=""
        ),
        summary=build.summary(placed, raw, {"in_progress": "In progress"}, [], {}, TODAY),
        exceptions=build.exceptions(placed, raw),
        themes=build.structure(placed),
        decisions=[],
    )


def test_the_model_round_trips_through_its_json() -> None:
    """What is stored is read back equal, so a stored report renders as it did."""
    report = _report(_line(1), _line(2, rag="Red", rag_code="red"))
    assert Report.from_json(report.to_json()) == report


def test_html_is_escaped_in_british_english_with_table_headers() -> None:
    """The page declares its language, its tables have header cells, and text from the plan
    is text, never markup."""
    page = render_html(_report(_line(1, description="<script>alert(1)</script>")))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Improvement Plan &lt;2014&gt;: progress report</h1>" in page
    assert '<th scope="col">Date changes</th>' in page
    assert "checkpoint is not signed because no audit key was set" in page


def test_docx_is_the_same_bytes_for_the_same_model_and_keeps_text_as_text() -> None:
    """Two renderings of one model are identical; characters XML reserves arrive intact."""
    report = _report(_line(1, description='Fees & charges <review> "now"'))
    first, second = render_docx(report), render_docx(Report.from_json(report.to_json()))
    assert first == second
    document = Document(io.BytesIO(first))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert 'Fees & charges <review> "now"' in cells


def test_the_progress_review_pack_says_each_action_s_status_and_evidence_in_words() -> None:
    """A recommendation with a reference is headed with it; an overdue action says so in its
    status; an action with no owner matched shows its lead, with no date its timescale, with
    no progress that none is recorded yet; the RAG is a word."""
    from improveflow.reports.progress_review import pack_of

    report = _report(
        _line(1, overdue=True, rag="Red", rag_code="red"),
        _line(2, owner="", target=None, timescale="Ongoing", progress="", progress_date=None),
    )
    pack = pack_of(report)
    assert pack.title == "Improvement Plan <2014>: progress review pack"
    assert pack.milestones == []
    [theme] = pack.themes
    assert theme.title == "Money"
    [recommendation] = theme.recommendations
    assert recommendation.heading == "Recommendation 1: Balance the budget"
    assert [a.cells() for a in recommendation.actions] == [
        ("1.1", "Action 1", "Owen Marsh", "31 July 2014", "In progress (overdue)", "Red",
         "On track (2 June 2014)"),
        ("1.2", "Action 2", "Head of Finance", "Ongoing", "In progress", "Green",
         "No progress recorded yet."),
    ]  # fmt: skip


def test_the_progress_review_pack_s_page_and_word_document_say_the_same() -> None:
    """The page and the Word document of one model have the same headings and the same table
    rows; text from the plan is escaped on the page; a plan with no challenge date says its
    timetable is not shown; the page is the same text for the same model."""
    from improveflow.reports.progress_review import (
        render_progress_review,
        render_progress_review_html,
    )

    report = _report(_line(1, description="<script>alert(1)</script>"), _line(2))
    page = render_progress_review_html(report)
    assert page == render_progress_review_html(Report.from_json(report.to_json()))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert "<script>alert" not in page
    assert "<h1>Improvement Plan &lt;2014&gt;: progress review pack</h1>" in page
    document = Document(io.BytesIO(render_progress_review(report)))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    for level, heading in zip((1, 2, 2, 3, 4), headings, strict=True):
        assert f"<h{level}>{html.escape(heading, quote=False)}</h{level}>" in page
    no_timetable = "No challenge date was recorded for this plan, so its timetable is not shown."
    assert f"<p>{no_timetable}</p>" in page
    assert no_timetable in [p.text for p in document.paragraphs]
    [table] = document.tables
    page_rows = [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", page)
    ]
    assert page_rows == [
        [html.escape(cell.text, quote=False) for cell in row.cells] for row in table.rows
    ]
