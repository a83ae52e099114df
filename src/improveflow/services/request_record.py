"""What a request asked for and what became of it, read back from its audit events.

A closed request's page must describe the change as it stood when it was asked and decided,
not the action as it is today (whose target date may already be the new one). The request's
own events say it: `requested` holds the states and the date it would replace, `transition`
the change an approval made, and the closing event (`rejected`, `withdrawn`, `superseded`)
how the action stayed. Requests made before the replaced date was recorded get it from the
first date change after them, or else from the action, whose date nothing else has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from improveflow.models import RequestStatus
from improveflow.stores import approval_queue as queue_store
from improveflow.stores.approval_queue import RequestEvent

# Every status but pending closes a request; each is also the name of its closing event.
_CLOSINGS = frozenset(RequestStatus) - {RequestStatus.PENDING}


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
    events = queue_store.request_events(session, action_id, request_id)
    requested = next((e for e in events if e.event == "requested"), None)
    asked = Change(
        from_state=requested.from_state if requested else None,
        to_state=requested.to_state if requested else None,
        target_from=_date_replaced(session, action_id, requested, current_target)
        if new_target_date is not None
        else None,
        target_to=new_target_date,
    )
    closed = next((e for e in reversed(events) if e.event in _CLOSINGS), None)
    if closed is None:
        return RequestRecord(asked, None)
    return RequestRecord(asked, _closing(closed, events, asked))


def _closing(closed: RequestEvent, events: list[RequestEvent], asked: Change) -> Closing:
    made = None
    status = RequestStatus(closed.event)
    if status is RequestStatus.APPROVED:
        applied = next((e for e in events if e.event == "transition"), None)
        dates = applied.data.get("target_date") if applied else None
        made = Change(
            from_state=applied.from_state if applied else asked.from_state,
            to_state=applied.to_state if applied else asked.to_state,
            target_from=_as_date(dates.get("from")) if dates else asked.target_from,
            target_to=_as_date(dates.get("to")) if dates else asked.target_to,
        )
    stayed = closed.data.get("unchanged") or {}
    return Closing(
        status=status,
        at=closed.at,
        by=closed.by,
        comment=closed.comment,
        made=made,
        stayed_state=stayed.get("state"),
        # Nothing changes an action's date while a request for a new one waits.
        stayed_target=_as_date(stayed["target_date"]) if stayed else asked.target_from,
    )


def _date_replaced(
    session: Session, action_id: int, requested: RequestEvent | None, current: date | None
) -> date | None:
    """The target date the request would replace, as it was when the request was made."""
    if requested is not None and "target_date" in requested.data:
        return _as_date(requested.data["target_date"].get("from"))
    # Recorded only since requests kept it: the date is the one the next date change
    # replaced or, if none has happened since, the action's date now.
    later = queue_store.date_change_after(session, action_id, requested.seq if requested else 0)
    return _as_date(later.get("from")) if later is not None else current


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
