"""The pack for a peer challenge's progress review: the timetable as it stands, then each
recommendation with its actions, their status and their evidence (the latest progress
recorded), from the same stored snapshot as the committee report.

The pack's words are decided once, here (`pack_of`), and written as a Word document, an HTML
page or a PDF drawn from that page, so the three say the same things. Each shares the
committee report's machinery: real headings, tables with header cells that repeat on every
page, British English, and the same bytes whenever one snapshot is produced again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx.document import Document as DocumentObject

from improveflow.reports.docx import _day, _document, _fixed_zip, _paragraph, _table, rag_cell
from improveflow.reports.html import render_page
from improveflow.reports.model import ActionLine, ObjectivePart, Report
from improveflow.reports.pdf import pdf_of, snapshot_seed
from improveflow.templating import long_date, moment, short_date

TIMETABLE_HEADING = "The peer challenge timetable"
TIMETABLE_HEADERS = ("Milestone", "Due by", "Latest date", "Where it stands", "Link")
RECOMMENDATIONS_HEADING = "Recommendations and their actions"
ACTION_HEADERS = ("Ref", "Action", "Owner", "Target date", "Status", "RAG", "Evidence")
NO_TIMETABLE = "No challenge date was recorded for this plan, so its timetable is not shown."
NO_ACTIONS = "No action is recorded against this recommendation."
NO_EVIDENCE = "No progress recorded yet."
_PAGE = "progress_review.html"
# The headings, headers and sentences the page writes: the Word document's own.
_WORDS = {
    "timetable_heading": TIMETABLE_HEADING,
    "timetable_headers": TIMETABLE_HEADERS,
    "recommendations_heading": RECOMMENDATIONS_HEADING,
    "action_headers": ACTION_HEADERS,
    "no_timetable": NO_TIMETABLE,
    "no_actions": NO_ACTIONS,
}


@dataclass(frozen=True)
class MilestoneRow:
    label: str
    due_by: str
    latest: str
    words: str
    link: str


@dataclass(frozen=True)
class ActionRow:
    reference: str
    description: str
    owner: str
    target: str
    status: str
    rag: str  # the word: "Green", "Not rated"
    rag_code: str  # the colour beside it: "red", "amber", "green" or "none"
    evidence: str

    def cells(self) -> tuple[str, ...]:
        """The row as the tables show it, in ACTION_HEADERS' order."""
        return (
            self.reference,
            self.description,
            self.owner,
            self.target,
            self.status,
            self.rag,
            self.evidence,
        )


@dataclass(frozen=True)
class Recommendation:
    heading: str  # "Recommendation R1: Finances"
    actions: list[ActionRow]


@dataclass(frozen=True)
class ThemeSection:
    title: str
    recommendations: list[Recommendation]


@dataclass(frozen=True)
class Pack:
    title: str
    opening: str
    milestones: list[MilestoneRow]
    themes: list[ThemeSection]


def _heading(objective: ObjectivePart) -> str:
    if objective.reference:
        return f"Recommendation {objective.reference}: {objective.text}"
    return f"Recommendation: {objective.text}"


def _action(action: ActionLine) -> ActionRow:
    return ActionRow(
        reference=action.reference,
        description=action.description,
        owner=action.owner or action.lead,
        target=_day(action.target) or action.timescale,
        status=action.state + (" (overdue)" if action.overdue else ""),
        rag=action.rag,
        rag_code=action.rag_code,
        evidence=f"{action.progress} ({short_date(action.progress_date)})"
        if action.progress
        else NO_EVIDENCE,
    )


def pack_of(report: Report) -> Pack:
    """The pack's content, in the words every format writes."""
    organisation = f"{report.organisation}. " if report.organisation else ""
    return Pack(
        title=f"{report.plan_title}: progress review pack",
        opening=(
            f"{organisation}For the peer challenge's progress review. The plan as it stood on "
            f"{long_date(report.report_date)}, made {moment(report.made_at)} from report "
            f"snapshot {report.snapshot_id}, at audit event {report.checkpoint.seq} "
            f"(hash {report.checkpoint.head_hash})."
        ),
        milestones=[
            MilestoneRow(
                label=m.label,
                due_by=short_date(m.due_on),
                latest=_day(m.latest_on) or "None given",
                words=m.words,
                link=m.link,
            )
            for m in report.milestones
        ],
        themes=[
            ThemeSection(
                title=theme.title,
                recommendations=[
                    Recommendation(_heading(o), [_action(a) for a in o.actions])
                    for o in theme.objectives
                ],
            )
            for theme in report.themes
        ],
    )


def _docx_timetable(document: DocumentObject, pack: Pack) -> None:
    document.add_heading(TIMETABLE_HEADING, level=2)
    if not pack.milestones:
        _paragraph(document, NO_TIMETABLE)
        return
    _table(
        document,
        TIMETABLE_HEADERS,
        [(m.label, m.due_by, m.latest, m.words, m.link) for m in pack.milestones],
        TIMETABLE_HEADING,
    )


def _docx_recommendation(document: DocumentObject, recommendation: Recommendation) -> None:
    document.add_heading(recommendation.heading, level=4)
    if not recommendation.actions:
        _paragraph(document, NO_ACTIONS)
        return
    _table(
        document,
        ACTION_HEADERS,
        [
            (
                *a.cells()[:5],
                rag_cell(a.rag, a.rag_code),
                a.evidence,
            )  # the RAG cell shaded in its colour
            for a in recommendation.actions
        ],
        recommendation.heading,
    )


def render_progress_review(report: Report) -> bytes:
    """The pack as a Word document."""
    pack = pack_of(report)
    document = _document(report)
    document.core_properties.title = pack.title
    document.add_heading(pack.title, level=1)
    _paragraph(document, pack.opening)
    _docx_timetable(document, pack)
    document.add_heading(RECOMMENDATIONS_HEADING, level=2)
    for theme in pack.themes:
        document.add_heading(theme.title, level=3)
        for recommendation in theme.recommendations:
            _docx_recommendation(document, recommendation)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def render_progress_review_html(report: Report) -> str:
    """The pack as an HTML page, in the committee report's page."""
    return render_page(_PAGE, r=report, pack=pack_of(report), words=_WORDS)


def render_progress_review_pdf(report: Report) -> bytes:
    """The pack as a tagged PDF, drawn from its HTML page."""
    # Its own identifier: the committee report of the same snapshot is another document.
    return pdf_of(render_progress_review_html(report), f"{snapshot_seed(report)}:progress-review")
