"""When a daily digest goes: people who chose one have their reminders and progress prompts
held until the send time of a working day, today's if it has not passed yet."""

from __future__ import annotations

from datetime import datetime, time

from improveflow.calendar import WorkingCalendar, as_london


def next_digest(calendar: WorkingCalendar, send_time: time, now: datetime) -> datetime:
    """The next digest moment at or after `now`: today at the send time on a working day
    until then, otherwise the next working day at the send time."""
    at_send_time = calendar.next_send_moment(
        as_london(now).replace(
            hour=send_time.hour, minute=send_time.minute, second=0, microsecond=0
        ),
        send_time,
    )
    if at_send_time < now:  # today's digest has gone: the next working day's
        at_send_time = calendar.next_send_moment(
            at_send_time.replace(hour=23, minute=59), send_time
        )
    return at_send_time
