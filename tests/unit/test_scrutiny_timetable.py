"""A scrutiny report's timetable, pure: the executive's response due by the last day of the
two months (or the plan's own period) beginning with the day the executive received the
report, the day before the corresponding date or the end of a month that has none, and its
reminder and escalation on working days of the workflow's calendar."""

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


def test_the_two_months_begin_with_the_day_the_report_was_received() -> None:
    """Section 9FE(2): "within the period of two months beginning with" the day received, so
    a report received on 12 June is answered by 11 August, the day before the corresponding
    date, never on 12 August; a council's own period, when the plan gives one, is read the
    same way."""
    assert DEFAULT_RESPONSE_MONTHS == 2
    assert response_due(date(2026, 6, 12)) == date(2026, 8, 11)
    assert response_due(date(2026, 6, 12), 3) == date(2026, 9, 11)
    assert response_due(date(2026, 11, 20)) == date(2027, 1, 19)  # into the next year
    assert response_due(date(2026, 3, 1)) == date(2026, 4, 30)  # 1 May less a day
    [response] = timetable(date(2026, 6, 12), 1)
    assert (response.kind, response.due_on, response.latest_on) == (
        MilestoneKind.EXECUTIVE_RESPONSE,
        date(2026, 7, 11),
        None,
    )
    assert LABELS[response.kind] == "Executive response given"


def test_with_no_corresponding_date_the_period_ends_with_the_shorter_month() -> None:
    """Received 31 December: there is no 31 February, so the two months end on 28 February
    (29 in a leap year), as they do from 30 December; 31 August has 31 October, so it is
    answered by 30 October; 31 July has no 31 September, so by 30 September; 29 February and
    twelve months has no 29 February 2029, so by 28 February."""
    assert response_due(date(2026, 12, 31)) == date(2027, 2, 28)
    assert response_due(date(2027, 12, 31)) == date(2028, 2, 29)
    assert response_due(date(2026, 12, 30)) == date(2027, 2, 28)
    assert response_due(date(2026, 12, 29)) == date(2027, 2, 28)  # no 29 February 2027
    assert response_due(date(2026, 8, 31)) == date(2026, 10, 30)
    assert response_due(date(2026, 7, 31)) == date(2026, 9, 30)
    assert response_due(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert response_due(date(2027, 2, 28), 12) == date(2028, 2, 27)  # 28 February 2028 exists


def test_its_reminder_and_escalation_go_on_working_days_across_christmas() -> None:
    """A report received on 27 October 2026 is answered by Boxing Day, a Saturday: reminded on
    Thursday 10 December, ten working days before (Christmas Day not counted); escalated on
    Tuesday 29 December, after the substitute Boxing Day holiday on the Monday. One received on
    31 December is due on Sunday 28 February 2027: reminded on Friday 12 February, escalated on
    Monday 1 March."""
    due = response_due(date(2026, 10, 27))
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
