"""How a person gets reminders: the page every email's footer links to.

Emails sent before the List-Unsubscribe header had an address of its own (/unsubscribe) point
it here, with a preferences link: a one-click POST to that address still unsubscribes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.services import people, preferences
from improveflow.web import unsubscribe
from improveflow.web.auth import follow_link
from improveflow.web.pages import FieldError, page, redirect
from improveflow.web.state import MaybeViewer, WebDep, WebState, checked_form

router = APIRouter()

CHOICES = (
    ("immediate", "As soon as each reminder is due"),
    ("daily_digest", "In one email a day that lists them all"),
)


def _current(web: WebState, person_id: int) -> str:
    return preferences.reminder_delivery(web.ctx, person_id)


@router.get("/preferences")
def preferences_page(
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    token: str | None = None,
    done: str | None = None,
) -> Response:
    if token is not None:
        return follow_link(request, web, viewer, token, "preferences")
    if viewer is None:
        raise exceptions.NotSignedIn()
    return page(
        request,
        web,
        "preferences.html",
        {"choices": CHOICES, "chosen": _current(web, viewer.person_id), "done": bool(done)},
        viewer=viewer,
    )


@router.post("/preferences")
def save_preferences(
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    delivery: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    one_click: Annotated[str | None, Form(alias=unsubscribe.ONE_CLICK_FIELD)] = None,
    token: str | None = None,
) -> Response:
    if token is not None and one_click is not None:
        # An RFC 8058 POST to an older email's List-Unsubscribe address: no session, no form
        # token; the link is the authority, as on /unsubscribe.
        return unsubscribe.one_click(request, web, token, one_click, purpose="preferences")
    viewer = checked_form(request, web, viewer, csrf_token)
    if delivery not in dict(CHOICES):
        return page(
            request,
            web,
            "preferences.html",
            {"choices": CHOICES, "chosen": _current(web, viewer.person_id), "done": False},
            viewer=viewer,
            status=400,
            errors=[FieldError("delivery-immediate", "Choose how you want to get reminders")],
        )
    people.set_delivery(web.ctx, viewer.email, delivery)
    return redirect("/preferences", done="saved")
