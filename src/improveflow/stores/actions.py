"""Actions and their progress updates; changes to an action are compare-and-swap on its
version, so two writers never both win.

Progress updates are read for many actions in one query: a window function ranks each
action's updates in SQL, so no action's whole history is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.models import (
    Action,
    Person,
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


# Progress updates -------------------------------------------------------------------------------


_progress = table_of(ProgressUpdate)
_person = table_of(Person)


@dataclass(frozen=True)
class ProgressItem:
    text: str
    rag: str | None
    at: datetime
    author: str | None

    @property
    def day(self) -> date:
        """The day it was written, in London."""
        return as_london(self.at).date()


_RANKED = (
    sa.select(
        _progress.c.action_id,
        _progress.c.text,
        _progress.c.rag,
        _progress.c.created_at,
        _progress.c.author_id,
        sa.func.row_number()
        .over(
            partition_by=_progress.c.action_id,
            order_by=(_progress.c.created_at.desc(), _progress.c.id.desc()),
        )
        .label("rank"),
    )
    .where(_progress.c.action_id.in_(sa.bindparam("action_ids", expanding=True)))
    .subquery()
)
# Built once: the tables and queues that read it ask for a page of actions at a time.
_RECENT_PROGRESS = (
    sa.select(
        _RANKED.c.action_id, _RANKED.c.text, _RANKED.c.rag, _RANKED.c.created_at, _person.c.name
    )
    .select_from(_RANKED.outerjoin(_person, _person.c.id == _RANKED.c.author_id))
    .where(_RANKED.c.rank <= sa.bindparam("per_action"))
    .order_by(_RANKED.c.action_id, _RANKED.c.rank)
)


def recent_progress(
    session: Session, action_ids: Sequence[int], per_action: int
) -> dict[int, list[ProgressItem]]:
    """The newest `per_action` progress updates of each action, newest first."""
    if not action_ids:
        return {}
    rows = session.connection().execute(
        _RECENT_PROGRESS,
        {"action_ids": sorted(set(action_ids)), "per_action": per_action},
    )
    found: dict[int, list[ProgressItem]] = {}
    for action_id, text, rag, at, author in rows:
        found.setdefault(action_id, []).append(ProgressItem(text, rag, at, author))
    return found


_INSERT_PROGRESS = sa.insert(_progress)


def add_progress(
    session: Session, action_id: int, text: str, rag: str | None, author_id: int, at: datetime
) -> int:
    """Record a progress update; its id."""
    result = session.connection().execute(
        _INSERT_PROGRESS,
        {
            "action_id": action_id,
            "text": text,
            "rag": rag,
            "author_id": author_id,
            "created_at": at,
        },
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
