"""Deciding on a request: one member's verdict, and the change applied once the quorum approves.

One transaction: the claim on the request, the decision, the state, the version bump, the
request's status and the audit events commit together or not at all. A rejection by any member
closes the request; an approval that comes when the action has moved on closes it as
superseded, and the decider is told why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.models import RequestStatus, Verdict
from improveflow.services import changes, deputies
from improveflow.services.authority import refuse_request_out_of_reach
from improveflow.services.changes import ChangeResult, ChangeStatus
from improveflow.services.context import Context
from improveflow.stores import people, requests
from improveflow.stores.people import Actor
from improveflow.stores.requests import ClaimedRequest
from improveflow.workflow.conditions import ChangeAsked
from improveflow.workflow.details import Detail, DetailInvalid

# A decision's comment goes into emails to everyone concerned: room for a few paragraphs,
# never a document.
MAX_COMMENT_CHARS = 5_000


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
    changes.refuse_long(comment, MAX_COMMENT_CHARS, Detail.COMMENT, "A comment")
    with ctx.database.writing() as session:
        person = people.actor_by_email(session, by_email)
        refuse_request_out_of_reach(session, person.id, request_id)
        request = requests.claim_request(
            session,
            request_id,
            outcome=RequestStatus.REJECTED if verdict is Verdict.REJECT else RequestStatus.APPROVED,
            final=verdict is Verdict.REJECT,
            at=now,
        )
        if request is None:
            changes.refuse_closed_request(session, request_id)
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
    action = changes.action_for(ctx, session, request.action_id, request.transition)
    engine = ctx.workflows.engine(action.workflow)
    transition = engine.workflow.transition(request.transition)
    if request.requester_id == person.id:
        raise exceptions.OwnRequest(
            f"{person.name} asked for this change ({transition.label}), so cannot decide on it; "
            f"another member of {request.body} must"
        )
    # With a quorum of one, any earlier verdict would have closed the request already.
    earlier = requests.verdicts_on(session, request.id) if request.quorum > 1 else []
    voted = {voter for voter, _, _ in earlier} | {member for _, member, _ in earlier if member}
    on_behalf_of = None
    if request.body not in person.bodies:
        on_behalf_of = _deputy_for(session, person, request, voted, now)
    if person.id in voted:
        raise exceptions.AlreadyVoted(f"{person.name} has already decided on request {request.id}")
    requests.insert_decision(
        session,
        request_id=request.id,
        person_id=person.id,
        on_behalf_of_id=on_behalf_of,
        verdict=verdict,
        comment=comment,
        at=now,
    )
    decided = recorded.RequestDecided(
        action_id=action.id,
        request_id=request.id,
        actor_id=person.id,
        comment=comment,
        verdict=verdict,
        transition=request.transition,
        on_behalf_of=None
        if on_behalf_of is None
        else people.names_by_id(session, [on_behalf_of])[on_behalf_of],
        on_behalf_of_id=on_behalf_of,
    )
    audit.record(session, decided, at=now)
    approvals = sum(v is Verdict.APPROVE for _, _, v in earlier) + (verdict is Verdict.APPROVE)
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
        changes.close(session, request, RequestStatus.REJECTED, now, person, comment, stayed=action)
        message = f"Request {request.id} to {transition.label} was rejected"
        return replace(result, status=ChangeStatus.REJECTED, message=message), None
    if approvals < request.quorum:
        message = f"{approvals} of {request.quorum} approvals recorded for request {request.id}"
        return replace(result, message=message), None
    change = ChangeAsked(reason=request.reason, new_target_date=request.new_target_date)
    try:
        if action.state not in transition.sources:
            # Worded for the decider, who asked for nothing: no list of other changes.
            raise exceptions.IllegalTransition(
                changes.not_from_here(engine.workflow, transition, action.state)
            )
        outcome = changes.apply(
            session, engine, action, request.transition, change,
            now=now, actor=person, request_id=request.id,
        )  # fmt: skip
    except (exceptions.IllegalTransition, exceptions.ConditionNotMet) as refusal:
        # The action moved on since the request was made: close it rather than leave it
        # pending forever, commit that, and tell the decider why.
        changes.close(
            session, request, RequestStatus.SUPERSEDED, now, person, str(refusal), stayed=action
        )
        return replace(result, status=ChangeStatus.SUPERSEDED, message=str(refusal)), refusal
    changes.close(session, request, RequestStatus.APPROVED, now, person, comment)
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
