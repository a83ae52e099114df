"""A daily digest goes at the send time of a working day, the first such moment from `now`:
never at a weekend or on the workflow's bank holidays, and at 09:00 London on either side of
a clock change."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from improveflow.calendar import LONDON
from improveflow.reminders import SweepPlanner
from improveflow.resources import bundled_dir
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import load_workflow

ENGLISH = load_workflow(bundled_dir("workflows") / "improvement_action.yaml")
SCOTTISH = dataclasses.replace(
    ENGLISH, reminders=dataclasses.replace(ENGLISH.reminders, bank_holidays="scotland")
)
# Autumn 2026 to spring 2027: both clock changes, St Andrew's Day, Christmas and New Year.
FIRST = date(2026, 10, 20)
DAYS = 170


def first_digest_by_walking(planner: SweepPlanner, now: datetime) -> datetime:
    """The first working day at the send time not before `now`, found one day at a time."""
    day = now.astimezone(LONDON).date()
    while True:
        moment = datetime.combine(day, planner.reminders.send_time, tzinfo=LONDON)
        if planner.calendar.is_working_day(day) and moment >= now:
            return moment
        day += timedelta(days=1)


@pytest.mark.parametrize("workflow", [ENGLISH, SCOTTISH], ids=["england", "scotland"])
def test_the_digest_goes_at_the_first_working_send_time_from_now(workflow: Workflow) -> None:
    """Every 20 minutes for 170 days, the next digest is the first working day's 09:00 London
    at or after `now`, as walking the calendar day by day finds it."""
    planner = SweepPlanner(workflow)
    start = datetime.combine(FIRST, datetime.min.time(), tzinfo=LONDON)
    for step in range(DAYS * 72):
        now = (start + timedelta(minutes=20 * step)).astimezone(LONDON)
        assert planner.next_digest(now) == first_digest_by_walking(planner, now), now


def test_a_digest_just_missed_waits_for_the_next_working_day() -> None:
    """Half a minute after 09:00 on Thursday 24 December 2026, the digest is Tuesday 29th's:
    Christmas Day and the Boxing Day substitute are bank holidays in England."""
    planner = SweepPlanner(ENGLISH)
    just_after = datetime(2026, 12, 24, 9, 0, 30, tzinfo=LONDON)
    assert planner.next_digest(just_after) == datetime(2026, 12, 29, 9, 0, tzinfo=LONDON)
    at_nine = datetime(2026, 12, 24, 9, 0, tzinfo=LONDON)
    assert planner.next_digest(at_nine) == at_nine
