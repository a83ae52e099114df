"""The progress review pack against a real database, opened with python-docx: the peer
challenge timetable as it stands, then each recommendation with its actions, their status and
their evidence; the same snapshot gives the same bytes; other formats are refused."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from docx import Document
from docx.table import Table

from improveflow import exceptions
from improveflow.clock import FrozenClock
from improveflow.models import Rag, Verdict
from improveflow.services import approvals, milestones, progress, reports
from improveflow.services.context import Context
from improveflow.services.reports import ReportFormat, ReportPack
from improveflow.testing import add_action, add_plan, add_sample_people

OWEN = "owen@council.example"
DANA = "dana@council.example"


def _cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


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


def test_the_pack_shows_the_timetable_and_each_recommendation_with_its_evidence(
    ctx: Context, plan_id: int
) -> None:
    """Opened with python-docx: the timetable with the action plan done and its link, the
    feedback report overdue; each recommendation a heading with its actions' status, RAG and
    latest progress (or that there is none yet)."""
    made = reports.make_report(ctx, plan_id)
    document = Document(
        io.BytesIO(reports.render(made, ReportFormat.DOCX, ReportPack.PROGRESS_REVIEW))
    )
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[0] == "Corporate Peer Challenge 2014: progress review pack"
    assert "The peer challenge timetable" in headings
    assert "Recommendation: R1 Finances" in headings
    assert "Recommendation: R2 People" in headings
    assert document.core_properties.title == "Corporate Peer Challenge 2014: progress review pack"
    timetable, *actions = document.tables
    rows = _cells(timetable)
    assert rows[0] == ["Milestone", "Due by", "Latest date", "Where it stands", "Link"]
    assert rows[1][0] == "Feedback report published"
    assert rows[1][1:4] == [
        "14 June 2014",
        "None given",
        "Overdue: it was due by Saturday 14 June 2014",
    ]
    assert rows[2] == [
        "Action plan published",
        "14 June 2014",
        "14 August 2014",
        "Done on Friday 6 June 2014",
        "https://council.example/cpc-action-plan",
    ]
    assert rows[3][:3] == ["Progress review held", "14 January 2015", "None given"]
    finances, people = (_cells(table) for table in actions)
    assert finances[0] == ["Ref", "Action", "Owner", "Target date", "Status", "RAG", "Evidence"]
    assert finances[1][1:] == [
        "Extend the medium term financial strategy",
        "Owen Marsh",
        "30 September 2014",
        "In progress",
        "Green",
        "Model agreed by Cabinet (10 June 2014)",
    ]
    assert people[1][4:] == ["Drafted", "Not rated", "No progress recorded yet."]


def test_the_same_snapshot_gives_the_same_pack_and_only_docx_is_made(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A pack made again later from its snapshot is byte for byte the same; a PDF pack is
    refused with the format to use."""
    made = reports.make_report(ctx, plan_id)
    first = reports.render(made, ReportFormat.DOCX, ReportPack.PROGRESS_REVIEW)
    clock.set(datetime(2015, 1, 20, 10, 0, tzinfo=UTC))
    again = reports.render(
        reports.stored_report(ctx, made.snapshot_id, plan_id),
        ReportFormat.DOCX,
        ReportPack.PROGRESS_REVIEW,
    )
    assert again == first
    with pytest.raises(exceptions.InvalidValue, match="use --format docx"):
        reports.render(made, ReportFormat.PDF, ReportPack.PROGRESS_REVIEW)
