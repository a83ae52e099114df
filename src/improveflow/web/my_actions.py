"""My actions: where an owner starts, with everything they own or stand in for."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from improveflow.services import my_actions
from improveflow.web.pages import page
from improveflow.web.state import ViewerDep, WebDep

router = APIRouter()


@router.get("/my-actions")
def my_actions_page(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    found = my_actions.my_actions(web.ctx, viewer.person_id, viewer.organisation)
    return page(
        request,
        web,
        "my_actions.html",
        {"mine": found, "kinds": my_actions.AskKind},
        viewer=viewer,
    )
