"""The events of a plan's timetable: a peer challenge's challenge date set, a scrutiny report's
date set, a milestone done; and a scrutiny committee's sign-off of an action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow.audit_events.base import Event, registered
from improveflow.audit_events.kinds import EventKind


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ChallengeDateSet(Event):
    """A peer-challenge plan's challenge date recorded or changed, and the milestones' due
    dates it gave (`earlier` is the date it replaced, if any)."""

    KIND = EventKind.CHALLENGE_DATE_SET
    actor_id: int | None
    plan_id: int
    challenge_date: date
    earlier: date | None = None
    milestones: tuple[str, ...] = ()  # "kind due_on" for each


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class MilestoneDone(Event):
    """A milestone of a peer-challenge plan marked done on a day, with the link showing it."""

    KIND = EventKind.MILESTONE_DONE
    actor_id: int | None
    plan_id: int
    milestone: str
    done_on: date
    link: str


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ReportDateSet(Event):
    """A scrutiny plan's report date (the day the executive received the committee's report)
    recorded or changed, with the months the executive has to respond and the response's due
    date they gave (`earlier`: the date it replaced, if any)."""

    KIND = EventKind.REPORT_DATE_SET
    actor_id: int | None
    plan_id: int
    report_date: date
    response_months: int
    response_due: date
    earlier: date | None = None


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class CommitteeSignedOff(Event):
    """A scrutiny committee's sign-off of an action as implemented, on the day of its meeting,
    with its minute (`earlier`: the day of a sign-off this one corrected)."""

    KIND = EventKind.COMMITTEE_SIGNED_OFF
    action_id: int
    actor_id: int | None
    plan_id: int
    signed_off_on: date
    minute: str | None = None
    earlier: date | None = None
