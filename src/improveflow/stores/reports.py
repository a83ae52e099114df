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
from improveflow.models import (
    Action,
    ApprovalRequest,
    AuditEvent,
    Decision,
    Person,
    ReportSnapshot,
)
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


# The column itself, not max(): SQLite's aggregate would lose the column's type (and zone).
_LATEST = (
    sa.select(_snapshot.c.made_at)
    .where(_snapshot.c.plan_id == sa.bindparam("plan_id"))
    .where(_snapshot.c.made_at <= sa.bindparam("now"))
    .order_by(_snapshot.c.made_at.desc())
    .limit(1)
)


def latest_report_at(session: Session, plan_id: int, now: datetime) -> datetime | None:
    """When the plan's newest report up to `now` was made; None if it has none."""
    found: datetime | None = (
        session.connection().execute(_LATEST, {"plan_id": plan_id, "now": now}).scalar()
    )
    return found


@dataclass(frozen=True)
class LoggedChange:
    """An audit event of one of the plan's actions: a transition or a progress update."""

    action_id: int
    event: str
    from_state: str | None
    to_state: str | None
    comment: str | None
    data: str
    at: datetime


_CHANGES = (
    sa.select(
        _audit.c.action_id,
        _audit.c.event,
        _audit.c.from_state,
        _audit.c.to_state,
        _audit.c.comment,
        _audit.c.data,
        _audit.c.at,
    )
    .select_from(_audit.join(_action, _action.c.id == _audit.c.action_id))
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        _audit.c.event.in_(("transition", "progress")),
        _audit.c.at > sa.bindparam("since"),
        _audit.c.at <= sa.bindparam("until"),
    )
    .order_by(_audit.c.seq)
)


def changes_between(
    session: Session, plan_id: int, since: datetime, until: datetime
) -> list[LoggedChange]:
    """The plan's transitions and progress updates logged after `since`, up to `until`."""
    rows = session.connection().execute(
        _CHANGES, {"plan_id": plan_id, "since": since, "until": until}
    )
    return [LoggedChange(*row) for row in rows]


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
        _request.join(_action, _action.c.id == _request.c.action_id).outerjoin(
            _requester, _requester.c.id == _request.c.requester_id
        )
    )
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        _request.c.status.in_(("approved", "rejected")),
        _request.c.closed_at > sa.bindparam("since"),
        _request.c.closed_at <= sa.bindparam("until"),
    )
    .order_by(_request.c.closed_at, _request.c.id)
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


def decisions_between(
    session: Session, plan_id: int, since: datetime, until: datetime
) -> tuple[list[ClosedRequest], list[DecisionMade]]:
    """The plan's requests closed by a decision after `since` up to `until`, and their
    members' decisions, oldest first."""
    connection = session.connection()
    closed = [
        ClosedRequest(*row)
        for row in connection.execute(_CLOSED, {"plan_id": plan_id, "since": since, "until": until})
    ]
    if not closed:
        return [], []
    made = connection.execute(_DECISIONS, {"request_ids": [request.id for request in closed]})
    return closed, [DecisionMade(*row) for row in made]
