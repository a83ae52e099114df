"""The peer-challenge timetable, pure: the LGA's periods counted from the challenge date, month
ends kept, and each reminder and escalation on a working day, across bank holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from improveflow.calendar import LONDON, BankHolidayRegion, WorkingCalendar
from improveflow.reminders.peer_challenge import (
    MilestoneKind,
    Stage,
    Standing,
    add_months,
    due_stages,
    stage_moments,
    standing,
    timetable,
)

ENGLAND = WorkingCalendar(BankHolidayRegion.ENGLAND_AND_WALES)
SCOTLAND = WorkingCalendar(BankHolidayRegion.SCOTLAND)
NINE = time(9, 0)


def test_the_timetable_follows_the_lga_periods_from_the_challenge_date() -> None:
    """Feedback report: 3 months, with no later date; action plan: with it, or 5 months at
    the latest; progress review about 10 months; its report within 12."""
    assert [(m.kind, m.due_on, m.latest_on) for m in timetable(date(2026, 6, 12))] == [
        (MilestoneKind.FEEDBACK_REPORT, date(2026, 9, 12), None),
        (MilestoneKind.ACTION_PLAN, date(2026, 9, 12), date(2026, 11, 12)),
        (MilestoneKind.PROGRESS_REVIEW, date(2027, 4, 12), None),
        (MilestoneKind.PROGRESS_REVIEW_REPORT, date(2027, 6, 12), None),
    ]


def test_a_month_end_stays_inside_the_shorter_month() -> None:
    """31 August and three months is 30 November; 30 November and three is 28 February."""
    assert add_months(date(2026, 8, 31), 3) == date(2026, 11, 30)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 15), 12) == date(2027, 10, 15)


def test_every_notice_goes_at_the_send_time_of_a_working_day_across_christmas() -> None:
    """Due Christmas Day 2026: reminded Thursday 10 December; overdue on Tuesday 29 December,
    after Christmas and the substitute Boxing Day holiday; past its latest date (Thursday 25
    February 2027) on Friday 26 February."""
    stages = stage_moments(ENGLAND, NINE, date(2026, 12, 25), date(2027, 2, 25))
    assert [(s.stage, s.moment, s.against) for s in stages] == [
        (Stage.REMINDER, datetime(2026, 12, 10, 9, 0, tzinfo=LONDON), date(2026, 12, 25)),
        (Stage.OVERDUE, datetime(2026, 12, 29, 9, 0, tzinfo=LONDON), date(2026, 12, 25)),
        (Stage.PAST_LATEST, datetime(2027, 2, 26, 9, 0, tzinfo=LONDON), date(2027, 2, 25)),
    ]


def test_the_workflows_own_bank_holidays_count() -> None:
    """Due 31 December 2026, the escalation goes on Monday 4 January 2027 in England (New
    Year's Day a Friday); in Scotland, where 2 January (a Saturday) is kept on Monday 4
    January, on Tuesday 5 January."""
    england = stage_moments(ENGLAND, NINE, date(2026, 12, 31), None)
    scotland = stage_moments(SCOTLAND, NINE, date(2026, 12, 31), None)
    assert england[1].moment.date() == date(2027, 1, 4)
    assert scotland[1].moment.date() == date(2027, 1, 5)


def test_a_reminder_is_due_in_its_window_and_an_escalation_until_done() -> None:
    """Before its moment nothing is due; a reminder within the catch-up window, never after;
    an escalation from its moment on, and past the latest date only that one."""
    due, latest = date(2026, 12, 25), date(2027, 2, 25)
    window = timedelta(days=2)

    def at(day: date, hour: int) -> list[Stage]:
        now = datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)
        return [s.stage for s in due_stages(ENGLAND, NINE, window, due, latest, now)]

    assert at(date(2026, 12, 10), 8) == []
    assert at(date(2026, 12, 10), 9) == [Stage.REMINDER]
    assert at(date(2026, 12, 11), 17) == [Stage.REMINDER]
    assert at(date(2026, 12, 12), 10) == []
    assert at(date(2026, 12, 28), 10) == []
    assert at(date(2026, 12, 29), 9) == [Stage.OVERDUE]
    assert at(date(2027, 2, 1), 10) == [Stage.OVERDUE]  # a timetable recorded late
    assert at(date(2027, 2, 26), 8) == [Stage.OVERDUE]
    assert at(date(2027, 2, 26), 9) == [Stage.PAST_LATEST]
    assert at(date(2027, 6, 1), 9) == [Stage.PAST_LATEST]


def test_standing_in_words_of_the_day() -> None:
    """Done wins; then not due up to and on the due date; then overdue; then past the latest."""
    due, latest = date(2026, 9, 12), date(2026, 11, 12)
    assert standing(due, latest, date(2026, 9, 1), date(2027, 1, 1)) is Standing.DONE
    assert standing(due, latest, None, due) is Standing.NOT_DUE
    assert standing(due, latest, None, date(2026, 9, 13)) is Standing.OVERDUE
    assert standing(due, latest, None, latest) is Standing.OVERDUE
    assert standing(due, latest, None, date(2026, 11, 13)) is Standing.PAST_LATEST
    assert standing(due, None, None, date(2026, 11, 13)) is Standing.OVERDUE
