"""Asking for a change of state, and deciding on it: the heart of the workflow.

`request_change` applies a change at once when its transition needs no approval, otherwise it
opens an ApprovalRequest. `decide` records a member's verdict and, once the quorum approves,
applies the transition through the shared state machine. Each is one transaction: the state,
the version bump, the request's status and the audit events commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from improveflow import audit, exceptions, store
from improveflow.calendar import as_london
from improveflow.models import Action, ApprovalRequest, Decision, Person, RequestStatus, Verdict
from improveflow.services.authority import describe, standing
from improveflow.services.context import Context
from improveflow.workflow.conditions import ActionFacts, ChangeAsked
from improveflow.workflow.engine import Outcome, WorkflowEngine


@dataclass(frozen=True)
class ChangeResult:
    status: str  # applied, pending, approved, rejected or superseded
    action_id: int
    transition: str
    from_state: str
    to_state: str
    request_id: int | None = None
    body: str | None = None
    approvals: int = 0
    quorum: int = 0
    message: str = ""


def _facts(session: Session, action: Action) -> ActionFacts:
    assert action.id is not None
    return ActionFacts(
        state=action.state,
        progress_updates=store.progress_count(session, action.id),
        target_date=action.target_date,
    )


def _apply(
    session: Session,
    engine: WorkflowEngine,
    action: Action,
    trigger: str,
    change: ChangeAsked,
    *,
    now: datetime,
    actor: Person,
    request_id: int | None,
) -> Outcome:
    """Fire the transition and store its outcome with an audit event."""
    outcome = engine.fire(_facts(session, action), trigger, change)
    values: dict[str, object] = {"state": outcome.to_state, "updated_at": now}
    if change.new_target_date is not None:
        values["target_date"] = change.new_target_date
    previous_target = action.target_date
    if not store.bump_action(session, action, values):
        raise exceptions.ConcurrentChange(
            f"Action {action.id} was changed by someone else at the same moment; "
            "reload it and try again"
        )
    data: dict[str, object] = {"transition": trigger}
    if change.new_target_date is not None:
        data["target_date"] = {"from": previous_target, "to": change.new_target_date}
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
    with ctx.database.writing() as session:
        person = store.person_by_email(session, by_email)
        action = store.action_by_id(session, action_id)
        plan = store.plan_by_id(session, action.plan_id)
        engine = ctx.workflows.engine(plan.workflow)
        transition = engine.workflow.transition(trigger)
        if not standing(session, person, action) & transition.requested_by:
            raise exceptions.NotAllowedToRequest(
                f"{person.name} cannot ask to {transition.label} on action {action_id}: only "
                f"{describe(transition.requested_by)} may ask"
            )
        engine.check(_facts(session, action), trigger, change)
        rule = engine.workflow.approval_for(trigger, plan.kind, plan.approval_overrides)
        if rule is None:
            outcome = _apply(
                session, engine, action, trigger, change, now=now, actor=person, request_id=None
            )
            return ChangeResult(
                status="applied",
                action_id=action_id,
                transition=trigger,
                from_state=outcome.from_state,
                to_state=outcome.to_state,
                message=f"Action {action_id} is now {outcome.to_state}",
            )
        _refuse_second_request(session, action_id)
        request = ApprovalRequest(
            action_id=action_id,
            transition=trigger,
            requester_id=person.id,  # type: ignore[arg-type]
            body=rule.body,
            quorum=rule.quorum,
            reason=change.reason,
            new_target_date=new_target_date,
            created_at=now,
        )
        session.add(request)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            # Another request was opened for this action at the same moment.
            _refuse_second_request(session, action_id)
            raise
        assert request.id is not None
        audit.append(
            session,
            at=now,
            event="requested",
            action_id=action_id,
            request_id=request.id,
            actor_id=person.id,
            from_state=action.state,
            to_state=transition.destination_from(action.state),
            comment=change.reason,
            data={
                "transition": trigger,
                "body": rule.body,
                "quorum": rule.quorum,
                "new_target_date": new_target_date,
            },
        )
        return ChangeResult(
            status="pending",
            action_id=action_id,
            transition=trigger,
            from_state=action.state,
            to_state=transition.destination_from(action.state),
            request_id=request.id,
            body=rule.body,
            quorum=rule.quorum,
            message=(
                f"Request {request.id} to {transition.label} is waiting for "
                f"{_body_named(engine, rule.body)}"
            ),
        )


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
    """Record one member's verdict; apply the transition once the quorum approves."""
    now = ctx.clock.now()
    comment = (comment or "").strip() or None
    if verdict is Verdict.REJECT and not comment:
        raise exceptions.InvalidValue("A rejection needs a comment saying why")
    superseded: exceptions.Refused | None = None
    with ctx.database.writing() as session:
        person = store.person_by_email(session, by_email)
        if not store.claim_pending_request(session, request_id):
            _refuse_closed_request(session, request_id)
        request = store.request_by_id(session, request_id)
        session.refresh(request)
        action = store.action_by_id(session, request.action_id)
        plan = store.plan_by_id(session, action.plan_id)
        engine = ctx.workflows.engine(plan.workflow)
        label = engine.workflow.transition(request.transition).label
        if not store.is_member(session, person.id, request.body):  # type: ignore[arg-type]
            raise exceptions.NotAMember(
                f"{person.name} is not a member of {request.body}, "
                f"which must approve '{request.transition}'"
            )
        if request.requester_id == person.id:
            raise exceptions.OwnRequest(
                f"{person.name} asked for this change ({label}), so cannot decide on it; "
                f"another member of {request.body} must"
            )
        earlier = store.decisions_on(session, request_id)
        if any(d.person_id == person.id for d in earlier):
            raise exceptions.AlreadyVoted(
                f"{person.name} has already decided on request {request_id}"
            )
        session.add(
            Decision(
                request_id=request_id,
                person_id=person.id,  # type: ignore[arg-type]
                verdict=verdict.value,
                comment=comment,
                decided_at=now,
            )
        )
        audit.append(
            session,
            at=now,
            event="decision",
            action_id=action.id,
            request_id=request_id,
            actor_id=person.id,
            comment=comment,
            data={"verdict": verdict.value, "transition": request.transition},
        )
        approvals = 1 + sum(d.verdict == Verdict.APPROVE for d in earlier)
        result = ChangeResult(
            status="pending",
            action_id=action.id,  # type: ignore[arg-type]
            transition=request.transition,
            from_state=action.state,
            to_state=action.state,
            request_id=request_id,
            body=request.body,
            approvals=approvals if verdict is Verdict.APPROVE else approvals - 1,
            quorum=request.quorum,
        )
        if verdict is Verdict.REJECT:
            _close(session, request, RequestStatus.REJECTED, now, person, comment)
            return _with(result, "rejected", f"Request {request_id} to {label} was rejected")
        if approvals < request.quorum:
            return _with(
                result,
                "pending",
                f"{approvals} of {request.quorum} approvals recorded for request {request_id}",
            )
        change = ChangeAsked(reason=request.reason, new_target_date=request.new_target_date)
        try:
            outcome = _apply(
                session, engine, action, request.transition, change,
                now=now, actor=person, request_id=request_id,
            )  # fmt: skip
        except (exceptions.IllegalTransition, exceptions.ConditionNotMet) as refusal:
            # The action moved on since the request was made: close it rather than leave
            # it pending forever, and tell the decider why.
            _close(session, request, RequestStatus.SUPERSEDED, now, person, str(refusal))
            superseded = refusal
        else:
            _close(session, request, RequestStatus.APPROVED, now, person, comment)
            return ChangeResult(
                status="approved",
                action_id=result.action_id,
                transition=request.transition,
                from_state=outcome.from_state,
                to_state=outcome.to_state,
                request_id=request_id,
                body=request.body,
                approvals=approvals,
                quorum=request.quorum,
                message=f"Approved: action {result.action_id} is now {outcome.to_state}",
            )
    assert superseded is not None
    raise type(superseded)(f"Request {request_id} can no longer be applied: {superseded}")


def withdraw(ctx: Context, request_id: int, *, by_email: str) -> ChangeResult:
    """The requester takes back a pending request."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = store.person_by_email(session, by_email)
        if not store.claim_pending_request(session, request_id):
            _refuse_closed_request(session, request_id)
        request = store.request_by_id(session, request_id)
        session.refresh(request)
        if request.requester_id != person.id:
            raise exceptions.NotAllowedToRequest(
                f"Only the person who asked may withdraw request {request_id}"
            )
        _close(session, request, RequestStatus.WITHDRAWN, now, person, None)
        action = store.action_by_id(session, request.action_id)
        return ChangeResult(
            status="withdrawn",
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
    request: ApprovalRequest,
    status: RequestStatus,
    now: datetime,
    person: Person,
    comment: str | None,
) -> None:
    request.status = status.value
    request.closed_at = now
    session.add(request)
    audit.append(
        session,
        at=now,
        event=status.value,
        action_id=request.action_id,
        request_id=request.id,
        actor_id=person.id,
        comment=comment,
        data={"transition": request.transition, "body": request.body},
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


def _with(result: ChangeResult, status: str, message: str) -> ChangeResult:
    return ChangeResult(**{**result.__dict__, "status": status, "message": message})
