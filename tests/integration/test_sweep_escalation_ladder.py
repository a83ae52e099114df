"""The sweep's escalation ladder over simulated time: each level once, on the working day its
count says, told to whom it names; closed by completion or a new target date; and quiet
actions told as no progress, never as an escalation."""

from __future__ import annotations

from datetime import date

import pytest
from sweep_helpers import (
    DANA,
    OWEN,
    RUTH,
    SAM,
    approved,
    daily_sweeps,
    emails_to,
    kinds,
    london,
    run,
    sample_plan,
)

from improveflow.clock import FrozenClock
from improveflow.models import Rag, Verdict
from improveflow.reminders import STALLED_LEVEL
from improveflow.services import approvals, dashboard, progress, views
from improveflow.services.context import Context
from improveflow.services.state_history import StateHistory


@pytest.fixture
def plan_id(ctx: Context) -> int:
    return sample_plan(ctx)


def test_overdue_action_climbs_all_three_levels_then_closes_on_completion(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Level 1 the next working day, level 2 after 5, level 3 after 20; completing closes them."""
    action_id = approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    progress.record_progress(ctx, action_id, "Model drafted", Rag.AMBER, by_email=OWEN)
    reports = daily_sweeps(ctx, clock, date(2014, 8, 29), 30)
    raised = {
        day: sorted({d.why.split(" (")[0] for d in report.decisions if d.kind == "escalation"})
        for day, report in reports.items()
        if ("escalation", action_id) in kinds(report)
    }
    assert raised == {
        date(2014, 9, 1): ["level 1"],
        date(2014, 9, 5): ["level 2"],
        date(2014, 9, 26): ["level 3"],
    }
    open_levels = [row["level"] for row in views.escalation_rows(ctx) if row["level"]]
    assert sorted(open_levels) == [1, 2, 3]
    # Level 2 went to CMT; level 3 to Cabinet and the peer-challenge lead.
    assert emails_to(ctx, DANA, "escalation")
    assert emails_to(ctx, SAM, "escalation")
    assert emails_to(ctx, RUTH, "escalation")
    assert emails_to(ctx, "pia@peers.example", "escalation")
    assert emails_to(ctx, RUTH, "escalation")[0]["context"]["items"][0]["level"] == 3

    clock.set(london(2014, 10, 1, 10, 0))
    approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    request_id = approvals.request_change(ctx, action_id, "complete", by_email=OWEN).request_id
    assert request_id is not None
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=SAM)
    assert views.escalation_rows(ctx) == []
    closed = views.escalation_rows(ctx, open_only=False)
    assert {row["close_reason"] for row in closed} == {"action complete"}
    later = daily_sweeps(ctx, clock, date(2014, 10, 2), 10)
    assert all(not report.decisions for report in later.values())


def test_a_late_sweep_raises_every_level_reached_in_one_email_each(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A sweep that first runs 25 working days late raises all three levels, one email each."""
    action_id = approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    progress.record_progress(ctx, action_id, "Model drafted", None, by_email=OWEN)
    run(ctx, clock, london(2014, 10, 6, 9, 30))
    assert sorted(r["level"] for r in views.escalation_rows(ctx) if r["reason"] == "overdue") == [
        1,
        2,
        3,
    ]
    assert len(emails_to(ctx, OWEN, "escalation")) == 1  # at most one overdue email a day
    assert emails_to(ctx, OWEN, "escalation")[0]["context"]["items"][0]["level"] == 3


def test_new_approved_target_date_closes_the_escalation(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """An approved new target date closes the open escalations; slipping again re-raises them."""
    action_id = approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    progress.record_progress(ctx, action_id, "Started", None, by_email=OWEN)
    run(ctx, clock, london(2014, 9, 2, 9, 30))
    assert [row["level"] for row in views.escalation_rows(ctx)] == [1]
    request_id = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Data late",
        new_target_date=date(2014, 10, 31),
    ).request_id  # fmt: skip
    assert request_id is not None
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=SAM)
    assert views.escalation_rows(ctx) == []
    run(ctx, clock, london(2014, 11, 3, 9, 30))
    assert [row["level"] for row in views.escalation_rows(ctx) if row["level"]] == [1]


def test_red_rag_goes_straight_to_level_three(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """An owner reporting red reaches level 3 (Cabinet and the lead) at the next sweep."""
    action_id = approved(ctx, plan_id, "Extend medium term financial strategy", date(2015, 2, 27))
    clock.set(london(2014, 9, 1, 10, 0))
    progress.record_progress(ctx, action_id, "Funding withdrawn", Rag.RED, by_email=OWEN)
    report = run(ctx, clock, london(2014, 9, 1, 10, 15))
    assert {d.why for d in report.decisions} == {"level 3 (rag red)"}
    assert [row["reason"] for row in views.escalation_rows(ctx)] == ["rag_red"]
    assert emails_to(ctx, RUTH, "escalation")


def test_quiet_action_gets_a_no_progress_notice_until_the_owner_writes(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """42 days without news send the owner a no-progress notice (not an escalation, and with
    no level); a progress update answers it."""
    action_id = approved(ctx, plan_id, "Agree the budget", date(2015, 3, 31))
    clock.set(london(2014, 12, 1, 10, 0))
    progress.record_progress(ctx, action_id, "Started", None, by_email=OWEN)
    assert run(ctx, clock, london(2015, 1, 12, 9, 30)).decisions == []  # 42 days less a bit
    stalled = run(ctx, clock, london(2015, 1, 13, 9, 30))
    assert [(d.kind, d.why) for d in stalled.decisions] == [
        ("no_progress", "no progress update for 6 weeks")
    ]
    assert emails_to(ctx, OWEN, "escalation") == []
    (email,) = emails_to(ctx, OWEN, "no_progress")
    assert [(i["action_id"], i["days_quiet"], i["role"]) for i in email["context"]["items"]] == [
        (action_id, 42, "owner")
    ]
    assert "level" not in email["context"]["items"][0]
    assert [(r["level"], r["reason"]) for r in views.escalation_rows(ctx)] == [(0, "stalled")]
    # The lead's dashboard lists the quiet action and counts it at the stalled level.
    board = _dashboard(ctx, plan_id)
    assert [(e.action_id, e.level) for e in board.escalations] == [(action_id, STALLED_LEVEL)]
    assert board.levels == {STALLED_LEVEL: 1}
    assert run(ctx, clock, london(2015, 1, 14, 9, 30)).decisions == []
    clock.set(london(2015, 1, 15, 10, 0))
    progress.record_progress(ctx, action_id, "Budget options drafted", None, by_email=OWEN)
    assert views.escalation_rows(ctx) == []
    assert _dashboard(ctx, plan_id).escalations == []


def _dashboard(ctx: Context, plan_id: int) -> dashboard.Dashboard:
    return dashboard.dashboard(
        ctx,
        plan_id,
        None,
        dashboard.TableFilter(),
        page=1,
        size=10,
        history=StateHistory(),
    )
