"""The sweep over simulated time: reminders, prompts, escalations, exactly once, in hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from improveflow import audit
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Notice, Outbox, PlanKind, Rag, Verdict
from improveflow.services import approvals, deputies, people, progress, sweep, views
from improveflow.services.context import Context
from improveflow.store import table_of
from improveflow.testing import add_action, add_plan, add_sample_people

OWEN = "owen@council.example"
DANA = "dana@council.example"
SAM = "sam@council.example"
RUTH = "ruth@council.example"


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def plan_id(ctx: Context) -> int:
    add_sample_people(ctx)
    return add_plan(ctx, kind=PlanKind.SERVICE_PLAN)


def approved(ctx: Context, plan_id: int, description: str, target: date | None) -> int:
    """An agreed action owned by Owen, agreed five weeks before its target date."""
    if target is not None:
        assert isinstance(ctx.clock, FrozenClock)
        ctx.clock.set(london(target.year, target.month, target.day, 12, 0) - timedelta(weeks=5))
    action_id = add_action(ctx, plan_id, description, target=target)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    return action_id


def run(ctx: Context, clock: FrozenClock, when: datetime) -> sweep.SweepReport:
    clock.set(when)
    return sweep.sweep(ctx, now=when)


def kinds(report: sweep.SweepReport) -> list[tuple[str, int | None]]:
    """What was decided, leaving out no-progress notices (tested on their own)."""
    return [(d.kind, d.action_id) for d in report.decisions if d.kind != "no_progress"]


def outbox_rows(ctx: Context) -> list[dict[str, Any]]:
    with ctx.database.reading() as session:
        rows = session.connection().execute(sa.select(table_of(Outbox)).order_by("id"))
        return [dict(row._mapping) for row in rows]


def emails_to(ctx: Context, email: str, template: str | None = None) -> list[dict[str, Any]]:
    return [
        row
        for row in outbox_rows(ctx)
        if row["recipient_email"] == email and (template is None or row["template"] == template)
    ]


def daily_sweeps(
    ctx: Context, clock: FrozenClock, first: date, days: int, at: tuple[int, int] = (9, 30)
) -> dict[date, sweep.SweepReport]:
    return {
        first + timedelta(days=n): run(
            ctx,
            clock,
            london(
                (first + timedelta(days=n)).year,
                (first + timedelta(days=n)).month,
                (first + timedelta(days=n)).day,
                *at,
            ),
        )
        for n in range(days)
    }


def test_reminders_fall_on_working_days_across_a_bank_holiday(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Reminders 20, 10, 5 and 1 working days ahead skip the weekend and the August bank holiday."""
    # Friday 29 August 2014; Monday 25 August 2014 is the summer bank holiday.
    action_id = approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    reports = daily_sweeps(ctx, clock, date(2014, 7, 28), 33)
    reminded = [day for day, report in reports.items() if ("reminder", action_id) in kinds(report)]
    assert reminded == [date(2014, 7, 31), date(2014, 8, 14), date(2014, 8, 21), date(2014, 8, 28)]
    subjects = [
        row["context"]["items"][0]["working_days_left"] for row in emails_to(ctx, OWEN, "reminder")
    ]
    assert subjects == [20, 10, 5, 1]


def test_running_the_sweep_again_adds_nothing(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A second sweep at the same moment, or a minute later, decides and queues nothing new."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    first = run(ctx, clock, london(2014, 7, 31, 9, 15))
    assert kinds(first)
    assert first.emails_queued >= 1
    queued = len(outbox_rows(ctx))
    for minutes in (0, 1, 15, 180):
        again = run(ctx, clock, london(2014, 7, 31, 9, 15) + timedelta(minutes=minutes))
        assert again.decisions == []
        assert again.emails_queued == 0
    assert len(outbox_rows(ctx)) == queued


def test_missed_reminder_is_sent_once_on_the_next_working_morning(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A reminder missed on Friday (scheduler down) is caught up once, and goes on Tuesday
    09:00 after a bank-holiday Monday, not at the weekend."""
    # The 5-working-day reminder for Friday 29 August 2014 falls on Friday 22 August? No: on
    # Thursday 21 August. Use the 1-working-day reminder of Tuesday 26 August: due Friday 22nd.
    action_id = approved(ctx, plan_id, "Publish the workforce plan", date(2014, 8, 26))
    saturday = run(ctx, clock, london(2014, 8, 23, 11, 0))
    assert kinds(saturday) == [("reminder", action_id)]
    assert emails_to(ctx, OWEN, "reminder") == []  # not at the weekend
    with ctx.database.reading() as session:
        due = (
            session.connection()
            .execute(
                sa.select(table_of(Notice).c.due_at).where(table_of(Notice).c.kind == "reminder")
            )
            .scalar_one()
        )
    assert due == london(2014, 8, 26, 9, 0)  # Monday 25th is a bank holiday
    for when in (london(2014, 8, 24, 12, 0), london(2014, 8, 25, 9, 30)):
        assert run(ctx, clock, when).decisions == []
    assert emails_to(ctx, OWEN, "reminder") == []
    tuesday = run(ctx, clock, london(2014, 8, 26, 9, 0))
    assert tuesday.emails_queued == 1
    assert len(emails_to(ctx, OWEN, "reminder")) == 1


def test_reminder_missed_beyond_the_catch_up_window_is_not_sent(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """After more than two days down, a stale reminder is skipped rather than sent late."""
    action_id = approved(ctx, plan_id, "Publish the workforce plan", date(2014, 8, 29))
    late = run(ctx, clock, london(2014, 7, 31, 9, 0) + timedelta(days=2, minutes=1))
    assert ("reminder", action_id) not in kinds(late)


def test_reminders_follow_london_time_across_the_clock_change(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """09:00 in London is 08:00 UTC after the clocks go forward and 09:00 UTC before."""
    # Clocks go forward on Sunday 30 March 2014.
    approved(ctx, plan_id, "Agree the budget", date(2014, 4, 4))  # 5 days before: Fri 28 Mar
    approved(ctx, plan_id, "Agree the capital plan", date(2014, 4, 11))  # 5 days before: Fri 4 Apr
    run(ctx, clock, london(2014, 3, 28, 8, 59))
    assert emails_to(ctx, OWEN, "reminder") == []
    run(ctx, clock, london(2014, 3, 28, 9, 0))
    run(ctx, clock, london(2014, 4, 4, 9, 0))
    with ctx.database.reading() as session:
        moments = [
            row[0]
            for row in session.connection().execute(
                sa.select(table_of(Notice).c.due_at)
                .where(table_of(Notice).c.kind == "reminder")
                .order_by(table_of(Notice).c.id)
            )
        ]
    assert {m.astimezone(LONDON).strftime("%H:%M") for m in moments} == {"09:00"}
    before = {m.hour for m in moments if m < london(2014, 3, 30, 12, 0)}
    after = {m.hour for m in moments if m > london(2014, 3, 30, 12, 0)}
    assert (before, after) == ({9}, {8})  # UTC hours: GMT, then BST


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


def test_ongoing_action_is_prompted_every_four_weeks_of_silence(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """An action with no target date is prompted after four quiet weeks, then every four."""
    action_id = approved(ctx, plan_id, "Maintain the risk register", None)
    start = date(2014, 6, 2)  # agreed on Monday 2 June at 10:00
    reports = daily_sweeps(ctx, clock, start, 90, at=(10, 30))
    prompted = [day for day, r in reports.items() if ("progress_prompt", action_id) in kinds(r)]
    assert prompted == [date(2014, 6, 30), date(2014, 7, 28), date(2014, 8, 25)]
    clock.set(london(2014, 9, 1, 10, 0))
    progress.record_progress(ctx, action_id, "Reviewed in August", None, by_email=OWEN)
    quiet = daily_sweeps(ctx, clock, date(2014, 9, 2), 27, at=(10, 30))
    assert all(("progress_prompt", action_id) not in kinds(r) for r in quiet.values())
    assert ("progress_prompt", action_id) in kinds(run(ctx, clock, london(2014, 9, 29, 10, 30)))


def test_an_owner_gets_one_email_for_several_actions(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Three actions due in the same sweep reach their owner as one email listing all three."""
    for name in ("Agree the budget", "Publish the plan", "Train the managers"):
        approved(ctx, plan_id, name, date(2014, 8, 29))
    report = run(ctx, clock, london(2014, 8, 28, 9, 30))
    assert len([d for d in report.decisions if d.kind == "reminder"]) == 3
    reminders = emails_to(ctx, OWEN, "reminder")
    assert len(reminders) == 1
    assert [item["description"] for item in reminders[0]["context"]["items"]] == [
        "Agree the budget",
        "Publish the plan",
        "Train the managers",
    ]


def test_daily_digest_waits_for_the_morning(ctx: Context, plan_id: int, clock: FrozenClock) -> None:
    """Someone who chose a daily digest gets reminders at 09:00 the next working day, combined."""
    people.set_delivery(ctx, OWEN, "daily-digest")
    approved(ctx, plan_id, "Agree the budget", date(2014, 8, 29))
    approved(ctx, plan_id, "Publish the plan", date(2014, 8, 28))
    run(ctx, clock, london(2014, 8, 28, 10, 0))  # the budget's 1-day reminder, after 09:00
    assert emails_to(ctx, OWEN) == [] or all(
        r["template"] != "reminder" for r in emails_to(ctx, OWEN)
    )
    run(ctx, clock, london(2014, 8, 29, 9, 0))
    digests = [r for r in emails_to(ctx, OWEN) if r["template"] in ("reminder", "digest")]
    assert len(digests) == 1


def test_approval_waiting_reminds_members_then_the_chair(
    ctx: Context, tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock
) -> None:
    """After 3 working days members who have not acted are reminded; after 10, the chair."""
    from improveflow.testing import make_context

    folder = tmp_path_factory.mktemp("workflows")
    text = (ctx.settings.workflows_dir / "improvement_action.yaml").read_text(encoding="utf-8")
    (folder / "improvement_action.yaml").write_text(
        text.replace("    title: Corporate Management Team\n",
                     "    title: Corporate Management Team\n    chair: sam@council.example\n"),
        encoding="utf-8",
    )  # fmt: skip
    chaired = make_context(ctx.database.url, clock=clock, workflows_dir=folder, migrate=False)
    try:
        add_sample_people(chaired)
        action_id = add_action(chaired, add_plan(chaired), "Agree the budget")
        clock.set(london(2014, 6, 2, 10, 0))  # Monday
        approvals.request_change(chaired, action_id, "approve", by_email=OWEN)
        assert run(chaired, clock, london(2014, 6, 4, 10, 0)).decisions == []
        thursday = run(chaired, clock, london(2014, 6, 5, 10, 0))
        assert sorted(d.kind for d in thursday.decisions) == ["approval_reminder"] * 2
        chase = run(chaired, clock, london(2014, 6, 16, 10, 0))
        assert [d.kind for d in chase.decisions] == ["approval_chase"]
        assert emails_to(chaired, SAM, "approval_needed")[-1]["context"]["chase"] is True
    finally:
        chaired.close()


def test_deputy_receives_and_decides_for_an_absent_member(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """While Dana is on leave, her deputy gets her approval emails and may decide; both named."""
    deputies.add_deputy(ctx, DANA, "alex@council.example", date(2014, 6, 1), date(2014, 6, 14))
    action_id = add_action(ctx, plan_id, "Agree the budget")
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    sweep.queue_due_notices(ctx, now=clock.now())
    to_alex = emails_to(ctx, "alex@council.example", "approval_needed")
    assert [row["context"]["on_behalf_of"] for row in to_alex] == ["Dana Reeve"]
    assert emails_to(ctx, DANA, "approval_needed") == []
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email="alex@council.example")
    history = views.action_detail(ctx, action_id)["history"]
    assert ("decision", "Alex Smith (deputy for Dana Reeve)") in [
        (h["event"], h["by"]) for h in history
    ]
    clock.set(london(2014, 6, 20, 10, 0))  # leave over
    other = add_action(ctx, plan_id, "Publish the plan")
    later = approvals.request_change(ctx, other, "approve", by_email=OWEN).request_id
    assert later is not None
    with pytest.raises(Exception, match="Alex Smith is not a member of CMT"):
        approvals.decide(ctx, later, Verdict.APPROVE, by_email="alex@council.example")


def test_every_decision_is_audited_and_the_chain_verifies(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Each notice the sweep decides has its audit event, and the log still verifies."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    report = run(ctx, clock, london(2014, 9, 2, 9, 30))
    with ctx.database.reading() as session:
        events = (
            session.connection()
            .execute(sa.text("SELECT count(*) FROM audit_event WHERE event LIKE 'notice_%'"))
            .scalar_one()
        )
        audit.verify(session)
    assert events == len(report.decisions) > 0


def test_dry_run_stores_nothing(ctx: Context, plan_id: int, clock: FrozenClock) -> None:
    """`sweep --dry-run` reports what is due and leaves the database as it was."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    clock.set(london(2014, 9, 2, 9, 30))
    dry = sweep.sweep(ctx, now=clock.now(), dry_run=True)
    assert dry.decisions
    assert views.escalation_rows(ctx) == []
    real = sweep.sweep(ctx, now=clock.now())
    assert kinds(real) == kinds(dry)


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
    assert run(ctx, clock, london(2015, 1, 14, 9, 30)).decisions == []
    clock.set(london(2015, 1, 15, 10, 0))
    progress.record_progress(ctx, action_id, "Budget options drafted", None, by_email=OWEN)
    assert views.escalation_rows(ctx) == []
