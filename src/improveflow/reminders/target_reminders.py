"""Reminders before a target date: the working day each goes, and which one is due at `now`.

The n-working-day reminder goes at the send time of the working day from which exactly n
working days are left. A reminder missed while the scheduler was down still goes within the
catch-up window. The sweep first asks which target dates can have a reminder due (narrow
ranges it reads through an index), then asks about each candidate exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from improveflow.calendar import LONDON, WorkingCalendar
from improveflow.reminders.working_time import today
from improveflow.workflow.definition import ReminderPolicy

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueReminder:
    offset: int  # working days before the target date
    moment: datetime  # when it was due: a working day at the send time
    working_days_left: int


@dataclass(frozen=True)
class TargetRange:
    """Target dates between `first` and `last` (inclusive) may have a reminder due."""

    offset: int
    first: date
    last: date


def reminder_day(calendar: WorkingCalendar, target: date, offset: int) -> date:
    """The working day on which exactly `offset` working days are left before `target`.

    Counted as `working_days_left` counts them (working days after that day, up to and
    including the target), so the 5-working-day reminder says "in 5 working days" even
    when the target falls on a weekend or a bank holiday.
    """
    return calendar.subtract_working_days(target + _ONE_DAY, offset + 1)


def reminder_moment(calendar: WorkingCalendar, send_time: time, day: date) -> datetime:
    """When a reminder of `day` goes: that day at the send time, in London."""
    return calendar.next_send_moment(datetime.combine(day, send_time, tzinfo=LONDON), send_time)


def working_days_left(calendar: WorkingCalendar, target: date, now: datetime) -> int:
    """Working days after today, up to and including `target`."""
    return calendar.working_days_between(today(now), target)


def reminder_ranges(
    calendar: WorkingCalendar, policy: ReminderPolicy, now: datetime
) -> list[TargetRange]:
    """For each offset, the target dates whose reminder moment falls in the catch-up window.

    Loose by a day or two at each end; `due_reminder` decides exactly.
    """
    first_day = today(now - timedelta(days=policy.catch_up_days))
    last_day = today(now)
    return [
        TargetRange(
            offset=offset,
            first=calendar.add_working_days(first_day, offset) - timedelta(days=3),
            last=calendar.add_working_days(last_day, offset + 1),
        )
        for offset in policy.offsets_working_days
    ]


def due_reminder(
    calendar: WorkingCalendar, policy: ReminderPolicy, target: date, now: datetime
) -> DueReminder | None:
    """The reminder due now for an action with this target date, if any.

    A reminder is due from its moment until the catch-up window has passed, so one missed
    while the scheduler was down still goes once; of several, only the latest is sent.
    """
    catch_up = timedelta(days=policy.catch_up_days)
    for offset in sorted(policy.offsets_working_days):
        moment = reminder_moment(calendar, policy.send_time, reminder_day(calendar, target, offset))
        if moment <= now < moment + catch_up:
            return DueReminder(offset, moment, working_days_left(calendar, target, now))
    return None
