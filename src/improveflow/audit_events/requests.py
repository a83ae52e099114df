"""The events of a change to an action: asked for, decided on, applied, and how a request ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from improveflow.audit_events.base import (
    FROM_KIND,
    Event,
    Record,
    Unreadable,
    column,
    in_payload,
    readable,
    readable_enum,
    reader_for,
    registered,
)
from improveflow.audit_events.kinds import EventKind
from improveflow.models import RequestStatus, Verdict

_day = reader_for("date | None")


@dataclass(frozen=True, slots=True)
class DateChange(Record):
    """A target date replaced: `before` (None when there was none) by `after`."""

    before: date | None
    after: date | None

    def as_json(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after}

    @classmethod
    def read(cls, value: Any) -> DateChange:
        if not isinstance(value, dict):
            raise Unreadable(f"{value!r} is not a change of date")
        return cls(_day(value.get("from")), _day(value.get("to")))


@dataclass(frozen=True, slots=True)
class Unchanged(Record):
    """How the action stood when a request closed without changing it."""

    state: str
    target_date: date | None

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "target_date": self.target_date}

    @classmethod
    def read(cls, value: Any) -> Unchanged:
        if not isinstance(value, dict) or not isinstance(value.get("state"), str):
            raise Unreadable(f"{value!r} is not how an action stood")
        return cls(value["state"], _day(value.get("target_date")))


readable("DateChange", DateChange.read)
readable("Unchanged", Unchanged.read)
readable_enum(Verdict)
readable_enum(RequestStatus)


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeRequested(Event):
    """An owner asked for a change that needs a body's approval."""

    KIND = EventKind.CHANGE_REQUESTED
    action_id: int
    request_id: int
    actor_id: int
    from_state: str
    to_state: str
    reason: str | None = field(metadata=column("comment"))
    transition: str
    body: str
    quorum: int = field(metadata=in_payload(missing=1))
    new_target_date: date | None = field(metadata=in_payload(missing=None))
    # The date it would replace, kept since requests for a new date began to record it.
    target_date: DateChange | None = field(default=None, metadata=in_payload(omit_default=True))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class RequestDecided(Event):
    """A member of the deciding body (or a deputy for one) approved or rejected a request."""

    KIND = EventKind.REQUEST_DECIDED
    action_id: int
    request_id: int
    actor_id: int
    comment: str | None
    verdict: Verdict
    transition: str
    # The absent member a deputy decided for: their name then, and their id.
    on_behalf_of: str | None = field(default=None, metadata=in_payload(omit_default=True))
    on_behalf_of_id: int | None = field(default=None, metadata=in_payload(omit_default=True))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class TransitionApplied(Event):
    """A change took effect: approved (`request_id`), or needing no approval."""

    KIND = EventKind.TRANSITION_APPLIED
    action_id: int
    request_id: int | None = None
    actor_id: int
    from_state: str
    to_state: str
    reason: str | None = field(metadata=column("comment"))
    transition: str
    target_date: DateChange | None = field(default=None, metadata=in_payload(omit_default=True))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class RequestEnded(Event):
    """A request closed: approved (its change is a `TransitionApplied` just before), rejected,
    withdrawn, or superseded (approved too late to apply)."""

    KIND = EventKind.REQUEST_APPROVED
    KINDS = (
        EventKind.REQUEST_APPROVED,
        EventKind.REQUEST_REJECTED,
        EventKind.REQUEST_WITHDRAWN,
        EventKind.REQUEST_SUPERSEDED,
    )
    outcome: RequestStatus = field(metadata=FROM_KIND)
    action_id: int
    request_id: int
    actor_id: int
    comment: str | None
    transition: str
    body: str
    # Set when it closed without changing the action: how the action stayed.
    unchanged: Unchanged | None = field(default=None, metadata=in_payload(omit_default=True))

    def __post_init__(self) -> None:
        if self.outcome is RequestStatus.PENDING:
            raise ValueError("a pending request has not ended")

    @property
    def kind(self) -> EventKind:
        return EventKind(self.outcome.value)

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        return {"outcome": RequestStatus(kind.value)}
