"""The List-Unsubscribe address: RFC 8058 one-click unsubscribe, and its page for people.

A mail provider POSTs `List-Unsubscribe=One-Click` to the address in the email's header,
with no cookie and no form token: the link's own token is the only authority, for this one
change. A GET (a person following the link, or a mail scanner checking it) changes nothing:
it shows what unsubscribing does, with a button that sends the same POST.

These pages neither read nor set a cookie, so they cannot start or use a session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.links import describe_age
from improveflow.services import sign_in, unsubscribe
from improveflow.web.pages import page
from improveflow.web.state import WebDep, WebState

router = APIRouter()

TEMPLATE = "unsubscribe.html"
ONE_CLICK_FIELD = "List-Unsubscribe"


def _refused(request: Request, web: WebState, error: exceptions.LinkError) -> Response:
    """A clear page for a link that is out of date, changed or not an unsubscribe link."""
    expired = isinstance(error, exceptions.LinkExpired)
    lasts = describe_age(sign_in.signer(web.ctx).max_age(unsubscribe.PURPOSE))
    return page(
        request,
        web,
        TEMPLATE,
        {"step": "expired" if expired else "invalid", "link_lasts": lasts},
        status=410 if expired else 400,
        forms=False,
    )


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, web: WebDep, token: str = "") -> Response:
    """What unsubscribing does, and the button that does it. Changes nothing by itself."""
    try:
        found = unsubscribe.subscriber(web.ctx, token)
    except exceptions.LinkError as error:
        return _refused(request, web, error)
    step = "already" if found.unsubscribed else "confirm"
    return page(
        request, web, TEMPLATE, {"step": step, "name": found.name, "token": token}, forms=False
    )


def one_click(
    request: Request, web: WebState, token: str, field: str, purpose: str = unsubscribe.PURPOSE
) -> Response:
    """Unsubscribe the token's person, if the POST carries `List-Unsubscribe=One-Click`."""
    # The link is the only authority here: a session cookie, if one was sent, plays no part
    # and the page shows nobody signed in.
    request.state.viewer = None
    if field != unsubscribe.ONE_CLICK:
        return page(request, web, TEMPLATE, {"step": "not_one_click"}, status=400, forms=False)
    try:
        found = unsubscribe.unsubscribe(web.ctx, token, purpose)
    except exceptions.LinkError as error:
        return _refused(request, web, error)
    step = "already" if found.unsubscribed else "done"
    return page(request, web, TEMPLATE, {"step": step, "name": found.name}, forms=False)


@router.post("/unsubscribe")
def unsubscribe_now(
    request: Request,
    web: WebDep,
    token: str = "",
    field: Annotated[str, Form(alias=ONE_CLICK_FIELD)] = "",
) -> Response:
    """The RFC 8058 POST, from a mail provider or from the page's button."""
    return one_click(request, web, token, field)
