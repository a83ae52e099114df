"""What the command line and scripts list: actions with their outline, an action's audit
events, approval requests and escalations, each read with the names it is shown with.

Actions are read a page at a time after the last id seen, so a listing of a large plan never
holds it all; the other listings are short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import exceptions
from improveflow.models import (
    Action,
    ApprovalRequest,
    AuditEvent,
    Escalation,
    Objective,
    Person,
    Plan,
    Theme,
)
from improveflow.stores.audit import STORED_COLUMNS, StoredEvent, stored_event
from improveflow.stores.tables import table_of

_action = table_of(Action)
_plan = table_of(Plan)
_theme = table_of(Theme)
_objective = table_of(Objective)
_person = table_of(Person)
_audit = table_of(AuditEvent)
_request = table_of(ApprovalRequest)
_escalation = table_of(Escalation)


@dataclass(frozen=True)
class ListedAction:
    """An action with its plan, theme, objective and owner."""

    id: int
    plan_id: int
    plan: str
    theme: str
    objective_ref: str | None
    objective: str
    reference: str | None
    description: str
    lead_text: str | None
    owner_email: str | None
    owner_name: str | None
    timescale_raw: str | None
    start_date: date | None
    target_date: date | None
    milestones: list[dict[str, str | None]]
    recurrence: str | None
    state: str
    rag: str | None
    needs_review: list[str]
    body_hint: list[str]
    source: str | None
    version: int
    original_target_date: date | None = None  # the first target, when the plan revised it
    # The date ledger an action carried forward from last year's plan brought with it.
    carried_first: date | None = None
    carried_changes: int = 0


_ACTIONS: sa.Select[Any] = (
    sa.select(
        _action.c.id,
        _action.c.plan_id,
        _plan.c.title,
        _theme.c.title,
        _objective.c.reference,
        _objective.c.text,
        _action.c.reference,
        _action.c.description,
        _action.c.lead_text,
        _person.c.email,
        _person.c.name,
        _action.c.timescale_raw,
        _action.c.start_date,
        _action.c.target_date,
        _action.c.milestones,
        _action.c.recurrence,
        _action.c.state,
        _action.c.rag,
        _action.c.needs_review,
        _action.c.body_hint,
        _action.c.source,
        _action.c.version,
        _action.c.original_target_date,
        _action.c.carried_first_target,
        _action.c.carried_date_changes,
    )
    .select_from(
        _action.join(_plan, _plan.c.id == _action.c.plan_id)
        .join(_objective, _objective.c.id == _action.c.objective_id)
        .join(_theme, _theme.c.id == _objective.c.theme_id)
        .outerjoin(_person, _person.c.id == _action.c.owner_id)
    )
    .order_by(_action.c.id)
)


def actions_after(
    session: Session,
    after_id: int,
    size: int,
    *,
    plan_id: int | None = None,
    state: str | None = None,
    owner_id: int | None = None,
) -> list[ListedAction]:
    """Up to `size` actions after the action `after_id`, in creation order."""
    query = _ACTIONS.where(_action.c.id > after_id)
    if plan_id is not None:
        query = query.where(_action.c.plan_id == plan_id)
    if state is not None:
        query = query.where(_action.c.state == state)
    if owner_id is not None:
        query = query.where(_action.c.owner_id == owner_id)
    return [ListedAction(*row) for row in session.connection().execute(query.limit(size))]


def listed_action(session: Session, action_id: int) -> ListedAction:
    row = session.connection().execute(_ACTIONS.where(_action.c.id == action_id)).first()
    if row is None:
        raise exceptions.NotFound(f"No action with id {action_id}")
    return ListedAction(*row)


@dataclass(frozen=True)
class AuditEntry:
    """One audit event about an action, as stored, with its actor's name."""

    stored: StoredEvent
    actor: str | None


_EVENTS_OF = (
    sa.select(*STORED_COLUMNS, _person.c.name)
    .select_from(_audit.outerjoin(_person, _person.c.id == _audit.c.actor_id))
    .where(_audit.c.action_id == sa.bindparam("action_id"))
    .order_by(_audit.c.seq)
)


def audit_events_of(session: Session, action_id: int) -> list[AuditEntry]:
    """The action's audit events, oldest first."""
    rows = session.connection().execute(_EVENTS_OF, {"action_id": action_id})
    return [AuditEntry(stored_event(row), row[len(STORED_COLUMNS)]) for row in rows]


@dataclass(frozen=True)
class ListedRequest:
    """An approval request with its requester's name."""

    id: int
    action_id: int
    transition: str
    status: str
    body: str
    quorum: int
    requested_by: str | None
    requested_at: datetime
    reason: str | None
    new_target_date: date | None


_REQUESTS: sa.Select[Any] = (
    sa.select(
        _request.c.id,
        _request.c.action_id,
        _request.c.transition,
        _request.c.status,
        _request.c.body,
        _request.c.quorum,
        _person.c.name,
        _request.c.created_at,
        _request.c.reason,
        _request.c.new_target_date,
    )
    .select_from(_request.outerjoin(_person, _person.c.id == _request.c.requester_id))
    .order_by(_request.c.id)
)


def approval_requests(
    session: Session, *, body: str | None = None, status: str | None = None
) -> list[ListedRequest]:
    """Approval requests to `body` with `status` (any when None), oldest first."""
    query = _REQUESTS
    if body is not None:
        query = query.where(_request.c.body == body)
    if status is not None:
        query = query.where(_request.c.status == status)
    return [ListedRequest(*row) for row in session.connection().execute(query)]


@dataclass(frozen=True)
class ListedEscalation:
    """An escalation with the action it is about, its plan and its owner."""

    id: int
    action_id: int
    level: int
    reason: str
    target_date: date | None
    raised_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    description: str
    plan_id: int
    plan: str
    owner_email: str | None


_ESCALATIONS = (
    sa.select(
        _escalation.c.id,
        _escalation.c.action_id,
        _escalation.c.level,
        _escalation.c.reason,
        _escalation.c.target_date,
        _escalation.c.raised_at,
        _escalation.c.closed_at,
        _escalation.c.close_reason,
        _action.c.description,
        _action.c.plan_id,
        _plan.c.title,
        _person.c.email,
    )
    .select_from(
        _escalation.join(_action, _action.c.id == _escalation.c.action_id)
        .join(_plan, _plan.c.id == _action.c.plan_id)
        .outerjoin(_person, _person.c.id == _action.c.owner_id)
    )
    .order_by(_escalation.c.level.desc(), _escalation.c.raised_at, _escalation.c.id)
)


def escalations(
    session: Session,
    *,
    plan_id: int | None = None,
    level: int | None = None,
    open_only: bool = True,
) -> list[ListedEscalation]:
    """Escalations, highest level and oldest first."""
    query: sa.Select[Any] = _ESCALATIONS
    if open_only:
        query = query.where(_escalation.c.closed_at.is_(None))
    if plan_id is not None:
        query = query.where(_action.c.plan_id == plan_id)
    if level is not None:
        query = query.where(_escalation.c.level == level)
    return [ListedEscalation(*row) for row in session.connection().execute(query)]
