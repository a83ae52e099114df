"""The sweep's approval chasers: remind the members of a body who have not decided a request
that has waited too long, then tell the body's chair. Run only in working hours."""

from __future__ import annotations

from improveflow.services import notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import sweep as sweep_store
from improveflow.stores.sweep import WaitingRequest


def chase_due(sweep: WorkflowPass) -> None:
    """Record a reminder for each undecided member, and a chase for the chair when due."""
    for request in sweep_store.waiting_requests(sweep.session):
        chase = sweep.planner.due_chase(request.created_at, sweep.now)
        if chase is None:
            continue
        decided = sweep_store.deciders_of(sweep.session, request.id)
        for member in sweep.people(f"body:{request.body}", request.organisation):
            if member in decided or member == request.requester_id:
                continue
            sweep.notice(
                notices.APPROVAL_REMINDER,
                f"approval_reminder:{request.id}:{member}",
                member,
                f"request {request.id} has waited {chase.waited} working days for {request.body}",
                request_id=request.id,
                action_id=request.action_id,
                data={"waiting_working_days": chase.waited},
                due_at=sweep.send_at,
            )
        if chase.tell_chair:
            _chase_chair(sweep, request, chase.waited)
        sweep.settle()


def _chase_chair(sweep: WorkflowPass, request: WaitingRequest, waited: int) -> None:
    """Tell the body's chair, when the workflow names one who belongs with the plan."""
    request_id, body, action_id = request.id, request.body, request.action_id
    bodies = sweep.planner.workflow.bodies
    chair = bodies[body].chair if body in bodies else None
    if chair is None:
        return
    found = sweep_store.person_in_council(sweep.session, chair, request.organisation)
    if found is None:
        return
    sweep.notice(
        notices.APPROVAL_CHASE,
        f"approval_chase:{request_id}",
        found,
        f"request {request_id} has waited {waited} working days: told the chair of {body}",
        request_id=request_id,
        action_id=action_id,
        data={"waiting_working_days": waited},
        due_at=sweep.send_at,
    )
