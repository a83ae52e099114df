"""A scrutiny report's timetable, pure: the executive's response due the same day two months
(or the plan's own period) after the report, month ends kept, and its reminder and escalation
on working days of the workflow's calendar."""

from __future__ import annotations

from datetime import date, datetime, time

from improveflow.calendar import LONDON, BankHolidayRegion, WorkingCalendar
from improveflow.reminders.peer_challenge import LABELS, MilestoneKind, Stage, stage_moments
from improveflow.reminders.scrutiny import (
    DEFAULT_RESPONSE_MONTHS,
    period_words,
    response_due,
    timetable,
)

ENGLAND = WorkingCalendar(BankHolidayRegion.ENGLAND_AND_WALES)
NINE = time(9, 0)


def test_the_response_is_due_two_months_after_the_report_unless_the_plan_says_otherwise() -> None:
    """The statutory two months by default; a council's own period when the plan gives one."""
    assert DEFAULT_RESPONSE_MONTHS == 2
    assert response_due(date(2026, 6, 12)) == date(2026, 8, 12)
    assert response_due(date(2026, 6, 12), 3) == date(2026, 9, 12)
    assert response_due(date(2026, 11, 20)) == date(2027, 1, 20)  # into the next year
    [response] = timetable(date(2026, 6, 12), 1)
    assert (response.kind, response.due_on, response.latest_on) == (
        MilestoneKind.EXECUTIVE_RESPONSE,
        date(2026, 7, 12),
        None,
    )
    assert LABELS[response.kind] == "Executive response given"


def test_a_month_end_report_is_answered_by_the_end_of_the_shorter_month() -> None:
    """31 December and two months is 28 February (29 in a leap year); 31 August and two is
    31 October; 30 December is 28 February too, never a day in March."""
    assert response_due(date(2026, 12, 31)) == date(2027, 2, 28)
    assert response_due(date(2027, 12, 31)) == date(2028, 2, 29)
    assert response_due(date(2026, 12, 30)) == date(2027, 2, 28)
    assert response_due(date(2026, 8, 31)) == date(2026, 10, 31)
    assert response_due(date(2026, 7, 31)) == date(2026, 9, 30)


def test_its_reminder_and_escalation_go_on_working_days_across_christmas() -> None:
    """A report of 26 October 2026 is answered by Boxing Day, a Saturday: reminded on Thursday
    10 December, ten working days before; escalated on Tuesday 29 December, after the
    substitute Boxing Day holiday on the Monday. A response due on Sunday 28 February 2027 is
    escalated on Monday 1 March."""
    due = response_due(date(2026, 10, 26))
    assert due == date(2026, 12, 26)
    assert [(s.stage, s.moment) for s in stage_moments(ENGLAND, NINE, due, None)] == [
        (Stage.REMINDER, datetime(2026, 12, 10, 9, 0, tzinfo=LONDON)),
        (Stage.OVERDUE, datetime(2026, 12, 29, 9, 0, tzinfo=LONDON)),
    ]
    february = stage_moments(ENGLAND, NINE, response_due(date(2026, 12, 31)), None)
    assert [s.moment.date() for s in february] == [date(2027, 2, 12), date(2027, 3, 1)]


def test_the_period_is_said_in_words() -> None:
    """'two months', 'one month', 'twelve months'."""
    assert period_words(2) == "two months"
    assert period_words(1) == "one month"
    assert period_words(12) == "twelve months"
