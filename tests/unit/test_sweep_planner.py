"""The sweep planner counts as the emails do: each level and reminder falls on the working day
its count says, by the workflow's own calendar, and nothing is raised outside working hours."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from improveflow.calendar import LONDON
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL, SweepPlanner
from improveflow.reminders.escalation_ladder import not_yet_raised
from improveflow.resources import bundled_dir
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import load_workflow

ENGLISH = load_workflow(bundled_dir("workflows") / "improvement_action.yaml")
SCOTTISH = dataclasses.replace(
    ENGLISH, reminders=dataclasses.replace(ENGLISH.reminders, bank_holidays="scotland")
)
# Autumn 2026 to spring 2027: weekends, St Andrew's Day (Scotland), Christmas and New Year.
DAYS = [date(2026, 10, 1) + timedelta(days=n) for n in range(200)]


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize("workflow", [ENGLISH, SCOTTISH], ids=["england", "scotland"])
def test_each_level_is_reached_exactly_when_its_working_days_have_passed(
    workflow: Workflow,
) -> None:
    """For any target date, weekend and bank holidays included, the sweep's candidate range
    holds a target exactly when it is as many working days late as the level needs."""
    planner = SweepPlanner(workflow)
    for today in DAYS[60:120]:
        now = london(today.year, today.month, today.day, 9, 30)
        for level, threshold in planner.overdue_thresholds(now):
            for target in DAYS[:120]:
                late = planner.working_days_overdue(target, now)
                assert (target <= threshold) == (late >= level.working_days_overdue), (
                    today,
                    target,
                    level.level,
                )


def test_a_saturday_target_reaches_level_two_on_the_friday_after_five_working_days() -> None:
    """'October 2026' (Saturday 31 October): level 2 on Friday 6 November, not Saturday 7th."""
    planner = SweepPlanner(ENGLISH)
    level_two = planner.workflow.escalation.levels[1]
    friday = london(2026, 11, 6, 9, 30)
    threshold = {level.level: day for level, day in planner.overdue_thresholds(friday)}[2]
    assert date(2026, 10, 31) <= threshold
    assert planner.working_days_overdue(date(2026, 10, 31), friday) == 5
    assert level_two.working_days_overdue == 5


@pytest.mark.parametrize("workflow", [ENGLISH, SCOTTISH], ids=["england", "scotland"])
def test_each_reminder_goes_on_a_working_day_with_its_count_left(workflow: Workflow) -> None:
    """The n-working-day reminder goes on a working day from which exactly n working days are
    left, whatever day the target falls on."""
    planner = SweepPlanner(workflow)
    for target in DAYS[40:]:
        for offset in planner.reminders.offsets_working_days:
            day = planner.reminder_day(target, offset)
            assert planner.calendar.is_working_day(day)
            at_nine = london(day.year, day.month, day.day, 9, 0)
            assert planner.working_days_left(target, at_nine) == offset
            assert planner.due_reminder(target, at_nine) is not None


def test_st_andrews_day_is_a_day_off_only_for_a_scottish_workflow() -> None:
    """Monday 30 November 2026: working hours in England, none in Scotland; a Saturday and the
    hours before nine and after half past five are never working hours."""
    english, scottish = SweepPlanner(ENGLISH), SweepPlanner(SCOTTISH)
    st_andrews = london(2026, 11, 30, 9, 30)
    assert english.in_working_hours(st_andrews)
    assert not scottish.in_working_hours(st_andrews)
    assert scottish.first_working_moment(st_andrews) == london(2026, 12, 1, 9, 0)
    assert english.first_working_moment(st_andrews) == st_andrews
    assert not english.in_working_hours(london(2026, 11, 28, 9, 30))  # Saturday
    assert not english.in_working_hours(london(2026, 11, 30, 8, 59))
    assert english.in_working_hours(london(2026, 11, 30, 9, 0))
    assert not english.in_working_hours(london(2026, 11, 30, 17, 30))
    assert english.first_working_moment(london(2026, 11, 30, 19, 0)) == london(2026, 11, 30, 19, 0)


def test_only_levels_above_the_open_one_are_raised_and_stalling_only_when_none_is_open() -> None:
    """A quiet action 6 working days late has reached stalling, level 1 and level 2: with
    nothing open all three are new; with level 1 open only level 2; with only stalling open,
    levels 1 and 2; with level 2 open, nothing."""
    planner = SweepPlanner(ENGLISH)
    now = london(2026, 11, 9, 9, 30)  # Monday; Friday 30 October is 6 working days back
    reached = planner.levels_reached(
        target=date(2026, 10, 30), rag=None, heard_from_at=now - timedelta(days=60), now=now
    )
    assert [(level.level, level.reason) for level in reached] == [
        (STALLED_LEVEL, "stalled"),
        (1, "overdue"),
        (2, "overdue"),
    ]
    new = {
        open_level: [level.level for level in not_yet_raised(reached, open_level)]
        for open_level in (0, ONLY_STALLED, 1, 2)
    }
    assert new == {0: [STALLED_LEVEL, 1, 2], ONLY_STALLED: [1, 2], 1: [2], 2: []}
