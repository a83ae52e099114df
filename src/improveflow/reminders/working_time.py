"""A workflow's working time: today in London, and the first moment a message may go.

Messages go only in working hours of the workflow's working days (its own bank holidays), from
the send time on; everything else in the planner counts days from the `today` given here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from improveflow.calendar import WorkingCalendar, as_london, require_aware


def today(now: datetime) -> date:
    """The London date at `now`: working days are counted from it."""
    return as_london(require_aware(now, "now")).date()


def send_at(calendar: WorkingCalendar, send_time: time, now: datetime) -> datetime:
    """The first moment from `now` inside working hours (Monday 09:00 for a Saturday)."""
    return calendar.next_send_moment(require_aware(now, "now"), send_time)


def in_working_hours(calendar: WorkingCalendar, send_time: time, now: datetime) -> bool:
    """Whether `now` is inside working hours of a working day of `calendar`."""
    return send_at(calendar, send_time, now) <= now


def first_working_moment(calendar: WorkingCalendar, send_time: time, now: datetime) -> datetime:
    """`now` on a working day; on a day off, the next working day at the send time."""
    if calendar.is_working_day(today(now)):
        return now
    return send_at(calendar, send_time, now)
