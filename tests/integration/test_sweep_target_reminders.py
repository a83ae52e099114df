"""The sweep's reminders before target dates over simulated time: on working days, across
bank holidays and the clock change, caught up once within the window, and held for a digest."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sweep_helpers import OWEN, approved, daily_sweeps, emails_to, kinds, london, run, sample_plan

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Notice
from improveflow.services import people
from improveflow.services.context import Context
from improveflow.stores.tables import table_of


@pytest.fixture
def plan_id(ctx: Context) -> int:
    return sample_plan(ctx)


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
