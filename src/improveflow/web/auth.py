"""Signing in by a link asked for with an email address, and following any link in an email.

A link is used once: its nonce is spent and a session cookie takes over, so the page works
after the first click and a forwarded email cannot be used again. Only a sign-in link signs
its person in; any other link opens a visit to its own page alone, for an hour
(web.visit_scope). Someone already signed in as the link's person is simply taken to the page.

Opening a link only shows a Continue button, naming whose link it is; the link is spent when
that is pressed. Mail security scanners (Microsoft Defender's Safe Links, for one) open every
link in an email to check it, and would otherwise use up each one-use link before its person
clicked it.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.background import BackgroundTask

from improveflow import exceptions
from improveflow.links import describe_age, milestone_slug
from improveflow.models import Role
from improveflow.reminders.peer_challenge import MilestoneKind
from improveflow.services import my_actions, sessions, sign_in, sign_in_limits
from improveflow.services.link_scope import LinkScope
from improveflow.services.sessions import Viewer
from improveflow.services.sign_in_limits import Limit, Refusal, SignInLimits
from improveflow.web.pages import FieldError, local_path, message, moment, page, redirect
from improveflow.web.state import (
    AnonymousPost,
    MaybeViewer,
    PostingViewer,
    WebDep,
    WebState,
    clear_session_cookie,
    session_key,
    set_session_cookie,
)

router = APIRouter()
log = logging.getLogger(__name__)


def follow_link(
    request: Request,
    web: WebState,
    viewer: Viewer | None,
    token: str,
    purpose: str,
    bound: dict[str, int] | None = None,
) -> Response:
    """The page a link in an email opens: its Continue button, or for its own person the page
    it leads to. `bound` is what the page's address says the link must carry.

    Raises LinkInvalid, LinkExpired or LinkUsed, which the app shows as a page saying how to
    get a new link.
    """
    use = sign_in.check_link(web.ctx, token, purpose)
    for key, value in (bound or {}).items():
        if use.payload.get(key) != value:
            # A genuine token pasted onto another page's address.
            raise exceptions.LinkInvalid()
    if viewer is not None and viewer.person_id == use.person_id:
        sign_in.spend_link(web.ctx, token, purpose)
        return redirect(_destination(use))
    if sign_in.link_spent(web.ctx, use):
        raise exceptions.LinkUsed(sign_in.LINK_USED)
    scope = LinkScope.for_link(purpose, use.payload)
    # Someone signed in (not on a visit from another link) is told whose account they leave.
    signed_in = viewer if viewer is not None and viewer.scope is None else None
    # The button posts where a visit from another link is nobody: the page's form must too.
    request.state.viewer = signed_in
    return page(
        request,
        web,
        "continue.html",
        {
            "token": token,
            "purpose": purpose,
            "going_to": _GOING_TO[purpose],
            "person": sign_in.person_of_link(web.ctx, use),
            "scoped": scope is not None,
            "opens": "that plan's peer-challenge timetable only"
            if purpose == "timetable"
            else "that page only",
            "visit_lasts": describe_age(sessions.LINK_SESSION),
            "signed_in_lasts": describe_age(sessions.SIGN_IN_SESSION),
        },
        viewer=signed_in,
    )


_MILESTONES = frozenset(kind.value for kind in MilestoneKind)

# What the Continue button leads to, in the words of the page that shows it.
_GOING_TO = {
    "sign_in": "sign in to improveflow",
    "action": "see the action",
    "approval": "see the request for a decision",
    "preferences": "choose how you get reminders",
    "timetable": "mark a peer-challenge milestone done",
}


def _destination(use: sign_in.LinkUse) -> str:
    """The page a link leads to, from the link itself rather than from the form."""
    payload = use.payload
    if use.purpose == "action" and isinstance(payload.get("action"), int):
        return f"/actions/{payload['action']}"
    if use.purpose == "approval" and isinstance(payload.get("request"), int):
        return f"/approvals/{payload['request']}"
    if use.purpose == "preferences":
        return "/preferences"
    if use.purpose == "timetable" and isinstance(payload.get("plan"), int):
        milestone = payload.get("milestone")
        if isinstance(milestone, str) and milestone in _MILESTONES:
            return f"/plans/{payload['plan']}/timetable/{milestone_slug(milestone)}"
        return f"/plans/{payload['plan']}/timetable"
    return "/"


@router.post("/links/follow")
def continue_link(
    request: Request,
    web: WebDep,
    viewer: AnonymousPost,
    token: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> Response:
    """The Continue button: spend the link, start its visit (or sign its person in), and go to
    its page."""
    if purpose not in _GOING_TO:
        raise exceptions.LinkInvalid()
    use = sign_in.check_link(web.ctx, token, purpose)
    then = _destination(use)
    if viewer is not None and viewer.person_id == use.person_id:
        sign_in.spend_link(web.ctx, token, purpose)
        return redirect(then)
    _, new = sign_in.sign_in_with_link(web.ctx, token, purpose)
    old = session_key(request, web)
    if old:
        sessions.end_session(web.ctx, old)
    response = redirect(then)
    set_session_cookie(request, response, web, new)
    return response


def home_for(web: WebState, viewer: Viewer) -> str:
    """Where a person starts: their actions if they have any to look after (their own, or
    those of someone they stand in for), else the approvals queue if they decide, else plans."""
    if my_actions.owns_or_stands_in(web.ctx, viewer.person_id, viewer.organisation):
        return "/my-actions"
    if viewer.deciding_bodies:
        return "/approvals"
    return "/plans"


@router.get("/")
def home(web: WebDep, viewer: MaybeViewer) -> Response:
    return redirect(home_for(web, viewer) if viewer else "/sign-in")


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    token: str | None = None,
    next: str | None = None,
) -> Response:
    if token is not None:
        return follow_link(request, web, viewer, token, "sign_in")
    return _sign_in_form(request, web, "", asked_for=bool(local_path(next, "")))


def _sign_in_form(
    request: Request,
    web: WebState,
    email: str,
    *,
    asked_for: bool = False,
    status: int = 200,
    errors: list[FieldError] | None = None,
) -> Response:
    limits = SignInLimits.from_settings(web.ctx.settings)
    return page(
        request,
        web,
        "sign_in.html",
        {
            "email": email,
            "asked_for": asked_for,
            "per_address": limits.per_address,
            "link_lasts": describe_age(sign_in.signer(web.ctx).max_age("sign_in")),
        },
        status=status,
        errors=errors,
    )


def _too_many(refusal: Refusal) -> str:
    """Why the form sends no link now, the same whether or not the address is known."""
    after = moment(refusal.room_at)
    if refusal.limit is Limit.ADDRESS:
        return (
            f"You have asked for {refusal.allowed} sign-in links for this email address in the "
            "last hour, which is as many as improveflow sends. If improveflow knows the "
            f"address, use the link in the latest email; or ask again after {after}"
        )
    if refusal.limit is Limit.CLIENT:
        return (
            "Too many sign-in links have been asked for from your network in the last hour. "
            f"Ask again after {after}"
        )
    return (
        "improveflow has sent as many sign-in links as it can for the moment. "
        f"Ask again after {after}"
    )


def _send_link_afterwards(web: WebState, address: str) -> None:
    """Queue the sign-in email once the answer has gone (a failure is logged, not shown)."""
    try:
        sign_in.send_sign_in_link(web.ctx, address)
    except Exception:
        log.exception("could not queue a sign-in email")


@router.post("/sign-in")
def ask_for_link(
    request: Request,
    web: WebDep,
    viewer: AnonymousPost,
    email: Annotated[str, Form()] = "",
) -> Response:
    address = " ".join(email.split())
    if not address or "@" not in address or len(address) > 320:
        problem = (
            "Enter your email address"
            if not address
            else "Enter an email address in the right form, like name@council.gov.uk"
        )
        return _sign_in_form(
            request, web, address, status=400, errors=[FieldError("email", problem)]
        )
    client = request.client.host if request.client else "unknown"
    refusal = sign_in_limits.admit(web.ctx, address, client)
    if refusal is not None:
        response = _sign_in_form(
            request, web, address, status=429, errors=[FieldError("email", _too_many(refusal))]
        )
        wait = refusal.room_at - web.ctx.clock.now()
        response.headers["retry-after"] = str(max(int(wait.total_seconds()) + 1, 1))
        return response
    # The same answer, by the same path, whether or not the address is known, so neither the
    # page nor the time it takes tells anyone who works here: who the address belongs to is
    # looked up only after the answer has gone.
    limits = SignInLimits.from_settings(web.ctx.settings)
    response = page(
        request, web, "check_email.html", {"email": address, "per_address": limits.per_address}
    )
    response.background = BackgroundTask(_send_link_afterwards, web, address)
    return response


@router.post("/sign-out")
def sign_out(request: Request, web: WebDep, viewer: PostingViewer) -> Response:
    key = session_key(request, web)
    if key:
        sessions.end_session(web.ctx, key)
    request.state.viewer = None
    response = message(
        request,
        web,
        "You have signed out",
        ["To use improveflow again, follow a link in one of its emails or sign in."],
        status=200,
        links=[("/sign-in", "Sign in")],
    )
    clear_session_cookie(request, response)
    return response


@router.get("/help")
def help_page(request: Request, web: WebDep) -> Response:
    """Plain help, the same for everyone: also the benchmark's page without database work."""
    return page(request, web, "help.html", forms=False)


# Besides bodies' members: those who follow plans for others. A scrutiny officer follows the
# executive's plans for the committee, which may see them all; the chief executive is told of
# a plan's timetable, and its emails point to the dashboard.
_DASHBOARD_ROLES = frozenset(
    {
        Role.PEER_CHALLENGE_LEAD.value,
        Role.ADMIN.value,
        Role.SCRUTINY_OFFICER.value,
        Role.CHIEF_EXECUTIVE.value,
    }
)


def may_see_dashboards(viewer: Viewer) -> bool:
    return bool(viewer.bodies or viewer.deputy_bodies or _DASHBOARD_ROLES & viewer.roles)
