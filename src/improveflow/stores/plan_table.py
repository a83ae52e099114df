"""The plan's table: its actions, filtered, a page at a time, and what an export adds to them.

Rows come in the plan's own order (actions are stored theme by theme, objective by objective)
with each action's latest progress update. A page reads one more row than it shows to know
whether there is a next; an export reads rows after the last id it has, so no query loads
every action of a plan. For an export, the audit log's approved changes give the reasons
behind each row's dates and state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.audit_events.kinds import EventKind
from improveflow.models import Action, AuditEvent, Objective, Person, Theme
from improveflow.stores.actions import ProgressItem, recent_progress
from improveflow.stores.audit import STORED_COLUMNS, StoredEvent, stored_event
from improveflow.stores.tables import table_of

_action = table_of(Action)
_theme = table_of(Theme)
_objective = table_of(Objective)
_person = table_of(Person)
_audit = table_of(AuditEvent)


@dataclass(frozen=True)
class TableFilter:
    theme_id: int | None = None
    state: str | None = None
    rag: str | None = None  # "none": actions not rated
    text: str | None = None  # in the description or the lead, any case

    @property
    def active(self) -> bool:
        return any(v not in (None, "") for v in (self.theme_id, self.state, self.rag, self.text))


def _conditions(filters: TableFilter) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if filters.theme_id is not None:
        found.append(_theme.c.id == filters.theme_id)
    if filters.state:
        found.append(_action.c.state == filters.state)
    if filters.rag == "none":
        found.append(_action.c.rag.is_(None))
    elif filters.rag:
        found.append(_action.c.rag == filters.rag)
    if filters.text:
        # Escaped, so a % or _ typed in the box matches itself.
        pattern = "%" + filters.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
        pattern = pattern.replace("_", "\\_") + "%"
        found.append(
            sa.or_(
                sa.func.lower(_action.c.description).like(pattern, escape="\\"),
                sa.func.lower(sa.func.coalesce(_action.c.lead_text, "")).like(pattern, escape="\\"),
            )
        )
    return found


@dataclass(frozen=True)
class TableRow:
    id: int
    theme: str
    objective_ref: str | None
    objective: str
    reference: str | None
    description: str
    lead: str | None  # as the plan wrote it: a name, a job title, a team
    owner: str | None  # the person it was matched to
    timescale: str | None
    target_date: date | None
    state: str
    rag: str | None
    owner_email: str | None = None
    original_target_date: date | None = None  # the first target, when the plan revised it
    priority: str | None = None  # as written: "High", "Urgent"
    status_text: str | None = None  # as written: "Implemented", "Not started"
    # The date ledger an action carried forward from last year's plan brought with it.
    carried_first: date | None = None
    carried_changes: int = 0
    carried_from: int | None = None  # last year's action, for a carried one
    progress: ProgressItem | None = None


_TABLE = (
    sa.select(
        _action.c.id,
        _theme.c.title,
        _objective.c.reference,
        _objective.c.text,
        _action.c.reference,
        _action.c.description,
        _action.c.lead_text,
        _person.c.name,
        _action.c.timescale_raw,
        _action.c.target_date,
        _action.c.state,
        _action.c.rag,
        _person.c.email,
        _action.c.original_target_date,
        _action.c.priority,
        _action.c.status_text,
        _action.c.carried_first_target,
        _action.c.carried_date_changes,
        _action.c.carried_from_id,
    )
    .select_from(
        _action.join(_objective, _objective.c.id == _action.c.objective_id)
        .join(_theme, _theme.c.id == _objective.c.theme_id)
        .outerjoin(_person, _person.c.id == _action.c.owner_id)
    )
    .order_by(_action.c.id)
)


def _rows(session: Session, query: sa.Select[Any]) -> list[TableRow]:
    rows = [TableRow(*row) for row in session.connection().execute(query)]
    progress = recent_progress(session, [row.id for row in rows], 1)
    return [
        replace(row, progress=progress[row.id][0]) if row.id in progress else row for row in rows
    ]


def table_page(
    session: Session, plan_id: int, filters: TableFilter, page: int, size: int
) -> tuple[list[TableRow], bool]:
    """One page of the plan's table (1-based), and whether there is a next one."""
    query = (
        _TABLE.where(_action.c.plan_id == plan_id, *_conditions(filters))
        .limit(size + 1)
        .offset((max(page, 1) - 1) * size)
    )
    rows = _rows(session, query)
    return rows[:size], len(rows) > size


def table_after(
    session: Session, plan_id: int, filters: TableFilter, after_id: int, size: int
) -> list[TableRow]:
    """Up to `size` rows of the plan's table after the action `after_id`, for an export."""
    query = _TABLE.where(
        _action.c.plan_id == plan_id, _action.c.id > after_id, *_conditions(filters)
    ).limit(size)
    return _rows(session, query)


_THEMES = (
    sa.select(_theme.c.id, _theme.c.title)
    .where(_theme.c.plan_id == sa.bindparam("plan_id"))
    .order_by(_theme.c.position, _theme.c.id)
)


def themes_of(session: Session, plan_id: int) -> list[tuple[int, str]]:
    """The plan's themes (id, title), in the plan's order: the table's theme filter."""
    return [(row[0], row[1]) for row in session.connection().execute(_THEMES, {"plan_id": plan_id})]


_APPROVED_CHANGES = (
    sa.select(*STORED_COLUMNS)
    .where(
        _audit.c.event == EventKind.TRANSITION_APPLIED.value,
        _audit.c.request_id.is_not(None),  # decided by a body, not applied at once
        _audit.c.action_id.in_(sa.bindparam("action_ids", expanding=True)),
    )
    .order_by(_audit.c.seq)
)


def approved_changes(session: Session, action_ids: list[int]) -> list[StoredEvent]:
    """The approved transitions of these actions, oldest first."""
    if not action_ids:
        return []
    rows = session.connection().execute(_APPROVED_CHANGES, {"action_ids": sorted(set(action_ids))})
    return [stored_event(row) for row in rows]
