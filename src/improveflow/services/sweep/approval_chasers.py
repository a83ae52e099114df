"""The sweep's approval chasers: remind the members of a body who have not decided a request
that has waited too long, then tell the body's chair. Run only in working hours."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from improveflow.models import Action, ApprovalRequest, Decision, Person, Plan, RequestStatus
from improveflow.services import notices
from improveflow.services.organisations import people_of
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.store import table_of

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)
_REQUEST = table_of(ApprovalRequest)
_DECISION = table_of(Decision)


def chase_due(sweep: WorkflowPass) -> None:
    """Record a reminder for each undecided member, and a chase for the chair when due."""
    pending = sweep.session.connection().execute(
        sa.select(
            _REQUEST.c.id,
            _REQUEST.c.body,
            _REQUEST.c.created_at,
            _REQUEST.c.action_id,
            _REQUEST.c.requester_id,
            _PLAN.c.organisation,
        )
        .select_from(
            _REQUEST.join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id).join(
                _PLAN, _PLAN.c.id == _ACTION.c.plan_id
            )
        )
        .where(_REQUEST.c.status == RequestStatus.PENDING)
        .order_by(_REQUEST.c.id)
    )
    for request in pending.all():
        chase = sweep.planner.due_chase(request.created_at, sweep.now)
        if chase is None:
            continue
        decided = {
            row[0]
            for row in sweep.session.connection().execute(
                sa.select(_DECISION.c.person_id).where(_DECISION.c.request_id == request.id)
            )
        }
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


def _chase_chair(sweep: WorkflowPass, request: Any, waited: int) -> None:
    """Tell the body's chair, when the workflow names one who belongs with the plan."""
    request_id, body, action_id = request.id, request.body, request.action_id
    bodies = sweep.planner.workflow.bodies
    chair = bodies[body].chair if body in bodies else None
    if chair is None:
        return
    found = (
        sweep.session.connection()
        .execute(
            sa.select(_PERSON.c.id).where(_PERSON.c.email == chair, people_of(request.organisation))
        )
        .first()
    )
    if found is None:
        return
    sweep.notice(
        notices.APPROVAL_CHASE,
        f"approval_chase:{request_id}",
        found.id,
        f"request {request_id} has waited {waited} working days: told the chair of {body}",
        request_id=request_id,
        action_id=action_id,
        data={"waiting_working_days": waited},
        due_at=sweep.send_at,
    )
