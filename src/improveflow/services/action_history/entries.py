"""The entries of an action's history: one typed record per thing that happened to it.

Each entry is one logical change, however many audit events recorded it: an approved change of
target date is one `Changed` entry holding who asked, why, and who approved, not a request, a
decision, a state change and an approval. Pages build their sentences from these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from improveflow.models import Rag


class RequestOutcome(StrEnum):
    """How a request that changed nothing ended."""

    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # Approved, but by then the action had moved on, so it could not be applied.
    LAPSED = "lapsed"


class EscalationReason(StrEnum):
    OVERDUE = "overdue"
    # Stored as "rag_red" whatever rating the level names (`on_rag`); `Escalated.rating` says it.
    RATED = "rag_red"


@dataclass(frozen=True)
class Decided:
    """One member's verdict on a request."""

    by: str
    approved: bool
    comment: str | None = None
    deputy_for: str | None = None  # the absent member a deputy decided for


@dataclass(frozen=True)
class Ask:
    """A request for a change: who asked, why, and the decisions on it so far."""

    label: str  # what was asked, as the workflow words it: "change the target date"
    by: str | None
    at: datetime | None
    reason: str | None
    body: str  # the deciding body's title: "Cabinet"
    new_target_date: date | None
    quorum: int
    target_then: date | None = None  # the target date in force when it was asked
    decisions: tuple[Decided, ...] = ()

    @property
    def approvals(self) -> tuple[Decided, ...]:
        return tuple(d for d in self.decisions if d.approved)

    @property
    def rejections(self) -> tuple[Decided, ...]:
        return tuple(d for d in self.decisions if not d.approved)


@dataclass(frozen=True)
class Added:
    """The action was added to its plan by hand."""

    at: datetime
    by: str | None
    state: str  # labels, as the workflow words them, here and below
    kind: ClassVar[str] = "added"


@dataclass(frozen=True)
class Imported:
    """The action was read from the plan's file."""

    at: datetime
    source: str | None  # where in the file: "plan.docx, table 2, row 5"
    state: str
    evidence: str | None  # the words of its progress that decided the state, as written
    kind: ClassVar[str] = "imported"


@dataclass(frozen=True)
class CarriedForward:
    """The action was carried forward from last year's plan: its earlier history stays with
    the action it continues (`from_action_id`), named in `origin`."""

    at: datetime
    by: str | None
    state: str
    from_action_id: int
    origin: str  # "Annual Governance Statement 2025/26, action 17"
    kind: ClassVar[str] = "carried_forward"


@dataclass(frozen=True)
class ProgressRecorded:
    at: datetime
    by: str | None
    text: str
    rag: Rag | None  # when a rating was given with it
    source: str | None = None  # set when a later import of the plan's file brought it
    kind: ClassVar[str] = "progress"


@dataclass(frozen=True)
class Changed:
    """A change that took effect: a new state, a new target date, or both.

    `ask` is the request it came from (with who approved it); None when the workflow needed no
    approval, and then `by` made the change.
    """

    at: datetime
    label: str  # the transition, as the workflow words it: "defer the action"
    from_state: str
    to_state: str
    target_from: date | None
    target_to: date | None
    target_changed: bool
    by: str | None
    reason: str | None
    ask: Ask | None
    closed_levels: tuple[int, ...] = ()  # escalation levels this change closed
    kind: ClassVar[str] = "changed"

    @property
    def state_changed(self) -> bool:
        return self.from_state != self.to_state


@dataclass(frozen=True)
class Waiting:
    """A request not yet decided."""

    at: datetime
    ask: Ask
    kind: ClassVar[str] = "waiting"


@dataclass(frozen=True)
class RequestClosed:
    """A request that ended without changing the action."""

    at: datetime
    ask: Ask
    outcome: RequestOutcome
    by: str | None  # who rejected or withdrew it, or whose approval came too late
    kind: ClassVar[str] = "request_closed"


@dataclass(frozen=True)
class Escalated:
    """The action reached a level of the workflow's escalation ladder (levels start at 1)."""

    at: datetime
    level: int
    reason: EscalationReason
    target_date: date | None
    working_days_overdue: int  # on the day it was raised
    rating: str | None = None  # the RAG rating that raised it, when that was the reason
    kind: ClassVar[str] = "escalated"


@dataclass(frozen=True)
class EscalationClosed:
    """An escalation closed by something other than a change shown beside it."""

    at: datetime
    level: int
    kind: ClassVar[str] = "escalation_closed"


@dataclass(frozen=True)
class NoProgress:
    """Nobody gave news of the action for a long while, so a progress update was asked for.

    Not an escalation: it is no rung of the ladder, and shows no level.
    """

    at: datetime
    since: date | None  # London day of the last news before it: progress, import, creation
    kind: ClassVar[str] = "no_progress"


@dataclass(frozen=True)
class SignedOff:
    """A scrutiny committee signed the action off as implemented, as recorded from its minutes
    (`earlier`: the day of a sign-off this one corrected)."""

    at: datetime
    by: str | None  # who recorded it
    on: date
    minute: str | None
    earlier: date | None = None
    kind: ClassVar[str] = "signed_off"


HistoryEntry = (
    Added
    | Imported
    | CarriedForward
    | ProgressRecorded
    | Changed
    | Waiting
    | RequestClosed
    | Escalated
    | EscalationClosed
    | NoProgress
    | SignedOff
)
