"""Notices: one thing to tell one person, decided once, bundled into emails later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from improveflow.models import (
    Action,
    ApprovalRequest,
    Decision,
    Membership,
    Notice,
    Plan,
    RequestStatus,
)
from improveflow.services.organisations import people_of
from improveflow.stores import outbox
from improveflow.stores.tables import table_of

_NOTICE = table_of(Notice)
_MEMBERSHIP = table_of(Membership)
_REQUEST = table_of(ApprovalRequest)
_DECISION = table_of(Decision)
_ACTION = table_of(Action)
_PLAN = table_of(Plan)

REMINDER = "reminder"
PROGRESS_PROMPT = "progress_prompt"
ESCALATION = "escalation"
# No progress update for a while: told as what it is, never as an escalation or a slip.
NO_PROGRESS = "no_progress"
APPROVAL_NEEDED = "approval_needed"
APPROVAL_REMINDER = "approval_reminder"
APPROVAL_CHASE = "approval_chase"
DECISION = "decision"

# Kinds merged into one email per person (a digest); the others get an email each.
BUNDLED_KINDS = (REMINDER, PROGRESS_PROMPT, ESCALATION, NO_PROGRESS)


def add(
    session: Session,
    *,
    key: str,
    kind: str,
    person_id: int,
    due_at: datetime,
    now: datetime,
    action_id: int | None = None,
    request_id: int | None = None,
    escalation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int | None:
    """Record a notice unless one with the same key exists; its id, or None if not new."""
    return outbox.add_notice(
        session,
        {
            "idempotency_key": key,
            "kind": kind,
            "person_id": person_id,
            "action_id": action_id,
            "request_id": request_id,
            "escalation_id": escalation_id,
            "data": data or {},
            "due_at": due_at,
            "created_at": now,
        },
    )


# Here rather than in stores.outbox while `people_of`, the rule of who belongs with a plan, is a
# service's: a store must not import services.
def _tell_members_statement(dialect: str) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    action_id = sa.bindparam("action_id", type_=sa.Integer)
    organisation = (
        sa.select(_PLAN.c.organisation)
        .select_from(_ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id))
        .where(_ACTION.c.id == action_id)
        .scalar_subquery()
    )
    return (
        insert(_NOTICE)
        .from_select(
            [
                "idempotency_key",
                "kind",
                "person_id",
                "action_id",
                "request_id",
                "data",
                "due_at",
                "created_at",
            ],
            sa.select(
                sa.literal(f"{APPROVAL_NEEDED}:")
                + sa.cast(sa.bindparam("request_id", type_=sa.Integer), sa.String)
                + sa.literal(":")
                + sa.cast(_MEMBERSHIP.c.person_id, sa.String),
                sa.literal(APPROVAL_NEEDED),
                _MEMBERSHIP.c.person_id,
                action_id,
                sa.bindparam("request_id", type_=sa.Integer),
                sa.literal({}, type_=_NOTICE.c.data.type),
                sa.bindparam("due_at", type_=_NOTICE.c.due_at.type),
                sa.bindparam("created_at", type_=_NOTICE.c.created_at.type),
            ).where(
                _MEMBERSHIP.c.body == sa.bindparam("body"),
                _MEMBERSHIP.c.person_id != sa.bindparam("requester_id", type_=sa.Integer),
                # Members of the body in the plan's council (or of none): never another's.
                people_of(organisation, _MEMBERSHIP.c.person_id),
            ),
        )
        .on_conflict_do_nothing()
    )


_TELL_MEMBERS = {name: _tell_members_statement(name) for name in ("sqlite", "postgresql")}


def tell_members(
    session: Session,
    *,
    body: str,
    request_id: int,
    action_id: int,
    requester_id: int,
    now: datetime,
) -> None:
    """An approval_needed notice for every member of `body` but the requester, in one statement.

    Only members who belong with the action's plan are told (`organisations.people_of`).
    """
    connection = session.connection()
    connection.execute(
        _TELL_MEMBERS[connection.dialect.name],
        {
            "body": body,
            "request_id": request_id,
            "action_id": action_id,
            "requester_id": requester_id,
            "due_at": now,
            "created_at": now,
        },
    )


_REQUEST_FACTS = (
    _REQUEST.c.id,
    _REQUEST.c.body,
    _REQUEST.c.action_id,
    _REQUEST.c.requester_id,
    _REQUEST.c.status,
)
_UNTOLD_MEMBERS = sa.select(*_REQUEST_FACTS).where(_REQUEST.c.members_told_at.is_(None))
_UNTOLD_REQUESTER = sa.select(*_REQUEST_FACTS).where(
    _REQUEST.c.requester_told_at.is_(None), _REQUEST.c.status != RequestStatus.PENDING
)


def from_requests(session: Session, now: datetime) -> int:
    """Notices for requests opened or decided since the last call; returns how many requests.

    Members of the body hear of each new request (unless it was decided before they could);
    the requester hears of each decision (not of their own withdrawal).
    """
    connection = session.connection()
    locking = connection.dialect.name == "postgresql"
    members_query = (
        _UNTOLD_MEMBERS.with_for_update(skip_locked=True) if locking else _UNTOLD_MEMBERS
    )
    told: list[int] = []
    for request in connection.execute(members_query).all():
        if request.status == RequestStatus.PENDING:
            tell_members(
                session,
                body=request.body,
                request_id=request.id,
                action_id=request.action_id,
                requester_id=request.requester_id,
                now=now,
            )
        told.append(request.id)
    _mark(session, "members_told_at", told, now)
    requester_query = (
        _UNTOLD_REQUESTER.with_for_update(skip_locked=True) if locking else _UNTOLD_REQUESTER
    )
    decided: list[int] = []
    for closed in connection.execute(requester_query).all():
        decided.append(closed.id)
        if closed.status == RequestStatus.WITHDRAWN:
            continue
        last = connection.execute(
            sa.select(_DECISION.c.person_id, _DECISION.c.comment)
            .where(_DECISION.c.request_id == closed.id)
            .order_by(_DECISION.c.id.desc())
            .limit(1)
        ).first()
        add(
            session,
            key=f"{DECISION}:{closed.id}",
            kind=DECISION,
            person_id=closed.requester_id,
            request_id=closed.id,
            action_id=closed.action_id,
            data={
                "status": closed.status,
                "decider_id": last.person_id if last else None,
                "comment": last.comment if last else None,
            },
            due_at=now,
            now=now,
        )
    _mark(session, "requester_told_at", decided, now)
    return len(told) + len(decided)


def _mark(session: Session, column: str, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), 500):
        session.connection().execute(
            sa.update(_REQUEST)
            .where(_REQUEST.c.id.in_(ids[start : start + 500]))
            .values({column: now})
        )
