"""Who a person is, relative to one action: the words `requested_by` is written in."""

from __future__ import annotations

from improveflow.models import Role
from improveflow.store import Actor
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
