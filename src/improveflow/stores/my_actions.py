"""What "My actions" reads: the actions some people own, with any request pending on each.

One query joins each action to its plan (for the workflow that judges it) and to its pending
request, if any; only plans the reader may see count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, ApprovalRequest, Plan, RequestStatus
from improveflow.stores.rollover import NOT_CARRIED_ON
from improveflow.stores.tables import table_of
from improveflow.stores.visibility import visible_to

_action = table_of(Action)
_plan = table_of(Plan)
_request = table_of(ApprovalRequest)


@dataclass(frozen=True)
class PendingRequest:
    """The request pending on an action: the change it asks for, the body deciding it."""

    transition: str
    body: str
    requester_id: int
    requested_at: datetime


@dataclass(frozen=True)
class OwnedAction:
    id: int
    description: str
    state: str
    target_date: date | None
    owner_id: int
    heard_from_at: datetime | None  # the owner's last news (or the action's creation)
    plan: str  # the plan's title
    workflow: str  # the plan's workflow
    pending: PendingRequest | None


_COLUMNS = (
    _action.c.id,
    _action.c.description,
    _action.c.state,
    _action.c.target_date,
    _action.c.owner_id,
    _action.c.heard_from_at,
    _plan.c.title,
    _plan.c.workflow,
    _request.c.transition,
    _request.c.body,
    _request.c.requester_id,
    _request.c.created_at,
)
_PENDING = sa.and_(_request.c.action_id == _action.c.id, _request.c.status == RequestStatus.PENDING)
_OWNED: sa.Select[Any] = sa.select(*_COLUMNS).select_from(
    _action.join(_plan, _plan.c.id == _action.c.plan_id).outerjoin(_request, _PENDING)
)


def owned_actions(
    session: Session, owner_ids: list[int], organisation: str | None
) -> list[OwnedAction]:
    """Every action these people own in plans a person of `organisation` may see, any state."""
    query = _OWNED.where(
        _action.c.owner_id.in_(owner_ids), visible_to(organisation), NOT_CARRIED_ON
    )
    return [_owned(row) for row in session.connection().execute(query)]


def _owned(row: sa.Row[Any]) -> OwnedAction:
    pending = None
    if row.transition is not None:
        pending = PendingRequest(row.transition, row.body, row.requester_id, row.created_at)
    return OwnedAction(
        row.id,
        row.description,
        row.state,
        row.target_date,
        row.owner_id,
        row.heard_from_at,
        plan=row.title,
        workflow=row.workflow,
        pending=pending,
    )


_STATES_OWNED = sa.select(_plan.c.workflow, _action.c.state).select_from(
    _action.join(_plan, _plan.c.id == _action.c.plan_id)
)


def states_owned(
    session: Session, owner_ids: list[int], organisation: str | None
) -> Iterator[tuple[str, str]]:
    """The distinct (workflow, state) pairs of these people's actions in plans one may see.

    They are few whatever the number of actions, and come as the database finds them: a
    caller asking whether any is still open stops at the first, before the scan ends.
    """
    query = _STATES_OWNED.where(
        _action.c.owner_id.in_(owner_ids), visible_to(organisation), NOT_CARRIED_ON
    ).distinct()
    yield from session.connection().execute(query)
