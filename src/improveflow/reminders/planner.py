"""`SweepPlanner`: one workflow's policies and working-day calendar, asked what is due at `now`.

A thin front over the rules (one module each), so callers build it once per workflow and ask
in the workflow's terms; every answer depends only on the policy, the calendar and the `now`
passed in, so tests can travel in time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from improveflow.calendar import BankHolidayRegion, WorkingCalendar
from improveflow.reminders import (
    approval_chasers,
    digest_timing,
    escalation_ladder,
    peer_challenge,
    progress_prompts,
    target_reminders,
    working_time,
)
from improveflow.reminders.approval_chasers import ApprovalChase
from improveflow.reminders.escalation_ladder import ReachedLevel
from improveflow.reminders.target_reminders import DueReminder, TargetRange
from improveflow.workflow.definition import EscalationLevel, Workflow


class SweepPlanner:
    """What is due at `now` for actions and requests of one workflow."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.reminders = workflow.reminders
        self.escalation = workflow.escalation
        self.approvals = workflow.approvals
        self.calendar = WorkingCalendar(BankHolidayRegion(self.reminders.bank_holidays))
        self.catch_up = timedelta(days=self.reminders.catch_up_days)

    @property
    def states(self) -> tuple[str, ...]:
        """The states whose actions are reminded, prompted and escalated."""
        return self.reminders.states

    # Working time -------------------------------------------------------------------------------

    def today(self, now: datetime) -> date:
        return working_time.today(now)

    def send_at(self, now: datetime) -> datetime:
        """The first moment from `now` inside working hours (Monday 09:00 for a Saturday)."""
        return working_time.send_at(self.calendar, self.reminders.send_time, now)

    def in_working_hours(self, now: datetime) -> bool:
        """Whether `now` is inside working hours of a working day of this workflow's calendar.

        Escalations are raised only then, so they are raised when people are told, and the
        working days counted in the email are those of the day it arrives.
        """
        return working_time.in_working_hours(self.calendar, self.reminders.send_time, now)

    def first_working_moment(self, now: datetime) -> datetime:
        """`now` on a working day; at a weekend or on a bank holiday, the next working day at
        the send time. Nothing is sent on a day off, though a request may go out in the
        evening of a working day."""
        return working_time.first_working_moment(self.calendar, self.reminders.send_time, now)

    def next_digest(self, now: datetime) -> datetime:
        """When the daily digest of someone who chose one next goes."""
        return digest_timing.next_digest(self.calendar, self.reminders.send_time, now)

    # Reminders before the target date -----------------------------------------------------------

    def reminder_day(self, target: date, offset: int) -> date:
        """The working day on which exactly `offset` working days are left before `target`."""
        return target_reminders.reminder_day(self.calendar, target, offset)

    def reminder_ranges(self, now: datetime) -> list[TargetRange]:
        """For each offset, the target dates that may have a reminder due now."""
        return target_reminders.reminder_ranges(self.calendar, self.reminders, now)

    def due_reminder(self, target: date, now: datetime) -> DueReminder | None:
        """The reminder due now for an action with this target date, if any."""
        return target_reminders.due_reminder(self.calendar, self.reminders, target, now)

    def working_days_left(self, target: date, now: datetime) -> int:
        return target_reminders.working_days_left(self.calendar, target, now)

    # Progress prompts for actions with no target date -------------------------------------------

    def prompt_quiet_since(self, now: datetime) -> datetime:
        """Actions with no target date, quiet since before this moment, are prompted."""
        return progress_prompts.prompt_quiet_since(self.reminders, now)

    # Escalations --------------------------------------------------------------------------------

    def overdue_thresholds(self, now: datetime) -> list[tuple[EscalationLevel, date]]:
        """Each level reached by lateness, with the latest target date that has reached it."""
        return escalation_ladder.overdue_thresholds(self.calendar, self.escalation, now)

    def working_days_overdue(self, target: date, now: datetime) -> int:
        return escalation_ladder.working_days_overdue(self.calendar, target, now)

    def stalled_since(self, now: datetime) -> datetime:
        """Actions not heard from since this moment are stalling."""
        return escalation_ladder.stalled_since(self.escalation, now)

    def levels_reached(
        self,
        *,
        target: date | None,
        rag: str | None,
        heard_from_at: datetime | None,
        now: datetime,
    ) -> list[ReachedLevel]:
        """Every escalation level the action has reached now, lowest first."""
        return escalation_ladder.levels_reached(
            self.calendar,
            self.escalation,
            target=target,
            rag=rag,
            heard_from_at=heard_from_at,
            now=now,
        )

    def rag_levels(self) -> list[EscalationLevel]:
        return escalation_ladder.rag_levels(self.escalation)

    # Peer-challenge milestones -----------------------------------------------------------------

    def milestone_stages(
        self, due_on: date, latest_on: date | None, now: datetime
    ) -> list[peer_challenge.DueStage]:
        """The reminder or escalations due now about a milestone not yet done."""
        return peer_challenge.due_stages(
            self.calendar, self.reminders.send_time, self.catch_up, due_on, latest_on, now
        )

    # Requests waiting for a decision ------------------------------------------------------------

    def due_chase(self, opened_at: datetime, now: datetime) -> ApprovalChase | None:
        """The chase due now for a request opened at `opened_at`, if any."""
        return approval_chasers.due_chase(self.calendar, self.approvals, opened_at, now)
