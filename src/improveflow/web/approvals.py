"""The approvals queue and the page where a CMT or Cabinet member decides on a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from improveflow import exceptions
from improveflow.models import RequestStatus, Verdict
from improveflow.services import approval_queue, approvals
from improveflow.services.approval_queue import RequestView
from improveflow.services.sessions import Viewer
from improveflow.web import request_wording
from improveflow.web.auth import follow_link
from improveflow.web.errors import status_for
from improveflow.web.pages import FieldError, page, redirect
from improveflow.web.request_wording import RequestWording
from improveflow.web.state import MaybeViewer, PostingViewer, ViewerDep, WebDep, WebState

router = APIRouter()

QUEUE_PAGE = 25
DONE = {
    "approve": "You approved this request.",
    "reject": "You rejected this request. The person who asked will be told, with your comment.",
}


def _describe(web: WebState, request: RequestView) -> RequestWording:
    """What the request would change or, once closed, what was asked and what became of it."""
    return request_wording.describe(web.ctx.workflows.workflow(request.workflow), request)


def _refuse_outsider(viewer: Viewer, request: RequestView, body_title: str) -> None:
    if request.body not in viewer.deciding_bodies:
        raise exceptions.NotAMember(
            f"Only members of {body_title} (or a member's named deputy) can decide on this "
            f"request, and you are not one. If you think you should be, ask your improveflow "
            "administrator."
        )


@router.get("/approvals")
def queue(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    if not viewer.deciding_bodies:
        raise exceptions.NotAllowedToView(
            "The approvals queue is for members of an approving body such as CMT or Cabinet, "
            "and you are not a member of one."
        )
    found = approval_queue.approvals_queue(
        web.ctx,
        viewer.person_id,
        viewer.deciding_bodies,
        viewer.organisation,
        page=page_number,
        size=QUEUE_PAGE,
    )
    return page(
        request,
        web,
        "approvals.html",
        {
            "queue": found,
            "described": {item.id: _describe(web, item) for item in found.items},
            "page_number": max(page_number, 1),
            "has_next": page_number * QUEUE_PAGE < found.total,
        },
        viewer=viewer,
    )


def _render(
    request: Request,
    web: WebState,
    viewer: Viewer,
    request_id: int,
    *,
    errors: list[FieldError] | None = None,
    refusal: str | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    found = approval_queue.request_view(web.ctx, request_id, viewer.organisation)
    described = _describe(web, found)
    _refuse_outsider(viewer, found, described.body_title)
    voted = any(d.person_id == viewer.person_id for d in found.decisions)
    return page(
        request,
        web,
        "approval.html",
        {
            "item": found,
            "described": described,
            "pending": found.status is RequestStatus.PENDING,
            "own": found.requester_id == viewer.person_id,
            "voted": voted,
            "approvals": sum(d.verdict is Verdict.APPROVE for d in found.decisions),
            "refusal": refusal,
            "form": form or {},
            "done": DONE.get(done or ""),
        },
        viewer=viewer,
        status=status,
        errors=errors,
    )


@router.get("/approvals/{request_id}")
def approval_page(
    request_id: int,
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    token: str | None = None,
    done: str | None = None,
) -> Response:
    if token is not None:
        return follow_link(request, web, viewer, token, "approval", {"request": request_id})
    if viewer is None:
        raise exceptions.NotSignedIn()
    return _render(request, web, viewer, request_id, done=done)


@router.post("/approvals/{request_id}")
def decide(
    request_id: int,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    verdict: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    form = {"verdict": verdict, "comment": comment}
    found = approval_queue.request_view(web.ctx, request_id, viewer.organisation)
    _refuse_outsider(viewer, found, _describe(web, found).body_title)
    try:
        chosen = Verdict(verdict)
    except ValueError:
        return _render(
            request, web, viewer, request_id, form=form, status=400,
            errors=[FieldError("verdict-approve", "Choose whether to approve or reject")],
        )  # fmt: skip
    try:
        approvals.decide(web.ctx, request_id, chosen, by_email=viewer.email, comment=comment)
    except exceptions.InvalidValue as error:
        return _render(
            request, web, viewer, request_id, form=form, status=400,
            errors=[FieldError("comment", error.message)],
        )  # fmt: skip
    except exceptions.Refused as error:
        # Decided by someone else a moment ago, own request, already voted, or the action
        # moved on: the page says which, and shows the request as it now stands.
        return _render(
            request, web, viewer, request_id, form=form, status=status_for(error),
            refusal=error.message,
        )  # fmt: skip
    return redirect(f"/approvals/{request_id}", done=chosen.value)
