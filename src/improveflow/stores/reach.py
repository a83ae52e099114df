"""Whether an action or a request is within a person's reach.

A plan belongs with the people of its own council and with people who have none recorded; a
plan with no council belongs with everyone. The reach checks run on every request and
decision, so they are Core statements built once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, ApprovalRequest, Person, PersonOrganisation, Plan
from improveflow.stores.people.councils import people_of
from improveflow.stores.tables import table_of

_action = table_of(Action)
_plan = table_of(Plan)
_request = table_of(ApprovalRequest)
_person = table_of(Person)
_person_org = table_of(PersonOrganisation)


_PERSON_ID = sa.bindparam("person_id", type_=sa.Integer)
_ACTION_IN_REACH = (
    sa.select(_action.c.id)
    .select_from(_action.join(_plan, _plan.c.id == _action.c.plan_id))
    .where(_action.c.id == sa.bindparam("action_id"), people_of(_plan.c.organisation, _PERSON_ID))
)
_REQUEST_IN_REACH = (
    sa.select(_request.c.id)
    .select_from(
        _request.join(_action, _action.c.id == _request.c.action_id).join(
            _plan, _plan.c.id == _action.c.plan_id
        )
    )
    .where(_request.c.id == sa.bindparam("request_id"), people_of(_plan.c.organisation, _PERSON_ID))
)


def action_in_reach(session: Session, person_id: int, action_id: int) -> bool:
    """Whether the action exists and its plan belongs with the person."""
    found = session.connection().execute(
        _ACTION_IN_REACH, {"action_id": action_id, "person_id": person_id}
    )
    return found.first() is not None


def request_in_reach(session: Session, person_id: int, request_id: int) -> bool:
    """Whether the request exists and the plan of the action it is about belongs with the person."""
    found = session.connection().execute(
        _REQUEST_IN_REACH, {"request_id": request_id, "person_id": person_id}
    )
    return found.first() is not None
