"""The approval pages' read model: requests with their action and plan, the decisions on them,
and a request's own audit events.

Paged and filtered in SQL like the other read models; one statement reads a request with
everything its row shows, whatever its status.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.audit_events.kinds import EventKind
from improveflow.models import (
    Action,
    ApprovalRequest,
    AuditEvent,
    Decision,
    Person,
    Plan,
    RequestStatus,
    Verdict,
)
from improveflow.stores.audit import STORED_COLUMNS, StoredEvent, stored_event
from improveflow.stores.tables import table_of
from improveflow.stores.visibility import visible_to

_action = table_of(Action)
_plan = table_of(Plan)
_person = table_of(Person)
_request = table_of(ApprovalRequest)
_decision = table_of(Decision)
_event = table_of(AuditEvent)
_requester = _person.alias("requester")
_decider = _person.alias("decider")
_member = _person.alias("member")


@dataclass(frozen=True)
class RequestRow:
    """A request of any status with its action and plan, as the approval pages list it."""

    id: int
    action_id: int
    description: str
    plan_id: int
    plan: str
    workflow: str
    transition: str
    body: str
    quorum: int
    status: RequestStatus
    requester_id: int
    requester: str
    reason: str | None
    new_target_date: date | None
    created_at: datetime
    closed_at: datetime | None
    state: str
    target_date: date | None
    rag: str | None
    owner_id: int | None


@dataclass(frozen=True)
class DecisionView:
    person_id: int
    name: str
    on_behalf_of: str | None  # the member a deputy decided for
    verdict: Verdict
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class RequestEvent:
    """One audit event of a request, as stored, with its actor's name."""

    stored: StoredEvent
    by: str | None


_REQUEST_FROM = (
    _request.join(_action, _action.c.id == _request.c.action_id)
    .join(_plan, _plan.c.id == _action.c.plan_id)
    .join(_requester, _requester.c.id == _request.c.requester_id)
)
_REQUESTS = sa.select(
    _request.c.id,
    _request.c.action_id,
    _action.c.description,
    _plan.c.id,
    _plan.c.title,
    _plan.c.workflow,
    _request.c.transition,
    _request.c.body,
    _request.c.quorum,
    _request.c.status,
    _request.c.requester_id,
    _requester.c.name,
    _request.c.reason,
    _request.c.new_target_date,
    _request.c.created_at,
    _request.c.closed_at,
    _action.c.state,
    _action.c.target_date,
    _action.c.rag,
    _action.c.owner_id,
).select_from(_REQUEST_FROM)


def _row(columns: Sequence[Any]) -> RequestRow:
    """A row of `_REQUESTS`, its status read as the enum it is stored from."""
    found = RequestRow(*columns)
    return replace(found, status=RequestStatus(found.status))


def _pending_for(bodies: Collection[str], organisation: str | None) -> tuple[Any, ...]:
    return (
        _request.c.status == RequestStatus.PENDING.value,
        _request.c.body.in_(sorted(bodies)),
        visible_to(organisation),
    )


def count_pending(session: Session, bodies: Collection[str], organisation: str | None) -> int:
    """How many requests wait for one of `bodies`, on plans a person of `organisation` sees."""
    found = session.connection().execute(
        sa.select(sa.func.count())
        .select_from(_REQUEST_FROM)
        .where(*_pending_for(bodies, organisation))
    )
    return int(found.scalar_one())


def pending_page(
    session: Session,
    bodies: Collection[str],
    organisation: str | None,
    *,
    limit: int,
    offset: int,
) -> list[RequestRow]:
    """A page of the requests `count_pending` counts, oldest first."""
    rows = session.connection().execute(
        _REQUESTS.where(*_pending_for(bodies, organisation))
        .order_by(_request.c.created_at, _request.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_row(row) for row in rows]


def decided_by(session: Session, person_id: int, request_ids: Collection[int]) -> frozenset[int]:
    """Which of `request_ids` the person has already decided on."""
    if not request_ids:
        return frozenset()
    found = session.connection().execute(
        sa.select(_decision.c.request_id).where(
            _decision.c.person_id == person_id,
            _decision.c.request_id.in_(sorted(request_ids)),
        )
    )
    return frozenset(found.scalars())


def request_row(session: Session, request_id: int, organisation: str | None) -> RequestRow | None:
    """One request, whatever its status; None if missing or on a plan the person cannot see."""
    found = (
        session.connection()
        .execute(_REQUESTS.where(_request.c.id == request_id, visible_to(organisation)))
        .first()
    )
    return _row(found) if found is not None else None


_DECISIONS = (
    sa.select(
        _decision.c.person_id,
        _decider.c.name,
        _member.c.name,
        _decision.c.verdict,
        _decision.c.comment,
        _decision.c.decided_at,
    )
    .select_from(
        _decision.join(_decider, _decider.c.id == _decision.c.person_id).outerjoin(
            _member, _member.c.id == _decision.c.on_behalf_of_id
        )
    )
    .where(_decision.c.request_id == sa.bindparam("request_id"))
    .order_by(_decision.c.id)
)


def decisions_of(session: Session, request_id: int) -> tuple[DecisionView, ...]:
    """The decisions on a request so far, in the order they were made."""
    rows = session.connection().execute(_DECISIONS, {"request_id": request_id})
    return tuple(
        DecisionView(person, name, member, Verdict(verdict), comment, at)
        for person, name, member, verdict, comment, at in rows
    )


_REQUEST_EVENTS = (
    sa.select(*STORED_COLUMNS, _person.c.name)
    .select_from(_event.outerjoin(_person, _person.c.id == _event.c.actor_id))
    .where(
        _event.c.action_id == sa.bindparam("action_id"),
        _event.c.request_id == sa.bindparam("request_id"),
    )
    .order_by(_event.c.seq)
)
_TRANSITIONS_AFTER = (
    sa.select(*STORED_COLUMNS)
    .where(
        _event.c.action_id == sa.bindparam("action_id"),
        _event.c.event == EventKind.TRANSITION_APPLIED.value,
        _event.c.seq > sa.bindparam("after"),
    )
    .order_by(_event.c.seq)
)


def request_events(session: Session, action_id: int, request_id: int) -> list[RequestEvent]:
    """The request's audit events in order (the action's own index finds them quickly)."""
    rows = session.connection().execute(
        _REQUEST_EVENTS, {"action_id": action_id, "request_id": request_id}
    )
    return [RequestEvent(stored_event(row), row[len(STORED_COLUMNS)]) for row in rows]


def transitions_after(session: Session, action_id: int, seq: int) -> Iterator[StoredEvent]:
    """The action's transitions recorded after event `seq`, oldest first, read as needed."""
    rows = session.connection().execute(_TRANSITIONS_AFTER, {"action_id": action_id, "after": seq})
    return (stored_event(row) for row in rows)
