"""What a request asked for and what became of it, read back from its audit events.

A closed request's page must describe the change as it stood when it was asked and decided,
not the action as it is today (whose target date may already be the new one). The request's
own events, read as their records, say it: `ChangeRequested` holds the states and the date it
would replace, `TransitionApplied` the change an approval made, and `RequestEnded` how the
request closed and (rejected, withdrawn or superseded) how the action stayed. Requests made
before the replaced date was recorded get it from the first date change after them, or else
from the action, whose date nothing else has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit_events
from improveflow.audit_events import (
    AuditRecord,
    ChangeRequested,
    RequestEnded,
    TransitionApplied,
    Unrecognised,
)
from improveflow.models import RequestStatus
from improveflow.stores import approval_queue as queue_store
from improveflow.stores.approval_queue import RequestEvent


@dataclass(frozen=True)
class Change:
    """A move between states and, for a change of target date, the dates on either side."""

    from_state: str | None
    to_state: str | None
    target_from: date | None = None
    target_to: date | None = None  # None: the target date is not part of the change

    @property
    def moves(self) -> bool:
        return self.from_state is not None and self.from_state != self.to_state

    @property
    def new_date(self) -> bool:
        return self.target_to is not None


@dataclass(frozen=True)
class Closing:
    """How the request ended: its outcome, when, by whom, and what it did to the action."""

    status: RequestStatus  # approved, rejected, withdrawn or superseded
    at: datetime
    by: str | None  # who closed it: the last decider, or the requester who withdrew it
    comment: str | None
    made: Change | None  # approved: the change made
    stayed_state: str | None  # otherwise: the action's state then (None if not recorded)
    stayed_target: date | None  # and its target date then


@dataclass(frozen=True)
class RequestRecord:
    asked: Change  # what was asked, as things stood when it was asked
    closing: Closing | None  # None while the request is pending


def request_record(
    session: Session,
    *,
    request_id: int,
    action_id: int,
    new_target_date: date | None,
    current_target: date | None,
) -> RequestRecord:
    """The request's story from its events."""
    events = [_Told.of(e) for e in queue_store.request_events(session, action_id, request_id)]
    requested: ChangeRequested | None = None
    requested_seq = 0
    for told in events:
        if isinstance(told.event, ChangeRequested):
            requested, requested_seq = told.event, told.seq
            break
    asked = Change(
        from_state=requested.from_state if requested else None,
        to_state=requested.to_state if requested else None,
        target_from=_date_replaced(session, action_id, requested, requested_seq, current_target)
        if new_target_date is not None
        else None,
        target_to=new_target_date,
    )
    closed = next(
        ((e, e.event) for e in reversed(events) if isinstance(e.event, RequestEnded)), None
    )
    if closed is None:
        return RequestRecord(asked, None)
    return RequestRecord(asked, _closing(*closed, events, asked))


@dataclass(frozen=True)
class _Told:
    """One of the request's events, with the name of whoever it was by."""

    seq: int
    at: datetime
    event: AuditRecord | Unrecognised
    by: str | None

    @classmethod
    def of(cls, stored: RequestEvent) -> _Told:
        logged = audit_events.from_row(stored.stored)
        return cls(logged.seq, logged.at, logged.event, stored.by)


def _closing(closed: _Told, ended: RequestEnded, events: list[_Told], asked: Change) -> Closing:
    made = None
    if ended.outcome is RequestStatus.APPROVED:
        applied = next((e.event for e in events if isinstance(e.event, TransitionApplied)), None)
        dates = applied.target_date if applied else None
        made = Change(
            from_state=applied.from_state if applied else asked.from_state,
            to_state=applied.to_state if applied else asked.to_state,
            target_from=dates.before if dates else asked.target_from,
            target_to=dates.after if dates else asked.target_to,
        )
    stayed = ended.unchanged
    return Closing(
        status=ended.outcome,
        at=closed.at,
        by=closed.by,
        comment=ended.comment,
        made=made,
        stayed_state=stayed.state if stayed else None,
        # Nothing changes an action's date while a request for a new one waits.
        stayed_target=stayed.target_date if stayed else asked.target_from,
    )


def _date_replaced(
    session: Session,
    action_id: int,
    requested: ChangeRequested | None,
    requested_seq: int,
    current: date | None,
) -> date | None:
    """The target date the request would replace, as it was when the request was made."""
    if requested is not None and requested.target_date is not None:
        return requested.target_date.before
    # Recorded only since requests kept it: the date is the one the next date change
    # replaced or, if none has happened since, the action's date now.
    for stored in queue_store.transitions_after(session, action_id, requested_seq):
        later = audit_events.from_row(stored).event
        if isinstance(later, TransitionApplied) and later.target_date is not None:
            return later.target_date.before
    return current
