"""Who a person is, relative to one action: the words `requested_by` is written in; and whether
the action is within their reach at all, once an installation serves several councils."""

from __future__ import annotations

from sqlmodel import Session

from improveflow import exceptions
from improveflow.models import Role
from improveflow.stores import reach
from improveflow.stores.people import Actor
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

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


def refuse_action_out_of_reach(session: Session, person_id: int, action_id: int) -> None:
    """NotFound, in the words used for a missing action, unless the person's council holds it.

    Called before anything else is read or said about the action, so a person of another
    council learns nothing from the answer: not that it exists, nor its state or requests.
    """
    if not reach.action_in_reach(session, person_id, action_id):
        raise exceptions.NotFound(f"No action with id {action_id}")


def refuse_request_out_of_reach(session: Session, person_id: int, request_id: int) -> None:
    """NotFound, in the words used for a missing request, unless the person's council holds
    the action it is about. Called before the request is claimed or its outcome told."""
    if not reach.request_in_reach(session, person_id, request_id):
        raise exceptions.NotFound(f"No approval request with id {request_id}")
