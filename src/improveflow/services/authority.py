"""Who a person is, relative to one action: the words `requested_by` is written in."""

from __future__ import annotations

from sqlmodel import Session

from improveflow import store
from improveflow.models import Action, Person, Role
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

_DESCRIBED = {
    OWNER: "the action's owner",
    LEAD: "a peer-challenge lead",
    ADMIN: "an administrator",
}


def standing(session: Session, person: Person, action: Action) -> set[str]:
    """Every requester kind `person` counts as for `action` (owner, lead, admin, bodies)."""
    assert person.id is not None
    kinds: set[str] = set(store.bodies_of(session, person.id))
    roles = store.roles_of(session, person.id)
    if action.owner_id == person.id:
        kinds.add(OWNER)
    if Role.PEER_CHALLENGE_LEAD in roles:
        kinds.add(LEAD)
    if Role.ADMIN in roles:
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
