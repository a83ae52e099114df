"""The plan's table as an export reads it: each row with the decisions behind its dates and state.

The audit log holds every approved change with the reason its requester gave: a new target
date records the date it replaced, so the first target of an action whose target was changed
is the `from` of its first change, and the reason beside the current date is that of the
change that set it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import AuditEvent
from improveflow.services.context import Context
from improveflow.services.dashboard import TableFilter, TableRow, table_pages
from improveflow.store import table_of

_AUDIT = table_of(AuditEvent)


@dataclass(frozen=True)
class ExportRow:
    row: TableRow
    original_target_date: date | None  # the first target date; the current one if never changed
    target_reason: str | None  # why the current target date was approved, when it was changed
    state_reason: str | None  # why the action was moved to its state, from the approved request


@dataclass
class _Changes:
    first_target: date | None = None
    changed_target: bool = False
    target: date | None = None
    target_reason: str | None = None
    state: str | None = None
    state_reason: str | None = None


def _day(value: object) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _changes(session: Session, action_ids: Sequence[int]) -> dict[int, _Changes]:
    """From each action's approved transitions, oldest first: its first target and reasons."""
    found: dict[int, _Changes] = {}
    events = session.connection().execute(
        sa.select(
            _AUDIT.c.action_id,
            _AUDIT.c.from_state,
            _AUDIT.c.to_state,
            _AUDIT.c.comment,
            _AUDIT.c.data,
        )
        .where(
            _AUDIT.c.event == "transition",
            _AUDIT.c.request_id.is_not(None),  # decided by a body, not applied at once
            _AUDIT.c.action_id.in_(sorted(set(action_ids))),
        )
        .order_by(_AUDIT.c.seq)
    )
    for action_id, from_state, to_state, comment, data in events:
        changes = found.setdefault(action_id, _Changes())
        target = json.loads(data or "{}").get("target_date")
        if isinstance(target, dict):
            if not changes.changed_target:
                changes.first_target = _day(target.get("from"))
                changes.changed_target = True
            changes.target = _day(target.get("to"))
            changes.target_reason = comment
        if to_state and to_state != from_state:
            changes.state, changes.state_reason = to_state, comment
    return found


def _export_row(row: TableRow, changes: _Changes | None) -> ExportRow:
    if changes is None:
        return ExportRow(row, row.original_target_date or row.target_date, None, None)
    first: date | None
    if row.original_target_date is not None:
        first = row.original_target_date  # the plan's own first date comes before any change
    elif changes.changed_target:
        first = changes.first_target
    else:
        first = row.target_date
    return ExportRow(
        row,
        original_target_date=first,
        target_reason=changes.target_reason if changes.target == row.target_date else None,
        state_reason=changes.state_reason if changes.state == row.state else None,
    )


def export_rows(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[ExportRow]:
    """Every row of the plan's table with its decisions, read a page at a time."""
    for rows in table_pages(ctx, plan_id, filters):
        with ctx.database.reading() as session:
            changes = _changes(session, [row.id for row in rows])
        for row in rows:
            yield _export_row(row, changes.get(row.id))
