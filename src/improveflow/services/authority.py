"""Who a person is, relative to one action: the words `requested_by` is written in; and whether
the action is within their reach at all, once an installation serves several councils."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import exceptions
from improveflow.models import Action, ApprovalRequest, Plan, Role
from improveflow.services.organisations import people_of
from improveflow.store import Actor, table_of
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_REQUEST = table_of(ApprovalRequest)

_DESCRIBED = {
    OWNER: "the action's owner",
    LEAD: "a peer-challenge lead",
    ADMIN: "an administrator",
}


def standing(actor: Actor, owner_id: int | None) -> set[str]:
    """Every requester kind `actor` counts as for an action (owner, lead, admin, bodies)."""
    kinds: set[str] = set(actor.bodies)
    if owner_id is not None and owner_id == actor.id:
        kinds.add(OWNER)
    if Role.PEER_CHALLENGE_LEAD in actor.roles:
        kinds.add(LEAD)
    if Role.ADMIN in actor.roles:
        kinds.add(ADMIN)
    return kinds


def describe(kinds: set[str] | frozenset[str]) -> str:
    """'the action's owner, a peer-challenge lead or a member of CMT'."""
    words = [_DESCRIBED.get(kind, f"a member of {kind}") for kind in sorted(kinds, key=_order)]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _order(kind: str) -> tuple[int, str]:
    return (list(_DESCRIBED).index(kind) if kind in _DESCRIBED else len(_DESCRIBED), kind)


# Reach: another council's action is answered exactly as a missing one ----------------------------

_PERSON_ID = sa.bindparam("person_id", type_=sa.Integer)
_ACTION_IN_REACH = (
    sa.select(_ACTION.c.id)
    .select_from(_ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id))
    .where(_ACTION.c.id == sa.bindparam("action_id"), people_of(_PLAN.c.organisation, _PERSON_ID))
)
_REQUEST_IN_REACH = (
    sa.select(_REQUEST.c.id)
    .select_from(
        _REQUEST.join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id).join(
            _PLAN, _PLAN.c.id == _ACTION.c.plan_id
        )
    )
    .where(_REQUEST.c.id == sa.bindparam("request_id"), people_of(_PLAN.c.organisation, _PERSON_ID))
)


def refuse_action_out_of_reach(session: Session, person_id: int, action_id: int) -> None:
    """NotFound, in the words used for a missing action, unless the person's council holds it.

    Called before anything else is read or said about the action, so a person of another
    council learns nothing from the answer: not that it exists, nor its state or requests.
    """
    found = session.connection().execute(
        _ACTION_IN_REACH, {"action_id": action_id, "person_id": person_id}
    )
    if found.first() is None:
        raise exceptions.NotFound(f"No action with id {action_id}")


def refuse_request_out_of_reach(session: Session, person_id: int, request_id: int) -> None:
    """NotFound, in the words used for a missing request, unless the person's council holds
    the action it is about. Called before the request is claimed or its outcome told."""
    found = session.connection().execute(
        _REQUEST_IN_REACH, {"request_id": request_id, "person_id": person_id}
    )
    if found.first() is None:
        raise exceptions.NotFound(f"No approval request with id {request_id}")
