"""Which requests a visit from a link may make: its own page, its forms, and signing out.

Checked once, where the signed-in person is looked up (web.state): outside its scope a visit
from a link is nobody at all, so every other page sends it to sign in and shows nothing of
itself. Each scope names the routes it opens and the records they may name; any other id in
the path, the query or the form closes the door.
"""

from __future__ import annotations

from fastapi import Request

from improveflow.services import link_scope
from improveflow.services.context import Context
from improveflow.services.link_scope import LinkScope, ScopeKind
from improveflow.web.request_ids import as_id, named_ids

# (method, route) each kind of visit may use; the routes are the pages' own path templates.
_ROUTES: dict[ScopeKind, frozenset[tuple[str, str]]] = {
    ScopeKind.ACTION: frozenset(
        {
            ("GET", "/actions/{action_id}"),
            ("POST", "/actions/{action_id}/progress"),
            ("POST", "/actions/{action_id}/change"),
            ("POST", "/actions/{action_id}/withdraw"),
        }
    ),
    ScopeKind.APPROVAL: frozenset(
        {("GET", "/approvals/{request_id}"), ("POST", "/approvals/{request_id}")}
    ),
    ScopeKind.PREFERENCES: frozenset({("GET", "/preferences"), ("POST", "/preferences")}),
    # A plan's timetable, and the form that marks each of its milestones done.
    ScopeKind.TIMETABLE: frozenset(
        {
            ("GET", "/plans/{plan_id}/timetable"),
            ("GET", "/plans/{plan_id}/timetable/{milestone}"),
            ("POST", "/plans/{plan_id}/timetable/{milestone}"),
        }
    ),
}
# Every visit may end itself.
_ALWAYS = frozenset({("POST", "/sign-out")})

# What the page of each kind of visit is called, for the pages that say so.
PAGE_NAMES = {
    ScopeKind.ACTION: "this action",
    ScopeKind.APPROVAL: "this request for a decision",
    ScopeKind.PREFERENCES: "your reminder settings",
    ScopeKind.TIMETABLE: "this plan's peer-challenge timetable",
}


def _route_of(request: Request) -> tuple[str, str] | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return (request.method, path) if isinstance(path, str) else None


def permits(ctx: Context, request: Request, scope: LinkScope) -> bool:
    """Whether a visit from a link with `scope` may make this request."""
    route = _route_of(request)
    ids = named_ids(request)
    if route is None or ids is None:
        # Not a page of the app, or its ids were not read: nothing is known to be in scope.
        return False
    if route in _ALWAYS:
        return not ids
    if route not in _ROUTES[scope.kind]:
        return False
    if scope.kind is ScopeKind.PREFERENCES:
        return not ids
    if scope.kind is ScopeKind.TIMETABLE:
        # The plan itself, and which of its milestones (a word the page checks, not an id).
        return all(
            field == "milestone" or (field == "plan_id" and as_id(value) == scope.record_id)
            for field, value in ids
        )
    if scope.kind is ScopeKind.APPROVAL:
        return all(
            field == "request_id" and as_id(value) == scope.record_id for field, value in ids
        )
    # An action's page and forms: the action itself, and requests made on it (to withdraw one).
    assert scope.record_id is not None
    requests: set[int] = set()
    for field, value in ids:
        number = as_id(value)
        if number is None:
            return False
        if field == "action_id":
            if number != scope.record_id:
                return False
        elif field == "request_id":
            requests.add(number)
        else:
            return False
    return link_scope.requests_of_action(ctx, scope.record_id, requests)
