"""What asking for a change and deciding on it share: the result either gives, and the steps
both take inside their one transaction.

Loading the action with the facts its transition's conditions need, applying a transition with
its audit event, closing a request with its event, and explaining why a request is no longer
open. `approvals` (asking, withdrawing) and `decisions` (deciding) build on these; the
statements are the prebuilt Core ones in `stores`, as these are the hot paths.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.models import RequestStatus
from improveflow.services import escalations
from improveflow.services.context import Context
from improveflow.stores import actions, people, requests
from improveflow.stores.actions import ActionState
from improveflow.stores.people import Actor
from improveflow.stores.requests import ClaimedRequest
from improveflow.workflow.conditions import ActionFacts, ChangeAsked, needs_progress_count
from improveflow.workflow.definition import Transition, Workflow
from improveflow.workflow.details import Detail, DetailInvalid
from improveflow.workflow.engine import Outcome, WorkflowEngine


class ChangeStatus(StrEnum):
    """What became of a change asked for or decided: a request's status, or applied at once."""

    APPLIED = "applied"  # needed no approval: made straight away
    PENDING = RequestStatus.PENDING.value
    APPROVED = RequestStatus.APPROVED.value
    REJECTED = RequestStatus.REJECTED.value
    WITHDRAWN = RequestStatus.WITHDRAWN.value
    SUPERSEDED = RequestStatus.SUPERSEDED.value


@dataclass(frozen=True)
class ChangeResult:
    status: ChangeStatus
    action_id: int
    transition: str
    from_state: str
    to_state: str
    request_id: int | None = None
    body: str | None = None
    approvals: int = 0
    quorum: int = 0
    message: str = ""


def refuse_long(text: str | None, limit: int, detail: Detail, what: str) -> None:
    if text is not None and len(text) > limit:
        raise DetailInvalid(
            detail, f"{what} must be {limit:,} characters or fewer; this one has {len(text):,}"
        )


def state_words(workflow: Workflow, state: str) -> str:
    """'in progress' for in_progress; a state the workflow does not know, as stored."""
    known = workflow.states.get(state)
    return known.label.lower() if known else state


def not_from_here(workflow: Workflow, transition: Transition, state: str) -> str:
    """'Cannot mark the action complete while the action is drafted'."""
    return f"Cannot {transition.label} while the action is {state_words(workflow, state)}"


def facts_of(action: ActionState) -> ActionFacts:
    return ActionFacts(
        state=action.state,
        progress_updates=action.progress_updates,
        target_date=action.target_date,
    )


def action_for(ctx: Context, session: Session, action_id: int, trigger: str) -> ActionState:
    """Load the action with just the facts the transition's conditions need."""
    action = actions.action_state(session, action_id)
    transition = ctx.workflows.workflow(action.workflow).transition(trigger)
    if needs_progress_count(transition.conditions):
        action = replace(action, progress_updates=actions.progress_count(session, action_id))
    return action


def apply(
    session: Session,
    engine: WorkflowEngine,
    action: ActionState,
    trigger: str,
    change: ChangeAsked,
    *,
    now: datetime,
    actor: Actor,
    request_id: int | None,
) -> Outcome:
    """Fire the transition and store its outcome with an audit event."""
    outcome = engine.fire(facts_of(action), trigger, change)
    if not actions.move_if_unchanged(
        session, action, outcome.to_state, now, change.new_target_date
    ):
        raise exceptions.ConcurrentChange(
            f"Action {action.id} was changed by someone else at the same moment; "
            "reload it and try again"
        )
    if change.new_target_date is not None:
        escalations.close_all(session, action.id, now, "new target date approved")
    elif outcome.to_state not in engine.workflow.reminders.states:
        escalations.close_all(session, action.id, now, f"action {outcome.to_state}")
    applied = recorded.TransitionApplied(
        action_id=action.id,
        request_id=request_id,
        actor_id=actor.id,
        from_state=outcome.from_state,
        to_state=outcome.to_state,
        reason=change.reason,
        transition=trigger,
        target_date=None
        if change.new_target_date is None
        else recorded.DateChange(action.target_date, change.new_target_date),
    )
    audit.record(session, applied, at=now)
    return outcome


def close(
    session: Session,
    request: ClaimedRequest,
    status: RequestStatus,
    now: datetime,
    person: Actor,
    comment: str | None,
    *,
    stayed: ActionState | None = None,
) -> None:
    """Record the request's outcome (unless the claim already stored it) and its event.

    `stayed` is the action when the request closes without changing it: its state and
    target date are kept with the event, so the request's page can say how it stayed.
    """
    if request.status is not status:
        requests.close_request(session, request.id, status, now)
    ended = recorded.RequestEnded(
        outcome=status,
        action_id=request.action_id,
        request_id=request.id,
        actor_id=person.id,
        comment=comment,
        transition=request.transition,
        body=request.body,
        unchanged=None if stayed is None else recorded.Unchanged(stayed.state, stayed.target_date),
    )
    audit.record(session, ended, at=now)


def refuse_closed_request(session: Session, request_id: int) -> None:
    """AlreadyDecided, saying how the request closed, by whom and when.

    Called when a claim found the request no longer pending.
    """
    request = requests.request_by_id(session, request_id)
    deciders = [d.person_id for d in requests.decisions_on(session, request_id)]
    names = people.names_by_id(session, deciders)
    who = " and ".join(names[i] for i in deciders if i in names) or "its requester"
    when = f" at {as_london(request.closed_at):%H:%M on %d %B %Y}" if request.closed_at else ""
    raise exceptions.AlreadyDecided(
        f"Request {request_id} ('{request.transition}' on action {request.action_id}) "
        f"was already {request.status} by {who}{when}"
    )
