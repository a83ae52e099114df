"""An action's history as people read it: one entry per change, newest first.

`history_of` reads the action's audit events (as typed records) and the names of the people in
them; `building` turns the events into entries (`entries`), and the action page words them.
"""

from __future__ import annotations

from improveflow import audit_events
from improveflow.services.action_history.building import build_history
from improveflow.services.action_history.entries import (
    Added,
    Ask,
    CarriedForward,
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
    SignedOff,
    Waiting,
)
from improveflow.services.context import Context
from improveflow.stores import actions, people, plans
from improveflow.stores import audit as audit_store
from improveflow.stores import rollover as rollover_store
from improveflow.workflow.working_days import calendar_of

__all__ = [
    "Added",
    "Ask",
    "CarriedForward",
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
    "SignedOff",
    "Waiting",
    "history_of",
]


def history_of(ctx: Context, action_id: int) -> list[HistoryEntry]:
    """Everything that happened to the action, newest first, in its workflow's words."""
    with ctx.database.reading() as session:
        action = actions.action_by_id(session, action_id)
        workflow = ctx.workflows.workflow(plans.plan_by_id(session, action.plan_id).workflow)
        rows = audit_store.events_of_action(session, action_id)
        earlier = rollover_store.carried_from(session, action_id)
        return build_history(
            [audit_events.from_row(row) for row in rows],
            workflow=workflow,
            calendar=calendar_of(workflow),
            names=people.names_by_id(session, (row.actor_id for row in rows)),
            target_now=action.target_date,
            origins={earlier.action_id: earlier.words} if earlier else {},
        )
