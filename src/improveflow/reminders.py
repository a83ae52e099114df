"""What is due at `now`: reminders, progress prompts and escalation levels. Pure: no I/O.

The sweep asks this module two kinds of question. First, which narrow ranges of the action
table can hold anything due (so it reads only those rows, whatever the table's size); then,
for each candidate row, exactly what is due. Every answer depends only on the workflow's
policy, the working-day calendar and the `now` it is given, so tests can travel in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from improveflow.calendar import (
    LONDON,
    BankHolidayRegion,
    WorkingCalendar,
    as_london,
    require_aware,
)
from improveflow.workflow.definition import EscalationLevel, Workflow

OVERDUE = "overdue"
RAG_RED = "rag_red"
STALLED = "stalled"
STALLED_LEVEL = 0
# action.escalation_level when only a 'stalled' escalation is open (0 means none at all).
ONLY_STALLED = -1
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueReminder:
    offset: int  # working days before the target date
    moment: datetime  # when it was due: a working day at the send time
    working_days_left: int


@dataclass(frozen=True)
class ReachedLevel:
    level: int
    reason: str  # overdue, rag_red or stalled
    notify: tuple[str, ...]


@dataclass(frozen=True)
class TargetRange:
    """Target dates between `first` and `last` (inclusive) may have a reminder due."""

    offset: int
    first: date
    last: date


class SweepPlanner:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.reminders = workflow.reminders
        self.escalation = workflow.escalation
        self.calendar = WorkingCalendar(BankHolidayRegion(self.reminders.bank_holidays))
        self.catch_up = timedelta(days=self.reminders.catch_up_days)

    @property
    def states(self) -> tuple[str, ...]:
        return self.reminders.states

    def today(self, now: datetime) -> date:
        return as_london(require_aware(now, "now")).date()

    def send_at(self, now: datetime) -> datetime:
        """The first moment from `now` inside working hours (Monday 09:00 for a Saturday)."""
        return self.calendar.next_send_moment(require_aware(now, "now"), self.reminders.send_time)

    def in_working_hours(self, now: datetime) -> bool:
        """Whether `now` is inside working hours of a working day of this workflow's calendar.

        Escalations are raised only then, so they are raised when people are told, and the
        working days counted in the email are those of the day it arrives.
        """
        return self.send_at(now) <= now

    def first_working_moment(self, now: datetime) -> datetime:
        """`now` on a working day; at a weekend or on a bank holiday, the next working day at
        the send time. Nothing is sent on a day off, though a request may go out in the
        evening of a working day."""
        if self.calendar.is_working_day(self.today(now)):
            return now
        return self.send_at(now)

    # Reminders before the target date ---------------------------------------------------------

    def reminder_day(self, target: date, offset: int) -> date:
        """The working day on which exactly `offset` working days are left before `target`.

        Counted as `working_days_left` counts them (working days after that day, up to and
        including the target), so the 5-working-day reminder says "in 5 working days" even
        when the target falls on a weekend or a bank holiday.
        """
        return self.calendar.subtract_working_days(target + _ONE_DAY, offset + 1)

    def _moment(self, day: date) -> datetime:
        return self.calendar.next_send_moment(
            datetime.combine(day, self.reminders.send_time, tzinfo=LONDON),
            self.reminders.send_time,
        )

    def reminder_ranges(self, now: datetime) -> list[TargetRange]:
        """For each offset, the target dates whose reminder moment falls in the catch-up window.

        Loose by a day or two at each end; `due_reminder` decides exactly.
        """
        first_day = self.today(now - self.catch_up)
        last_day = self.today(now)
        return [
            TargetRange(
                offset=offset,
                first=self.calendar.add_working_days(first_day, offset) - timedelta(days=3),
                last=self.calendar.add_working_days(last_day, offset + 1),
            )
            for offset in self.reminders.offsets_working_days
        ]

    def due_reminder(self, target: date, now: datetime) -> DueReminder | None:
        """The reminder due now for an action with this target date, if any.

        A reminder is due from its moment until the catch-up window has passed, so one missed
        while the scheduler was down still goes once; of several, only the latest is sent.
        """
        for offset in sorted(self.reminders.offsets_working_days):
            moment = self._moment(self.reminder_day(target, offset))
            if moment <= now < moment + self.catch_up:
                return DueReminder(offset, moment, self.working_days_left(target, now))
        return None

    def working_days_left(self, target: date, now: datetime) -> int:
        return self.calendar.working_days_between(self.today(now), target)

    # Escalations --------------------------------------------------------------------------------

    def overdue_thresholds(self, now: datetime) -> list[tuple[EscalationLevel, date]]:
        """Each level reached by lateness, with the latest target date that has reached it.

        The latest target date with `working_days_overdue` at least the level's: the day before
        the level's n-th working day counting back from today. A target on a weekend or bank
        holiday reaches the level on the same day as the working day before it, as the ladder
        counts it (not a day later, and so never on a Saturday).
        """
        after_today = self.today(now) + _ONE_DAY
        return [
            (
                level,
                self.calendar.subtract_working_days(after_today, level.working_days_overdue)
                - _ONE_DAY,
            )
            for level in self.escalation.levels
        ]

    def working_days_overdue(self, target: date, now: datetime) -> int:
        return max(0, self.calendar.working_days_between(target, self.today(now)))

    def stalled_since(self, now: datetime) -> datetime:
        """Actions not heard from since this moment are stalling."""
        return now - timedelta(days=self.escalation.stalled_after_days)

    def levels_reached(
        self,
        *,
        target: date | None,
        rag: str | None,
        heard_from_at: datetime | None,
        now: datetime,
    ) -> list[ReachedLevel]:
        """Every escalation level the action has reached now, lowest first."""
        overdue = self.working_days_overdue(target, now) if target else 0
        stalled = heard_from_at is not None and heard_from_at <= self.stalled_since(now)
        reached = []
        if stalled and self.escalation.levels:
            # Stalling sits below the ladder (level 0), telling whom level 1 tells: an action
            # that is both quiet and late still climbs the ladder from level 1.
            reached.append(ReachedLevel(STALLED_LEVEL, STALLED, self.escalation.levels[0].notify))
        for level in self.escalation.levels:
            if target and overdue >= level.working_days_overdue:
                reached.append(ReachedLevel(level.level, OVERDUE, level.notify))
            elif level.on_rag and rag == level.on_rag:
                reached.append(ReachedLevel(level.level, RAG_RED, level.notify))
        return reached

    def rag_levels(self) -> list[EscalationLevel]:
        return [level for level in self.escalation.levels if level.on_rag]

    # Progress prompts for actions with no target date ------------------------------------------

    def prompt_quiet_since(self, now: datetime) -> datetime:
        """Actions with no target date, quiet since before this moment, are prompted."""
        return now - timedelta(weeks=self.reminders.progress_prompt_weeks)
