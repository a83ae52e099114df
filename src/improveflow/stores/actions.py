"""Actions and their progress updates; changes to an action are compare-and-swap on its
version, so two writers never both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from improveflow import exceptions
from improveflow.models import (
    Action,
    Plan,
    ProgressUpdate,
)
from improveflow.stores.tables import table_of


def action_by_id(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise exceptions.NotFound(f"No action with id {action_id}")
    return action


def progress_count(session: Session, action_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id)
    ).one()


def latest_progress(session: Session, action_id: int) -> ProgressUpdate | None:
    return session.exec(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id)
        .order_by(col(ProgressUpdate.created_at).desc(), col(ProgressUpdate.id).desc())
    ).first()


def update_if_unchanged(session: Session, action: Action, values: dict[str, object]) -> bool:
    """Compare-and-swap on the version: False when someone else changed the action first."""
    assert action.id is not None
    result = session.execute(
        sa.update(Action)
        .where(col(Action.id) == action.id, col(Action.version) == action.version)
        .values(version=action.version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(action)
    return True


_action = table_of(Action)
_plan = table_of(Plan)


@dataclass(frozen=True)
class ActionState:
    """An action as the workflow sees it, with its plan's approval settings."""

    id: int
    plan_id: int
    state: str
    version: int
    owner_id: int | None
    target_date: date | None
    workflow: str
    plan_kind: str
    approval_overrides: dict[str, str]
    progress_updates: int | None = None  # None when not counted


_ACTION_COLUMNS = (
    _action.c.id,
    _action.c.plan_id,
    _action.c.state,
    _action.c.version,
    _action.c.owner_id,
    _action.c.target_date,
    _plan.c.workflow,
    _plan.c.kind,
    _plan.c.approval_overrides,
)
_ACTION_STATE = (
    sa.select(*_ACTION_COLUMNS)
    .select_from(_action.join(_plan, _plan.c.id == _action.c.plan_id))
    .where(_action.c.id == sa.bindparam("action_id"))
)


def action_state(session: Session, action_id: int) -> ActionState:
    """The action's workflow state (progress updates not counted: see `progress_count`)."""
    row = session.connection().execute(_ACTION_STATE, {"action_id": action_id}).first()
    if row is None:
        raise exceptions.NotFound(f"No action with id {action_id}")
    return ActionState(*row)


_MOVE_ACTION = (
    sa.update(_action)
    .where(_action.c.id == sa.bindparam("action_id"), _action.c.version == sa.bindparam("seen"))
    .values(
        version=sa.bindparam("seen") + 1,
        state=sa.bindparam("new_state"),
        target_date=sa.func.coalesce(
            sa.bindparam("new_target", type_=sa.Date), _action.c.target_date
        ),
        updated_at=sa.bindparam("moved_at", type_=_action.c.updated_at.type),
    )
)


def move_if_unchanged(
    session: Session, seen: ActionState, state: str, at: datetime, target_date: date | None
) -> bool:
    """Compare-and-swap on the version: False when someone else changed the action first."""
    result = session.connection().execute(
        _MOVE_ACTION,
        {
            "action_id": seen.id,
            "seen": seen.version,
            "new_state": state,
            "new_target": target_date,
            "moved_at": at,
        },
    )
    return bool(result.rowcount == 1)
