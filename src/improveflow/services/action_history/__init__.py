"""An action's history as people read it: one entry per change, newest first.

`history_of` reads the action's audit events and the names of the people in them; `building`
turns the events into entries (`entries`), and the action page words them.
"""

from __future__ import annotations

from sqlmodel import col, select

from improveflow import store
from improveflow.models import AuditEvent
from improveflow.services.action_history.building import build_history
from improveflow.services.action_history.entries import (
    Added,
    Ask,
    Changed,
    Decided,
    Escalated,
    EscalationClosed,
    EscalationReason,
    HistoryEntry,
    Imported,
    NoProgress,
    ProgressRecorded,
    RequestClosed,
    RequestOutcome,
    Waiting,
)
from improveflow.services.context import Context
from improveflow.workflow.working_days import calendar_of

__all__ = [
    "Added",
    "Ask",
    "Changed",
    "Decided",
    "Escalated",
    "EscalationClosed",
    "EscalationReason",
    "HistoryEntry",
    "Imported",
    "NoProgress",
    "ProgressRecorded",
    "RequestClosed",
    "RequestOutcome",
    "Waiting",
    "history_of",
]


def history_of(ctx: Context, action_id: int) -> list[HistoryEntry]:
    """Everything that happened to the action, newest first, in its workflow's words."""
    with ctx.database.reading() as session:
        action = store.action_by_id(session, action_id)
        workflow = ctx.workflows.workflow(store.plan_by_id(session, action.plan_id).workflow)
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action_id == action_id)
            .order_by(col(AuditEvent.seq))
        ).all()
        return build_history(
            events,
            workflow=workflow,
            calendar=calendar_of(workflow),
            names=store.names_by_id(session, (event.actor_id for event in events)),
            target_now=action.target_date,
        )
