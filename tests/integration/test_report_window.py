"""Which changes a committee report counts: those after the last committee report made on an
earlier London day. A progress review pack never moves that point, and a second report the
same day (another format, a press again) counts from the same one as the first."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pdfplumber
import pytest

from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.reports.model import Report
from improveflow.services import approvals, progress, reports
from improveflow.services.context import Context
from improveflow.services.reports import ReportFormat, ReportPack
from improveflow.testing import add_action, add_plan, add_sample_people

OWEN = "owen@council.example"
DANA = "dana@council.example"  # CMT
RUTH = "ruth@council.example"  # Cabinet


@dataclass(frozen=True)
class Plan:
    id: int
    strategy: int
    pay: int


def _decide(ctx: Context, action_id: int, trigger: str, decider: str, **asked: object) -> None:
    asked_for = approvals.request_change(ctx, action_id, trigger, by_email=OWEN, **asked)  # type: ignore[arg-type]
    if asked_for.request_id is not None:  # starting work needs no decision
        approvals.decide(ctx, asked_for.request_id, Verdict.APPROVE, by_email=decider)


def _started(ctx: Context, plan_id: int, description: str) -> int:
    action_id = add_action(
        ctx, plan_id, description, target=date(2014, 12, 31), theme="Financial Planning"
    )
    _decide(ctx, action_id, "approve", DANA)
    _decide(ctx, action_id, "start", DANA)
    return action_id


def _complete(ctx: Context, action_id: int) -> None:
    progress.record_progress(ctx, action_id, "Strategy agreed", Rag.GREEN, by_email=OWEN)
    _decide(ctx, action_id, "complete", DANA)


@pytest.fixture
def plan(ctx: Context) -> Plan:
    """A peer-challenge plan of two actions under way, as of 10:00 on 2 June 2014 (London)."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx, kind=PlanKind.PEER_CHALLENGE)
    strategy = _started(ctx, plan_id, "Extend the financial strategy")
    pay = _started(ctx, plan_id, "Review the pay policy")
    return Plan(plan_id, strategy, pay)


def _changes(report: Report) -> tuple[object, ...]:
    """Everything a report says changed, and what it counts from."""
    summary = report.summary
    return (
        report.since_text,
        summary.completed,
        summary.newly_red,
        summary.deferred,
        summary.redated,
        report.decisions,
    )


def test_a_progress_review_pack_does_not_swallow_the_changes_of_the_next_report(
    ctx: Context, plan: Plan, clock: FrozenClock
) -> None:
    """A deferral decided, then the progress review pack made, then the committee report: the
    report still lists the deferral and its decision, on the first day and on a later one, and
    counts from the last committee report, never from the pack."""
    _decide(ctx, plan.pay, "defer", RUTH, reason="Waiting for the national award")
    pack = reports.make_report(ctx, plan.id, pack=ReportPack.PROGRESS_REVIEW)
    first = reports.make_report(ctx, plan.id)
    assert first.since_text == ""  # the plan's first committee report: from its start
    assert [c.action for c in first.summary.deferred] == ["Review the pay policy"]
    assert [(d.action, d.asked, d.outcome) for d in first.decisions][-1] == (
        "Review the pay policy",
        "defer the action",
        "Approved",
    )

    clock.set(datetime(2014, 6, 9, 9, 0, tzinfo=UTC))
    _complete(ctx, plan.strategy)
    reports.make_report(ctx, plan.id, pack=ReportPack.PROGRESS_REVIEW)
    later = reports.make_report(ctx, plan.id)
    assert later.since_text == f"since the report of 2 June 2014 (snapshot {first.snapshot_id})"
    assert pack.snapshot_id < first.snapshot_id
    assert [c.action for c in later.summary.completed] == ["Extend the financial strategy"]
    assert [(d.action, d.asked) for d in later.decisions] == [
        ("Extend the financial strategy", "mark the action complete")
    ]
    listed = reports.stored_reports(ctx, plan.id)
    assert [entry.pack for entry in listed] == [
        "progress-review",
        "committee",
        "progress-review",
        "committee",
    ]


def test_each_format_made_the_same_day_says_the_same_things(
    ctx: Context, plan: Plan, clock: FrozenClock
) -> None:
    """The report in Word, then as a PDF twenty minutes later (each a new snapshot): both count
    from the previous day's report, so the PDF lists the same completion and decision."""
    reports.make_report(ctx, plan.id)
    clock.set(datetime(2014, 6, 3, 8, 0, tzinfo=UTC))
    _complete(ctx, plan.strategy)
    clock.set(datetime(2014, 6, 3, 9, 0, tzinfo=UTC))
    word = reports.make_report(ctx, plan.id)
    clock.set(datetime(2014, 6, 3, 9, 20, tzinfo=UTC))
    pdf = reports.make_report(ctx, plan.id)
    assert pdf.snapshot_id == word.snapshot_id + 1
    assert _changes(pdf) == _changes(word)
    assert word.since_text == "since the report of 2 June 2014 (snapshot 1)"
    assert [c.action for c in word.summary.completed] == ["Extend the financial strategy"]
    with pdfplumber.open(io.BytesIO(reports.render(pdf, ReportFormat.PDF))) as document:
        text = " ".join(" ".join(p.extract_text() or "" for p in document.pages).split())
    assert "Changes are counted since the report of 2 June 2014 (snapshot 1)." in text
    assert "Extend the financial strategy" in text
    assert "mark the action complete" in text


def test_a_report_the_next_day_counts_from_that_days_last_report(
    ctx: Context, plan: Plan, clock: FrozenClock
) -> None:
    """Two reports on 2 June (the second after a red rating); the first report of 3 June, at
    00:30 London time (still 2 June in UTC), counts from the later of them: the red rating it
    already showed is not new, and a change after it is counted."""
    morning = reports.make_report(ctx, plan.id)  # 10:00 on 2 June, London
    clock.set(datetime(2014, 6, 2, 11, 0, tzinfo=UTC))
    progress.record_progress(ctx, plan.pay, "Award delayed", Rag.RED, by_email=OWEN)
    clock.set(datetime(2014, 6, 2, 14, 0, tzinfo=UTC))
    afternoon = reports.make_report(ctx, plan.id)
    assert afternoon.since_text == morning.since_text == ""
    assert [c.action for c in afternoon.summary.newly_red] == ["Review the pay policy"]
    clock.set(datetime(2014, 6, 2, 21, 0, tzinfo=UTC))  # 22:00 on 2 June, London
    _complete(ctx, plan.strategy)
    clock.set(datetime(2014, 6, 2, 23, 30, tzinfo=UTC))  # 00:30 on 3 June, London
    next_day = reports.make_report(ctx, plan.id)
    assert next_day.report_date == date(2014, 6, 3)
    assert next_day.since_text == (
        f"since the report of 2 June 2014 (snapshot {afternoon.snapshot_id})"
    )
    assert next_day.summary.newly_red == []
    assert [c.action for c in next_day.summary.completed] == ["Extend the financial strategy"]
    assert [d.asked for d in next_day.decisions] == ["mark the action complete"]


def test_a_snapshot_is_produced_as_what_it_was_made_for(ctx: Context, plan: Plan) -> None:
    """A stored snapshot knows whether it is a committee report or a progress review pack;
    asking for it as the other is refused in a sentence that names the right command."""
    committee = reports.make_report(ctx, plan.id)
    pack = reports.make_report(ctx, plan.id, pack=ReportPack.PROGRESS_REVIEW)
    assert reports.stored(ctx, committee.snapshot_id, plan.id).pack is ReportPack.COMMITTEE
    found = reports.stored(ctx, pack.snapshot_id, plan.id)
    assert found.pack is ReportPack.PROGRESS_REVIEW
    assert found.report == pack
    with pytest.raises(Exception, match="was made as its progress review pack") as refused:
        reports.check_stored_pack(found, ReportPack.COMMITTEE, plan.id)
    assert str(refused.value) == (
        f"Snapshot 2 of plan {plan.id} was made as its progress review pack, not as its "
        f"committee report: 'improveflow report {plan.id} --snapshot 2 --pack "
        f"progress-review' produces it again, and 'improveflow report {plan.id}' makes a new "
        "committee report"
    )
