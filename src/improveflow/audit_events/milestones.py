"""The events of a peer-challenge plan's timetable: its challenge date set, a milestone done."""

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
