"""What queued emails speak of, as it is now: the actions (with their plan's workflow), their
escalations and the approval requests, read for the check dispatch runs before sending.

Read-only, on the caller's connection. Ids are read in chunks so a long queue stays within
every database's limit on bound parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from improveflow.models import Action, ApprovalRequest, Escalation, Plan
from improveflow.stores.tables import table_of

__all__ = ["ActionFacts", "EscalationFacts", "actions", "escalations", "request_statuses"]

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_ESCALATION = table_of(Escalation)
_REQUEST = table_of(ApprovalRequest)

_CHUNK = 500
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)


@dataclass(frozen=True)
class ActionFacts:
    """An action as it stands, with the workflow of its plan."""

    id: int
    state: str
    target_date: date | None
    heard_from_at: datetime | None
    workflow: str


@dataclass(frozen=True)
class EscalationFacts:
    """One escalation of an action: open while `closed_at` is None."""

    action_id: int
    level: int
    closed_at: datetime | None
    close_reason: str | None


_ACTIONS = (
    sa.select(
        _ACTION.c.id,
        _ACTION.c.state,
        _ACTION.c.target_date,
        _ACTION.c.heard_from_at,
        _PLAN.c.workflow,
    )
    .select_from(_ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id))
    .where(_ACTION.c.id.in_(_IDS))
)
_ESCALATIONS = (
    sa.select(
        _ESCALATION.c.action_id,
        _ESCALATION.c.level,
        _ESCALATION.c.closed_at,
        _ESCALATION.c.close_reason,
    )
    .where(_ESCALATION.c.action_id.in_(_IDS))
    .order_by(_ESCALATION.c.id)
)
_REQUEST_STATUSES = sa.select(_REQUEST.c.id, _REQUEST.c.status).where(_REQUEST.c.id.in_(_IDS))


def actions(connection: sa.Connection, ids: Collection[int]) -> list[ActionFacts]:
    """The actions `ids` that still exist."""
    return [
        ActionFacts(*row) for chunk in _chunks(ids) for row in connection.execute(_ACTIONS, chunk)
    ]


def escalations(connection: sa.Connection, action_ids: Collection[int]) -> list[EscalationFacts]:
    """Every escalation, open or closed, of the actions `action_ids`, oldest first per chunk."""
    return [
        EscalationFacts(*row)
        for chunk in _chunks(action_ids)
        for row in connection.execute(_ESCALATIONS, chunk)
    ]


def request_statuses(connection: sa.Connection, ids: Collection[int]) -> dict[int, str]:
    """The status of each approval request of `ids` that still exists."""
    return {
        int(request_id): str(status)
        for chunk in _chunks(ids)
        for request_id, status in connection.execute(_REQUEST_STATUSES, chunk)
    }


def _chunks(ids: Iterable[int]) -> Iterator[dict[str, list[int]]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield {"ids": ordered[start : start + _CHUNK]}
