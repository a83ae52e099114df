"""A request waiting for a decision is chased once it has waited the workflow's working days,
counted from the London day it was opened, and its chair is told after the longer wait."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from improveflow.calendar import LONDON
from improveflow.reminders import SweepPlanner
from improveflow.resources import bundled_dir
from improveflow.workflow.loader import load_workflow

PLANNER = SweepPlanner(load_workflow(bundled_dir("workflows") / "improvement_action.yaml"))
POLICY = PLANNER.workflow.approvals
# Winter 2026: weekends, Christmas and New Year.
DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(70)]
WORKING_DAYS = [day for day in DAYS if PLANNER.calendar.is_working_day(day)]


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)


def test_members_then_the_chair_are_chased_by_working_days_waited() -> None:
    """Whatever day a request was opened (a weekend and bank holidays included), on any working
    day a chase is due exactly when the working days since it was opened reach the reminder's
    count, and tells the chair from the chair's."""
    for opened in DAYS:
        for today in WORKING_DAYS:
            if today < opened:
                continue
            waited = PLANNER.calendar.working_days_between(opened, today)
            chase = PLANNER.due_chase(at_ten(opened), at_ten(today))
            if waited < POLICY.remind_after_working_days:
                assert chase is None, (opened, today)
                continue
            assert chase is not None, (opened, today)
            assert chase.waited == waited
            assert chase.tell_chair == (waited >= POLICY.escalate_to_chair_after_working_days)


def test_waiting_counts_from_the_london_day_the_request_was_opened() -> None:
    """Opened at 23:30 UTC on Thursday 7 January 2027 (still the 7th in London, on GMT) it is
    due on Tuesday 12th; at 23:30 UTC on Wednesday 30 June 2027 (1 July in London, on BST) it
    is due on Tuesday 6 July, not Monday 5th."""
    in_winter = datetime(2027, 1, 7, 23, 30, tzinfo=UTC)
    assert PLANNER.due_chase(in_winter, at_ten(date(2027, 1, 11))) is None
    chase = PLANNER.due_chase(in_winter, at_ten(date(2027, 1, 12)))
    assert chase is not None
    assert chase.waited == 3
    in_summer = datetime(2027, 6, 30, 23, 30, tzinfo=UTC)
    assert PLANNER.due_chase(in_summer, at_ten(date(2027, 7, 5))) is None
    assert PLANNER.due_chase(in_summer, at_ten(date(2027, 7, 6))) is not None


def test_a_request_opened_on_a_saturday_waits_from_monday() -> None:
    """Opened on Saturday 5 December 2026, its three working days are Monday to Wednesday: it
    is chased on Wednesday 9th, not a day later."""
    opened = at_ten(date(2026, 12, 5))
    assert PLANNER.due_chase(opened, at_ten(date(2026, 12, 8))) is None
    chase = PLANNER.due_chase(opened, at_ten(date(2026, 12, 9)))
    assert chase is not None
    assert chase.waited == 3
