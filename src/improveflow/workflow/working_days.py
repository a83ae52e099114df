"""The working-day calendar a workflow names, and what to call its region in a sentence.

A workflow says whose bank holidays it keeps (`reminders.bank_holidays`). Everything that counts
working days for one of its actions (reminders, escalations, the action page) uses this calendar,
so a Scottish council's St Andrew's Day is a holiday everywhere or nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow.calendar import BankHolidayRegion, WorkingCalendar
from improveflow.workflow.definition import Workflow

_REGION_NAMES = {
    BankHolidayRegion.ENGLAND_AND_WALES: "England and Wales",
    BankHolidayRegion.SCOTLAND: "Scotland",
    BankHolidayRegion.NORTHERN_IRELAND: "Northern Ireland",
}


def calendar_of(workflow: Workflow) -> WorkingCalendar:
    """The working days of `workflow`'s actions: Monday to Friday less its region's holidays."""
    return WorkingCalendar(BankHolidayRegion(workflow.reminders.bank_holidays))


def region_name(calendar: WorkingCalendar) -> str:
    """'Scotland', as in 'a bank holiday in Scotland'."""
    return _REGION_NAMES[calendar.region]


@dataclass(frozen=True)
class NotWorkingDay:
    """Why a date is not a working day, and the last working day before it."""

    day: date
    weekend: bool  # a Saturday or Sunday; otherwise a bank holiday
    region: str  # whose bank holidays: "Scotland"
    last_working_day_before: date


def not_a_working_day(calendar: WorkingCalendar, day: date) -> NotWorkingDay | None:
    """None for a working day; otherwise what to tell someone who chose `day` as a target."""
    if calendar.is_working_day(day):
        return None
    return NotWorkingDay(
        day=day,
        weekend=day.weekday() >= 5,
        region=region_name(calendar),
        last_working_day_before=calendar.subtract_working_days(day, 1),
    )
