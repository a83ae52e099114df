"""Signing in: by a magic link asked for with an email address, or by any link in an email.

A link signs its person in once: its nonce is spent and a session cookie takes over, so the
page works after the first click and a forwarded email cannot be used again. Someone already
signed in as the link's person is simply taken to the page.

Opening a link only shows a Continue button; the link is spent when that is pressed. Mail
security scanners (Microsoft Defender's Safe Links, for one) open every link in an email to
check it, and would otherwise use up each one-use link before its person clicked it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.models import Role
from improveflow.services import tokens
from improveflow.services.tokens import Viewer
from improveflow.web.pages import FieldError, local_path, message, page, redirect
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
    use = tokens.check_link(web.ctx, token, purpose)
    for key, value in (bound or {}).items():
        if use.payload.get(key) != value:
            # A genuine token pasted onto another page's address.
            raise exceptions.LinkInvalid()
    if viewer is not None and viewer.person_id == use.person_id:
        tokens.spend_link(web.ctx, token, purpose)
        return redirect(_destination(use))
    if tokens.link_spent(web.ctx, use):
        raise exceptions.LinkUsed(tokens.LINK_USED)
    return page(
        request,
        web,
        "continue.html",
        {"token": token, "purpose": purpose, "going_to": _GOING_TO[purpose]},
        viewer=viewer,
    )


# What the Continue button leads to, in the words of the page that shows it.
_GOING_TO = {
    "sign_in": "sign in to improveflow",
    "action": "see the action",
    "approval": "see the request for a decision",
    "preferences": "choose how you get reminders",
}


def _destination(use: tokens.LinkUse) -> str:
    """The page a link leads to, from the link itself rather than from the form."""
    payload = use.payload
    if use.purpose == "action" and isinstance(payload.get("action"), int):
        return f"/actions/{payload['action']}"
    if use.purpose == "approval" and isinstance(payload.get("request"), int):
        return f"/approvals/{payload['request']}"
    if use.purpose == "preferences":
        return "/preferences"
    return "/"


@router.post("/links/follow")
def continue_link(
    request: Request,
    web: WebDep,
    viewer: AnonymousPost,
    token: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> Response:
    """The Continue button: spend the link, sign its person in, and go to its page."""
    if purpose not in _GOING_TO:
        raise exceptions.LinkInvalid()
    use = tokens.check_link(web.ctx, token, purpose)
    then = _destination(use)
    if viewer is not None and viewer.person_id == use.person_id:
        tokens.spend_link(web.ctx, token, purpose)
        return redirect(then)
    _, new = tokens.sign_in_with_link(web.ctx, token, purpose)
    old = session_key(request, web)
    if old:
        tokens.end_session(web.ctx, old)
    response = redirect(then)
    set_session_cookie(request, response, web, new)
    return response


def home_for(viewer: Viewer) -> str:
    if viewer.deciding_bodies:
        return "/approvals"
    return "/plans"


@router.get("/")
def home(viewer: MaybeViewer) -> Response:
    return redirect(home_for(viewer) if viewer else "/sign-in")


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
    return page(
        request, web, "sign_in.html", {"email": "", "asked_for": bool(local_path(next, ""))}
    )


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
        return page(
            request,
            web,
            "sign_in.html",
            {"email": address, "asked_for": False},
            status=400,
            errors=[FieldError("email", problem)],
        )
    tokens.send_sign_in_link(web.ctx, address)
    # The same answer whether or not the address is known, so the form cannot be used to
    # find out who works here.
    return page(request, web, "check_email.html", {"email": address})


@router.post("/sign-out")
def sign_out(request: Request, web: WebDep, viewer: PostingViewer) -> Response:
    key = session_key(request, web)
    if key:
        tokens.end_session(web.ctx, key)
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


def may_see_dashboards(viewer: Viewer) -> bool:
    return bool(
        viewer.bodies
        or viewer.deputy_bodies
        or {Role.PEER_CHALLENGE_LEAD.value, Role.ADMIN.value} & viewer.roles
    )
