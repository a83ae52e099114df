"""Approval chasers: a request waiting for a decision reminds the body's members after some
working days, and after more tells the body's chair.

Waiting is counted in working days from the London day the request was opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from improveflow.calendar import WorkingCalendar, as_london
from improveflow.reminders.working_time import today
from improveflow.workflow.definition import ApprovalChasePolicy


@dataclass(frozen=True)
class ApprovalChase:
    """A request due a chase now: how long it has waited, and whether its chair is told."""

    waited: int  # working days since the day it was opened
    tell_chair: bool


def due_chase(
    calendar: WorkingCalendar,
    policy: ApprovalChasePolicy,
    opened_at: datetime,
    now: datetime,
) -> ApprovalChase | None:
    """The chase due now for a request opened at `opened_at`, if any: none until it has waited
    `remind_after_working_days` working days after the day it was opened.

    Counted forwards from the opening day, so a request opened at a weekend or on a bank
    holiday waits from the next working day, not from the working day before it.
    """
    opened, this_day = as_london(opened_at).date(), today(now)
    waited = calendar.working_days_between(opened, this_day)
    if waited < policy.remind_after_working_days:
        return None
    return ApprovalChase(waited, waited >= policy.escalate_to_chair_after_working_days)
