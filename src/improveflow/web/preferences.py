"""How a person gets reminders: the page every email's footer (and List-Unsubscribe) links to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions, store
from improveflow.services import people
from improveflow.web.auth import follow_link
from improveflow.web.pages import FieldError, page, redirect
from improveflow.web.state import MaybeViewer, PostingViewer, WebDep, WebState

router = APIRouter()

CHOICES = (
    ("immediate", "As soon as each reminder is due"),
    ("daily_digest", "In one email a day that lists them all"),
)


def _current(web: WebState, person_id: int) -> str:
    with web.ctx.database.reading() as session:
        return store.person_by_id(session, person_id).reminder_delivery


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
    viewer: PostingViewer,
    delivery: Annotated[str, Form()] = "",
) -> Response:
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
