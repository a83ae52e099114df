"""The events of an action's own story: added or imported, news of it, escalations, notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from improveflow.audit_events.base import (
    FROM_KIND,
    Event,
    column,
    in_payload,
    readable_enum,
    registered,
)
from improveflow.audit_events.kinds import NOTICE_PREFIX, EventKind
from improveflow.models import Rag


class EscalationCause(StrEnum):
    """Why an escalation was raised, as stored."""

    OVERDUE = "overdue"
    # Whatever rating the level names (`on_rag`), stored as "rag_red".
    RATED = "rag_red"
    # No news for a while: a prompt for an update (level 0), below the ladder.
    STALLED = "stalled"


readable_enum(Rag)
readable_enum(EscalationCause)


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ActionCreated(Event):
    """An action added to its plan by hand."""

    KIND = EventKind.ACTION_CREATED
    action_id: int
    actor_id: int | None
    state: str = field(metadata=column("to_state"))
    plan_id: int
    description: str


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ActionImported(Event):
    """An action read from its plan's file."""

    KIND = EventKind.ACTION_IMPORTED
    action_id: int
    state: str = field(metadata=column("to_state"))
    # The words of its progress that decided the state, as written.
    evidence: str | None = field(metadata=column("comment"))
    source: str | None  # where in the file: "plan.docx, table 2, row 5"
    plan_id: int


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ProgressRecorded(Event):
    """News of an action: from its owner (`actor_id`), or brought by a later import."""

    KIND = EventKind.PROGRESS_RECORDED
    action_id: int
    actor_id: int | None = None
    text: str = field(metadata=column("comment"))
    progress_id: int | None = field(default=None, metadata=in_payload(omit_default=True))
    rag: Rag | None = None
    source: str | None = field(default=None, metadata=in_payload(omit_default=True))
    imported: bool = field(default=False, metadata=in_payload(omit_default=True))

    def payload(self) -> dict[str, Any]:
        stored = Event.payload(self)  # not super(): slotted dataclasses are rebuilt classes
        if self.imported:
            # An update read from the plan's file never carried a rating.
            del stored["rag"]
        return stored


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class EscalationRaised(Event):
    """An action reached a level: a rung of the ladder (1 and up), or a prompt (level 0)."""

    KIND = EventKind.ESCALATION_RAISED
    action_id: int
    escalation_id: int
    level: int
    reason: EscalationCause


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class EscalationClosed(Event):
    """An open escalation closed, and why ("action complete", "progress recorded")."""

    KIND = EventKind.ESCALATION_CLOSED
    action_id: int
    escalation_id: int
    level: int
    why: str = field(metadata=column("comment"))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeQueued(Event):
    """The sweep decided someone is to be told something, and queued the notice."""

    KIND = EventKind.NOTICE_REMINDER
    KINDS = tuple(kind for kind in EventKind if kind.startswith(NOTICE_PREFIX))
    notice: str = field(metadata=FROM_KIND)  # the notice's kind: "reminder", "approval_chase"
    action_id: int | None = None
    request_id: int | None = None
    why: str = field(metadata=column("comment"))
    notice_id: int
    person_id: int
    key: str

    @property
    def kind(self) -> EventKind:
        return EventKind(NOTICE_PREFIX + self.notice)

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        return {"notice": kind.removeprefix(NOTICE_PREFIX)}
