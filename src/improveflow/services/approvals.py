"""Asking for a change of state, and taking the request back: the heart of the workflow.

`request_change` applies a change at once when its transition needs no approval, otherwise it
opens an ApprovalRequest; `withdraw` lets the requester take a pending one back. Deciding on a
request is `decisions.decide`, also importable from here. Each is one transaction: the state,
the version bump, the request's status and the audit events commit together or not at all.
These are the hot paths, so they use the prebuilt Core statements in `stores`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.models import RequestStatus
from improveflow.services import changes, rollover
from improveflow.services.authority import (
    describe,
    refuse_action_out_of_reach,
    refuse_request_out_of_reach,
    standing,
)
from improveflow.services.changes import ChangeResult, ChangeStatus
from improveflow.services.context import Context
from improveflow.services.decisions import MAX_COMMENT_CHARS, decide
from improveflow.stores import actions, people, requests
from improveflow.stores.actions import ActionState
from improveflow.stores.people import Actor
from improveflow.workflow import requestable
from improveflow.workflow.conditions import ChangeAsked
from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import Transition
from improveflow.workflow.details import Detail
from improveflow.workflow.engine import WorkflowEngine

# The names callers have always imported from here.
__all__ = [
    "MAX_COMMENT_CHARS",
    "MAX_REASON_CHARS",
    "ChangeResult",
    "ChangeStatus",
    "decide",
    "request_change",
    "request_change_in",
    "withdraw",
]

# A reason goes into emails to everyone concerned: room for a few paragraphs, never a document.
MAX_REASON_CHARS = 5_000


def request_change(
    ctx: Context,
    action_id: int,
    trigger: str,
    *,
    by_email: str,
    reason: str | None = None,
    new_target_date: date | None = None,
) -> ChangeResult:
    """Ask for a change to an action: made at once when it needs no approval, otherwise a
    request waiting for the body the plan sends it to."""
    now = ctx.clock.now()
    change = ChangeAsked(reason=(reason or "").strip() or None, new_target_date=new_target_date)
    changes.refuse_long(change.reason, MAX_REASON_CHARS, Detail.REASON, "A reason")
    try:
        with ctx.database.writing() as session:
            return _request_change(ctx, session, action_id, trigger, by_email, change, now)
    except exceptions.RequestAlreadyPending:
        # The action has a request waiting (perhaps opened at this very moment): the refused
        # transaction could read nothing more, so say which one from a fresh one.
        with ctx.database.reading() as session:
            _refuse_second_request(session, action_id)
        raise


def request_change_in(
    ctx: Context,
    session: Session,
    action_id: int,
    trigger: str,
    *,
    by_email: str,
    now: datetime,
    reason: str | None = None,
    new_target_date: date | None = None,
) -> ChangeResult:
    """`request_change` in the caller's transaction (a reply by email records its update and
    its request together): the same checks, the same request or change, the same events."""
    change = ChangeAsked(reason=(reason or "").strip() or None, new_target_date=new_target_date)
    changes.refuse_long(change.reason, MAX_REASON_CHARS, Detail.REASON, "A reason")
    return _request_change(ctx, session, action_id, trigger, by_email, change, now)


def _request_change(
    ctx: Context,
    session: Session,
    action_id: int,
    trigger: str,
    by_email: str,
    change: ChangeAsked,
    now: datetime,
) -> ChangeResult:
    person = people.actor_by_email(session, by_email)
    refuse_action_out_of_reach(session, person.id, action_id)
    rollover.refuse_if_carried_on(session, action_id)
    action = changes.action_for(ctx, session, action_id, trigger)
    engine = ctx.workflows.engine(action.workflow)
    transition = engine.workflow.transition(trigger)
    kinds = standing(person, action.owner_id)
    barrier = requestable.barrier(transition, action.state, kinds)
    if barrier is requestable.Barrier.NOT_THEIRS:
        raise exceptions.NotAllowedToRequest(
            f"{person.name} cannot ask to {transition.label} on action {action_id}: only "
            f"{describe(transition.requested_by)} may ask"
        )
    if barrier is requestable.Barrier.NOT_FROM_HERE:
        raise exceptions.IllegalTransition(
            _not_from_here(engine, transition, action, person, kinds)
        )
    engine.check(changes.facts_of(action), trigger, change)
    rule = engine.workflow.approval_for(trigger, action.plan_kind, action.approval_overrides)
    if rule is None:
        outcome = changes.apply(
            session, engine, action, trigger, change, now=now, actor=person, request_id=None
        )
        return ChangeResult(
            status=ChangeStatus.APPLIED,
            action_id=action_id,
            transition=trigger,
            from_state=outcome.from_state,
            to_state=outcome.to_state,
            message=f"Action {action_id} is now {outcome.to_state}",
        )
    # A second pending request for the action is refused by the database's unique index.
    destination = transition.destination_from(action.state)
    request_id = requests.insert_request(
        session,
        action_id=action_id,
        transition=trigger,
        requester_id=person.id,
        body=rule.body,
        quorum=rule.quorum,
        reason=change.reason,
        new_target_date=change.new_target_date,
        at=now,
    )
    asked = recorded.ChangeRequested(
        action_id=action_id,
        request_id=request_id,
        actor_id=person.id,
        from_state=action.state,
        to_state=destination,
        reason=change.reason,
        transition=trigger,
        body=rule.body,
        quorum=rule.quorum,
        new_target_date=change.new_target_date,
        # The date it would replace: pages show it once the request is decided.
        target_date=None
        if change.new_target_date is None
        else recorded.DateChange(action.target_date, change.new_target_date),
    )
    audit.record(session, asked, at=now)
    return ChangeResult(
        status=ChangeStatus.PENDING,
        action_id=action_id,
        transition=trigger,
        from_state=action.state,
        to_state=destination,
        request_id=request_id,
        body=rule.body,
        quorum=rule.quorum,
        message=(
            f"Request {request_id} to {transition.label} is waiting for "
            f"{_body_named(engine, rule.body)}"
        ),
    )


def _body_named(engine: WorkflowEngine, body: str) -> str:
    title = engine.workflow.body_title(body)
    return body if title == body else f"{title} ({body})"


def _not_from_here(
    engine: WorkflowEngine,
    transition: Transition,
    action: ActionState,
    person: Actor,
    kinds: set[str],
) -> str:
    """Why the change cannot be asked for where the action is, and what this person may ask
    for instead, in the workflow's words."""
    rules = PlanRules(action.plan_kind, action.approval_overrides)
    open_to = requestable.changes(engine.workflow, action.state, kinds, rules)
    refused = changes.not_from_here(engine.workflow, transition, action.state)
    if not open_to:
        return f"{refused}, and there is no change {person.name} may ask for now"
    return f"{refused}. {person.name} may ask to {_or([c.transition.label for c in open_to])}"


def _or(labels: list[str]) -> str:
    """'start work, defer the action or change the target date'."""
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def _refuse_second_request(session: Session, action_id: int) -> None:
    pending = requests.pending_request_for(session, action_id)
    if pending is None:
        return
    asker = people.names_by_id(session, [pending.requester_id]).get(pending.requester_id, "someone")
    raise exceptions.RequestAlreadyPending(
        f"Action {action_id} already has a request waiting for {pending.body}: "
        f"'{pending.transition}' asked by {asker} (request {pending.id})"
    )


def withdraw(ctx: Context, request_id: int, *, by_email: str) -> ChangeResult:
    """The requester takes back a pending request."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = people.actor_by_email(session, by_email)
        refuse_request_out_of_reach(session, person.id, request_id)
        request = requests.claim_request(
            session, request_id, outcome=RequestStatus.WITHDRAWN, final=True, at=now
        )
        if request is None:
            changes.refuse_closed_request(session, request_id)
            raise AssertionError("unreachable")
        if request.requester_id != person.id:
            raise exceptions.NotAllowedToRequest(
                f"Only the person who asked may withdraw request {request_id}"
            )
        action = actions.action_state(session, request.action_id)
        changes.close(session, request, RequestStatus.WITHDRAWN, now, person, None, stayed=action)
        return ChangeResult(
            status=ChangeStatus.WITHDRAWN,
            action_id=request.action_id,
            transition=request.transition,
            from_state=action.state,
            to_state=action.state,
            request_id=request_id,
            body=request.body,
            message=f"Request {request_id} withdrawn",
        )
