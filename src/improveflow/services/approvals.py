"""Asking for a change of state, and deciding on it: the heart of the workflow.

`request_change` applies a change at once when its transition needs no approval, otherwise it
opens an ApprovalRequest. `decide` records a member's verdict and, once the quorum approves,
applies the transition through the shared state machine. Each is one transaction: the state,
the version bump, the request's status and the audit events commit together or not at all.
These are the hot paths, so they use the prebuilt Core statements in `store`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from improveflow import audit, exceptions, store
from improveflow.calendar import as_london
from improveflow.models import RequestStatus, Verdict
from improveflow.services import deputies, escalations
from improveflow.services.authority import (
    describe,
    refuse_action_out_of_reach,
    refuse_request_out_of_reach,
    standing,
)
from improveflow.services.context import Context
from improveflow.store import ActionState, Actor, ClaimedRequest
from improveflow.workflow import requestable
from improveflow.workflow.conditions import ActionFacts, ChangeAsked, needs_progress_count
from improveflow.workflow.details import Detail, DetailInvalid
from improveflow.workflow.engine import Outcome, WorkflowEngine

# A reason or a decision's comment goes into emails to everyone concerned: room for a few
# paragraphs, never a document.
MAX_REASON_CHARS = 5_000
MAX_COMMENT_CHARS = 5_000


def _refuse_long(text: str | None, limit: int, detail: Detail, what: str) -> None:
    if text is not None and len(text) > limit:
        raise DetailInvalid(
            detail, f"{what} must be {limit:,} characters or fewer; this one has {len(text):,}"
        )


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


def _facts(action: ActionState) -> ActionFacts:
    return ActionFacts(
        state=action.state,
        progress_updates=action.progress_updates,
        target_date=action.target_date,
    )


def _action_for(ctx: Context, session: Session, action_id: int, trigger: str) -> ActionState:
    """Load the action with just the facts the transition's conditions need."""
    action = store.action_state(session, action_id)
    transition = ctx.workflows.workflow(action.workflow).transition(trigger)
    if needs_progress_count(transition.conditions):
        action = replace(action, progress_updates=store.progress_count(session, action_id))
    return action


def _apply(
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
    outcome = engine.fire(_facts(action), trigger, change)
    data: dict[str, object] = {"transition": trigger}
    if change.new_target_date is not None:
        data["target_date"] = {"from": action.target_date, "to": change.new_target_date}
    if not store.move_action(session, action, outcome.to_state, now, change.new_target_date):
        raise exceptions.ConcurrentChange(
            f"Action {action.id} was changed by someone else at the same moment; "
            "reload it and try again"
        )
    if change.new_target_date is not None:
        escalations.close_all(session, action.id, now, "new target date approved")
    elif outcome.to_state not in engine.workflow.reminders.states:
        escalations.close_all(session, action.id, now, f"action {outcome.to_state}")
    audit.append(
        session,
        at=now,
        event="transition",
        action_id=action.id,
        request_id=request_id,
        actor_id=actor.id,
        from_state=outcome.from_state,
        to_state=outcome.to_state,
        comment=change.reason,
        data=data,
    )
    return outcome


def request_change(
    ctx: Context,
    action_id: int,
    trigger: str,
    *,
    by_email: str,
    reason: str | None = None,
    new_target_date: date | None = None,
) -> ChangeResult:
    now = ctx.clock.now()
    change = ChangeAsked(reason=(reason or "").strip() or None, new_target_date=new_target_date)
    _refuse_long(change.reason, MAX_REASON_CHARS, Detail.REASON, "A reason")
    try:
        with ctx.database.writing() as session:
            return _request_change(ctx, session, action_id, trigger, by_email, change, now)
    except IntegrityError:
        # Another request for this action was opened at the same moment and won the
        # database's one-pending-request index.
        with ctx.database.reading() as session:
            _refuse_second_request(session, action_id)
        raise


def _request_change(
    ctx: Context,
    session: Session,
    action_id: int,
    trigger: str,
    by_email: str,
    change: ChangeAsked,
    now: datetime,
) -> ChangeResult:
    person = store.actor_by_email(session, by_email)
    refuse_action_out_of_reach(session, person.id, action_id)
    action = _action_for(ctx, session, action_id, trigger)
    engine = ctx.workflows.engine(action.workflow)
    transition = engine.workflow.transition(trigger)
    kinds = standing(person, action.owner_id)
    # Where the action is (requestable.Barrier.NOT_FROM_HERE) is the engine's to explain below,
    # with the changes possible now.
    if requestable.barrier(transition, action.state, kinds) is requestable.Barrier.NOT_THEIRS:
        raise exceptions.NotAllowedToRequest(
            f"{person.name} cannot ask to {transition.label} on action {action_id}: only "
            f"{describe(transition.requested_by)} may ask"
        )
    engine.check(_facts(action), trigger, change)
    rule = engine.workflow.approval_for(trigger, action.plan_kind, action.approval_overrides)
    if rule is None:
        outcome = _apply(
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
    request_id = store.insert_request(
        session,
        {
            "action_id": action_id,
            "transition": trigger,
            "requester_id": person.id,
            "body": rule.body,
            "quorum": rule.quorum,
            "reason": change.reason,
            "new_target_date": change.new_target_date,
            "status": RequestStatus.PENDING.value,
            "version": 1,
            "created_at": now,
        },
    )
    audit.append(
        session,
        at=now,
        event="requested",
        action_id=action_id,
        request_id=request_id,
        actor_id=person.id,
        from_state=action.state,
        to_state=destination,
        comment=change.reason,
        data=_requested_data(trigger, rule.body, rule.quorum, action, change),
    )
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


def _requested_data(
    trigger: str, body: str, quorum: int, action: ActionState, change: ChangeAsked
) -> dict[str, object]:
    """The request as asked, including the date it would replace: pages show it once decided."""
    data: dict[str, object] = {
        "transition": trigger,
        "body": body,
        "quorum": quorum,
        "new_target_date": change.new_target_date,
    }
    if change.new_target_date is not None:
        data["target_date"] = {"from": action.target_date, "to": change.new_target_date}
    return data


def _body_named(engine: WorkflowEngine, body: str) -> str:
    title = engine.workflow.body_title(body)
    return body if title == body else f"{title} ({body})"


def _refuse_second_request(session: Session, action_id: int) -> None:
    pending = store.pending_request_for(session, action_id)
    if pending is None:
        return
    asker = store.names_by_id(session, [pending.requester_id]).get(pending.requester_id, "someone")
    raise exceptions.RequestAlreadyPending(
        f"Action {action_id} already has a request waiting for {pending.body}: "
        f"'{pending.transition}' asked by {asker} (request {pending.id})"
    )


def decide(
    ctx: Context,
    request_id: int,
    verdict: Verdict,
    *,
    by_email: str,
    comment: str | None = None,
) -> ChangeResult:
    """Record one member's verdict; apply the transition once the quorum approves.

    A rejection by any member closes the request. When the action has moved on so that the
    change no longer applies, the request is closed as superseded and the decider is told why.
    """
    now = ctx.clock.now()
    comment = (comment or "").strip() or None
    if verdict is Verdict.REJECT and not comment:
        raise DetailInvalid(Detail.COMMENT, "A rejection needs a comment saying why")
    _refuse_long(comment, MAX_COMMENT_CHARS, Detail.COMMENT, "A comment")
    with ctx.database.writing() as session:
        person = store.actor_by_email(session, by_email)
        refuse_request_out_of_reach(session, person.id, request_id)
        request = store.claim_request(
            session,
            request_id,
            outcome=RequestStatus.REJECTED if verdict is Verdict.REJECT else RequestStatus.APPROVED,
            final=verdict is Verdict.REJECT,
            at=now,
        )
        if request is None:
            _refuse_closed_request(session, request_id)
            raise AssertionError("unreachable")
        result, refusal = _decide(ctx, session, request, verdict, person, comment, now)
    if refusal is not None:
        # About the request as asked, not about anything the decider gave: no detail to mark.
        kind = (
            exceptions.IllegalTransition
            if isinstance(refusal, exceptions.IllegalTransition)
            else exceptions.ConditionNotMet
        )
        raise kind(f"Request {request_id} can no longer be applied: {refusal}")
    return result


def _decide(
    ctx: Context,
    session: Session,
    request: ClaimedRequest,
    verdict: Verdict,
    person: Actor,
    comment: str | None,
    now: datetime,
) -> tuple[ChangeResult, exceptions.Refused | None]:
    action = _action_for(ctx, session, request.action_id, request.transition)
    engine = ctx.workflows.engine(action.workflow)
    label = engine.workflow.transition(request.transition).label
    if request.requester_id == person.id:
        raise exceptions.OwnRequest(
            f"{person.name} asked for this change ({label}), so cannot decide on it; "
            f"another member of {request.body} must"
        )
    # With a quorum of one, any earlier verdict would have closed the request already.
    earlier = store.verdicts_on(session, request.id) if request.quorum > 1 else []
    voted = {voter for voter, _, _ in earlier} | {member for _, member, _ in earlier if member}
    on_behalf_of = None
    if request.body not in person.bodies:
        on_behalf_of = _deputy_for(session, person, request, voted, now)
    if person.id in voted:
        raise exceptions.AlreadyVoted(f"{person.name} has already decided on request {request.id}")
    store.insert_decision(
        session,
        {
            "request_id": request.id,
            "person_id": person.id,
            "on_behalf_of_id": on_behalf_of,
            "verdict": verdict.value,
            "comment": comment,
            "decided_at": now,
        },
    )
    data: dict[str, object] = {"verdict": verdict.value, "transition": request.transition}
    if on_behalf_of is not None:
        data["on_behalf_of"] = store.names_by_id(session, [on_behalf_of])[on_behalf_of]
        data["on_behalf_of_id"] = on_behalf_of
    audit.append(
        session,
        at=now,
        event="decision",
        action_id=action.id,
        request_id=request.id,
        actor_id=person.id,
        comment=comment,
        data=data,
    )
    approvals = sum(v == Verdict.APPROVE for _, _, v in earlier) + (verdict is Verdict.APPROVE)
    result = ChangeResult(
        status=ChangeStatus.PENDING,
        action_id=action.id,
        transition=request.transition,
        from_state=action.state,
        to_state=action.state,
        request_id=request.id,
        body=request.body,
        approvals=approvals,
        quorum=request.quorum,
    )
    if verdict is Verdict.REJECT:
        _close(session, request, RequestStatus.REJECTED, now, person, comment, stayed=action)
        message = f"Request {request.id} to {label} was rejected"
        return replace(result, status=ChangeStatus.REJECTED, message=message), None
    if approvals < request.quorum:
        message = f"{approvals} of {request.quorum} approvals recorded for request {request.id}"
        return replace(result, message=message), None
    change = ChangeAsked(reason=request.reason, new_target_date=request.new_target_date)
    try:
        outcome = _apply(
            session, engine, action, request.transition, change,
            now=now, actor=person, request_id=request.id,
        )  # fmt: skip
    except (exceptions.IllegalTransition, exceptions.ConditionNotMet) as refusal:
        # The action moved on since the request was made: close it rather than leave it
        # pending forever, commit that, and tell the decider why.
        _close(session, request, RequestStatus.SUPERSEDED, now, person, str(refusal), stayed=action)
        return replace(result, status=ChangeStatus.SUPERSEDED, message=str(refusal)), refusal
    _close(session, request, RequestStatus.APPROVED, now, person, comment)
    return (
        replace(
            result,
            status=ChangeStatus.APPROVED,
            to_state=outcome.to_state,
            message=f"Approved: action {action.id} is now {outcome.to_state}",
        ),
        None,
    )


def _deputy_for(
    session: Session, person: Actor, request: ClaimedRequest, voted: set[int], now: datetime
) -> int:
    """The absent member `person` decides for, or NotAMember when there is none."""
    member = deputies.standing_in_for(
        session, person.id, request.body, as_london(now).date(), voted | {request.requester_id}
    )
    if member is None:
        raise exceptions.NotAMember(
            f"{person.name} is not a member of {request.body}, "
            f"which must approve '{request.transition}'"
        )
    return member


def withdraw(ctx: Context, request_id: int, *, by_email: str) -> ChangeResult:
    """The requester takes back a pending request."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = store.actor_by_email(session, by_email)
        refuse_request_out_of_reach(session, person.id, request_id)
        request = store.claim_request(
            session, request_id, outcome=RequestStatus.WITHDRAWN, final=True, at=now
        )
        if request is None:
            _refuse_closed_request(session, request_id)
            raise AssertionError("unreachable")
        if request.requester_id != person.id:
            raise exceptions.NotAllowedToRequest(
                f"Only the person who asked may withdraw request {request_id}"
            )
        action = store.action_state(session, request.action_id)
        _close(session, request, RequestStatus.WITHDRAWN, now, person, None, stayed=action)
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


def _close(
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
    if request.status != status:
        store.close_request(session, request.id, status.value, now)
    data: dict[str, object] = {"transition": request.transition, "body": request.body}
    if stayed is not None:
        data["unchanged"] = {"state": stayed.state, "target_date": stayed.target_date}
    audit.append(
        session,
        at=now,
        event=status.value,
        action_id=request.action_id,
        request_id=request.id,
        actor_id=person.id,
        comment=comment,
        data=data,
    )


def _refuse_closed_request(session: Session, request_id: int) -> None:
    request = store.request_by_id(session, request_id)
    deciders = [d.person_id for d in store.decisions_on(session, request_id)]
    names = store.names_by_id(session, deciders)
    who = " and ".join(names[i] for i in deciders if i in names) or "its requester"
    when = f" at {as_london(request.closed_at):%H:%M on %d %B %Y}" if request.closed_at else ""
    raise exceptions.AlreadyDecided(
        f"Request {request_id} ('{request.transition}' on action {request.action_id}) "
        f"was already {request.status} by {who}{when}"
    )
