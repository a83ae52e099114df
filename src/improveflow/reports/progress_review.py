"""The pack for a peer challenge's progress review, as a Word document: the timetable as it
stands, then each recommendation with its actions, their status and their evidence (the
latest progress recorded), from the same stored snapshot as the committee report.

It shares the committee report's document: real headings, plain tables with repeated header
rows, British English, and the same bytes whenever one snapshot is produced again.
"""

from __future__ import annotations

import io

from docx.document import Document as DocumentObject

from improveflow.reports.docx import _day, _document, _fixed_zip, _paragraph, _rag, _table
from improveflow.reports.model import ObjectivePart, Report
from improveflow.templating import long_date, moment, short_date

ACTION_HEADERS = ("Ref", "Action", "Owner", "Target date", "Status", "RAG", "Evidence")


def _front(document: DocumentObject, report: Report) -> None:
    document.add_heading(f"{report.plan_title}: progress review pack", level=1)
    organisation = f"{report.organisation}. " if report.organisation else ""
    _paragraph(
        document,
        f"{organisation}For the peer challenge's progress review. The plan as it stood on "
        f"{long_date(report.report_date)}, made {moment(report.made_at)} from report snapshot "
        f"{report.snapshot_id}, at audit event {report.checkpoint.seq} "
        f"(hash {report.checkpoint.head_hash}).",
    )


def _timetable(document: DocumentObject, report: Report) -> None:
    document.add_heading("The peer challenge timetable", level=2)
    if not report.milestones:
        _paragraph(
            document,
            "No challenge date was recorded for this plan, so its timetable is not shown.",
        )
        return
    _table(
        document,
        ("Milestone", "Due by", "Latest date", "Where it stands", "Link"),
        [
            (m.label, short_date(m.due_on), _day(m.latest_on) or "None given", m.words, m.link)
            for m in report.milestones
        ],
        "The peer challenge timetable",
    )


def _recommendation(document: DocumentObject, objective: ObjectivePart) -> None:
    heading = f"Recommendation {objective.reference}: {objective.text}".replace(
        "Recommendation : ", "Recommendation: "
    )
    document.add_heading(heading, level=4)
    if not objective.actions:
        _paragraph(document, "No action is recorded against this recommendation.")
        return
    _table(
        document,
        ACTION_HEADERS,
        [
            (
                a.reference,
                a.description,
                a.owner or a.lead,
                _day(a.target) or a.timescale,
                a.state + (" (overdue)" if a.overdue else ""),
                _rag(a),
                f"{a.progress} ({short_date(a.progress_date)})"
                if a.progress
                else "No progress recorded yet.",
            )
            for a in objective.actions
        ],
        heading,
    )


def render_progress_review(report: Report) -> bytes:
    document = _document(report)
    document.core_properties.title = f"{report.plan_title}: progress review pack"
    _front(document, report)
    _timetable(document, report)
    document.add_heading("Recommendations and their actions", level=2)
    for theme in report.themes:
        document.add_heading(theme.title, level=3)
        for objective in theme.objectives:
            _recommendation(document, objective)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())
