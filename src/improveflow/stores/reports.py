"""Report snapshots, and what a report reads beyond the plan's table: the changes and decisions
since the previous report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from improveflow import exceptions
from improveflow.audit_events import EventKind
from improveflow.models import (
    Action,
    ApprovalRequest,
    AuditEvent,
    Decision,
    Person,
    ReportSnapshot,
)
from improveflow.stores.audit import STORED_COLUMNS, StoredEvent, stored_event
from improveflow.stores.tables import table_of

_snapshot = table_of(ReportSnapshot)
_action = table_of(Action)
_audit = table_of(AuditEvent)
_request = table_of(ApprovalRequest)
_decision = table_of(Decision)
_person = table_of(Person)


def add_snapshot(session: Session, values: dict[str, Any]) -> int:
    """Store a snapshot (every column but id); its id."""
    found = session.connection().execute(
        sa.insert(_snapshot).values(**values).returning(_snapshot.c.id)
    )
    return int(found.scalar_one())


def set_model(session: Session, snapshot_id: int, model: str) -> None:
    """Store the snapshot's model, once its id (which the model names) is known."""
    session.connection().execute(
        sa.update(_snapshot).where(_snapshot.c.id == snapshot_id).values(model=model)
    )


def snapshot_by_id(session: Session, snapshot_id: int) -> ReportSnapshot:
    found = session.get(ReportSnapshot, snapshot_id)
    if found is None:
        raise exceptions.NotFound(f"No report snapshot {snapshot_id}")
    return found


@dataclass(frozen=True)
class SnapshotEntry:
    id: int
    made_at: datetime
    checkpoint_seq: int
    pack: str  # what it was made for: "committee" or "progress-review"


_SNAPSHOTS = (
    sa.select(_snapshot.c.id, _snapshot.c.made_at, _snapshot.c.checkpoint_seq, _snapshot.c.pack)
    .where(_snapshot.c.plan_id == sa.bindparam("plan_id"))
    .order_by(_snapshot.c.id)
)


def snapshots_of(session: Session, plan_id: int) -> list[SnapshotEntry]:
    """The plan's stored reports, oldest first (without their models)."""
    rows = session.connection().execute(_SNAPSHOTS, {"plan_id": plan_id})
    return [SnapshotEntry(*row) for row in rows]


@dataclass(frozen=True)
class LastReport:
    id: int
    made_at: datetime
    checkpoint_seq: int  # the audit event it was made at: changes are counted after it
    model: str  # its model's JSON: how each action stood then


_LAST_COMMITTEE = (
    sa.select(_snapshot.c.id, _snapshot.c.made_at, _snapshot.c.checkpoint_seq, _snapshot.c.model)
    .where(
        _snapshot.c.plan_id == sa.bindparam("plan_id"),
        _snapshot.c.pack == sa.bindparam("pack"),
        _snapshot.c.made_at < sa.bindparam("before"),
    )
    .order_by(_snapshot.c.checkpoint_seq.desc(), _snapshot.c.id.desc())
    .limit(1)
)


def last_report_before(
    session: Session, plan_id: int, pack: str, before: datetime
) -> LastReport | None:
    """The plan's newest snapshot made for `pack` before the moment `before`; None if none."""
    found = (
        session.connection()
        .execute(_LAST_COMMITTEE, {"plan_id": plan_id, "pack": pack, "before": before})
        .first()
    )
    return LastReport(*found) if found else None


_PROGRESS_BEFORE = (
    sa.select(*STORED_COLUMNS)
    .select_from(_audit.join(_action, _action.c.id == _audit.c.action_id))
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        _audit.c.event == EventKind.PROGRESS_RECORDED.value,
        _audit.c.at < sa.bindparam("before"),
    )
    .order_by(_audit.c.seq)
)


def progress_before(session: Session, plan_id: int, before: datetime) -> list[StoredEvent]:
    """The plan's progress updates logged before `before`, oldest first."""
    rows = session.connection().execute(_PROGRESS_BEFORE, {"plan_id": plan_id, "before": before})
    return [stored_event(row) for row in rows]


_CHANGES = (
    sa.select(*STORED_COLUMNS)
    .select_from(_audit.join(_action, _action.c.id == _audit.c.action_id))
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        _audit.c.event.in_((EventKind.TRANSITION_APPLIED.value, EventKind.PROGRESS_RECORDED.value)),
        _audit.c.seq > sa.bindparam("after_seq"),
        _audit.c.seq <= sa.bindparam("until_seq"),
        _audit.c.at >= sa.bindparam("since"),
    )
    .order_by(_audit.c.seq)
)


@dataclass(frozen=True)
class Window:
    """The audit events a report counts: after one event up to another (the log's head when
    it is made), and from a moment on (for a report asked for since a day)."""

    after_seq: int
    until_seq: int
    since: datetime

    def params(self, plan_id: int) -> dict[str, Any]:
        return {
            "plan_id": plan_id,
            "after_seq": self.after_seq,
            "until_seq": self.until_seq,
            "since": self.since,
        }


def changes_in(session: Session, plan_id: int, window: Window) -> list[StoredEvent]:
    """The plan's transitions and progress updates logged in the window, oldest first."""
    rows = session.connection().execute(_CHANGES, window.params(plan_id))
    return [stored_event(row) for row in rows]


@dataclass(frozen=True)
class ClosedRequest:
    """A request the plan's bodies decided: approved or rejected."""

    id: int
    action_id: int
    action_reference: str | None
    action: str
    transition: str
    new_target_date: date | None
    requester: str | None
    reason: str | None
    body: str
    status: str
    closed_at: datetime


@dataclass(frozen=True)
class DecisionMade:
    request_id: int
    by: str | None
    on_behalf_of: str | None
    verdict: str
    comment: str | None
    at: datetime


_requester = aliased(_person)
_CLOSED = (
    sa.select(
        _request.c.id,
        _request.c.action_id,
        _action.c.reference,
        _action.c.description,
        _request.c.transition,
        _request.c.new_target_date,
        _requester.c.name,
        _request.c.reason,
        _request.c.body,
        _request.c.status,
        _request.c.closed_at,
    )
    .select_from(
        _request.join(_action, _action.c.id == _request.c.action_id)
        .join(_audit, _audit.c.request_id == _request.c.id)
        .outerjoin(_requester, _requester.c.id == _request.c.requester_id)
    )
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        # The event that closed the request by a decision, in the window.
        _audit.c.event.in_(("approved", "rejected")),
        _audit.c.seq > sa.bindparam("after_seq"),
        _audit.c.seq <= sa.bindparam("until_seq"),
        _audit.c.at >= sa.bindparam("since"),
    )
    .order_by(_audit.c.seq)
)
_decider = aliased(_person)
_deputised = aliased(_person)
_DECISIONS = (
    sa.select(
        _decision.c.request_id,
        _decider.c.name,
        _deputised.c.name,
        _decision.c.verdict,
        _decision.c.comment,
        _decision.c.decided_at,
    )
    .select_from(
        _decision.outerjoin(_decider, _decider.c.id == _decision.c.person_id).outerjoin(
            _deputised, _deputised.c.id == _decision.c.on_behalf_of_id
        )
    )
    .where(_decision.c.request_id.in_(sa.bindparam("request_ids", expanding=True)))
    .order_by(_decision.c.decided_at, _decision.c.id)
)


def decisions_in(
    session: Session, plan_id: int, window: Window
) -> tuple[list[ClosedRequest], list[DecisionMade]]:
    """The plan's requests closed by a decision in the window, and their members'
    decisions, oldest first."""
    connection = session.connection()
    closed = [ClosedRequest(*row) for row in connection.execute(_CLOSED, window.params(plan_id))]
    if not closed:
        return [], []
    made = connection.execute(_DECISIONS, {"request_ids": [request.id for request in closed]})
    return closed, [DecisionMade(*row) for row in made]
