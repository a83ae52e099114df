"""The action page: what an owner reaches from a reminder, and the forms to act on it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.calendar import WorkingCalendar, as_london
from improveflow.services import approval_queue, approvals, dashboard, progress, views
from improveflow.services.authority import standing
from improveflow.services.tokens import Viewer
from improveflow.web.auth import follow_link
from improveflow.web.errors import status_for
from improveflow.web.pages import FieldError, page, redirect
from improveflow.web.state import MaybeViewer, PostingViewer, WebDep, WebState

router = APIRouter()

DONE = {
    "progress": "Your progress update has been saved.",
    "requested": "Your request has been sent for approval. You will get an email when it is "
    "decided.",
    "applied": "Done: the action has been updated.",
    "withdrawn": "Your request has been withdrawn.",
}
EVENT_WORDS = {
    "action_created": "Action added",
    "imported": "Imported from the plan document",
    "progress": "Progress update",
    "requested": "Change asked for",
    "decision": "Decision given",
    "transition": "State changed",
    "approved": "Request approved",
    "rejected": "Request rejected",
    "withdrawn": "Request withdrawn",
    "superseded": "Request closed: the action had moved on",
    "escalated": "Escalated",
    "escalation_closed": "Escalation closed",
}


def parse_date(text: str) -> date | None:
    """'2015-05-31' (what a date field sends) or '31/5/2015' typed by hand; None if neither."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _view(web: WebState, viewer: Viewer, action_id: int) -> dict[str, Any]:
    ctx = web.ctx
    detail = views.action_detail(ctx, action_id)
    plan = dashboard.plan_for(ctx, detail["plan_id"], viewer.organisation)
    engine = ctx.workflows.engine(plan.workflow)
    workflow = engine.workflow
    owner_id = viewer.person_id if detail["owner_email"] == viewer.email else None
    kinds = standing(viewer.actor, owner_id)
    pending = None
    if detail["pending_request_id"] is not None:
        pending = approval_queue.request_view(
            ctx, detail["pending_request_id"], viewer.organisation
        )
    changes = []
    for trigger in engine.triggers_from(detail["state"]):
        transition = workflow.transition(trigger)
        if kinds & transition.requested_by:
            rule = workflow.approval_for(trigger, plan.kind, plan.approval_overrides)
            body = workflow.body_title(rule.body) if rule else None
            changes.append({"transition": transition, "approver": body})
    today = as_london(ctx.clock.now()).date()
    target = date.fromisoformat(detail["target_date"]) if detail["target_date"] else None
    return {
        "action": detail,
        "plan": plan,
        "state_label": workflow.states[detail["state"]].label,
        "states": {name: state.label for name, state in workflow.states.items()},
        "progress": dashboard.progress_of(ctx, action_id, 5),
        # Newest first; notices (who was emailed) are the outbox's business, not the story.
        "history": [e for e in reversed(detail["history"]) if not e["event"].startswith("notice_")],
        "event_words": EVENT_WORDS,
        "pending": pending,
        "pending_label": workflow.transition(pending.transition).label if pending else "",
        "changes": [] if pending else changes,
        "may_update": bool(kinds & progress.MAY_RECORD_PROGRESS),
        "target": target,
        "days_left": (target - today).days if target else None,
        "working_days_left": WorkingCalendar().working_days_between(today, target)
        if target
        else None,
        "form": {},
        "done": None,
    }


def _render(
    request: Request,
    web: WebState,
    viewer: Viewer,
    action_id: int,
    *,
    errors: list[FieldError] | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    values = _view(web, viewer, action_id)
    values["form"] = form or {}
    values["done"] = DONE.get(done or "")
    return page(request, web, "action.html", values, viewer=viewer, status=status, errors=errors)


@router.get("/actions/{action_id}")
def action_page(
    action_id: int,
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    token: str | None = None,
    done: str | None = None,
) -> Response:
    if token is not None:
        return follow_link(request, web, viewer, token, "action", {"action": action_id})
    if viewer is None:
        raise exceptions.NotSignedIn()
    return _render(request, web, viewer, action_id, done=done)


@router.post("/actions/{action_id}/progress")
def add_progress(
    action_id: int,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    text: Annotated[str, Form()] = "",
    rag: Annotated[str, Form()] = "",
) -> Response:
    form = {"text": text, "rag": rag}
    try:
        rating = progress.parse_rag(rag) if rag else None
        progress.record_progress(web.ctx, action_id, text, rating, by_email=viewer.email)
    except exceptions.InvalidValue as error:
        field = "progress-rag" if "RAG" in error.message else "progress-text"
        return _render(
            request, web, viewer, action_id,
            errors=[FieldError(field, error.message)], form=form, status=400,
        )  # fmt: skip
    except exceptions.Refused as error:
        return _render(
            request, web, viewer, action_id,
            errors=[FieldError("", error.message)], form=form, status=status_for(error),
        )  # fmt: skip
    return redirect(f"/actions/{action_id}", done="progress")


@router.post("/actions/{action_id}/change")
def ask_for_change(
    action_id: int,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    trigger: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    new_target_date: Annotated[str, Form()] = "",
) -> Response:
    form = {"trigger": trigger, "reason": reason, "new_target_date": new_target_date}
    prefix = f"change-{trigger}"
    new_date = None
    if new_target_date.strip():
        new_date = parse_date(new_target_date)
        if new_date is None:
            return _render(
                request, web, viewer, action_id, form=form, status=400,
                errors=[FieldError(f"{prefix}-date",
                                   "Enter the new target date as a date, like 31/05/2015")],
            )  # fmt: skip
    try:
        result = approvals.request_change(
            web.ctx, action_id, trigger, by_email=viewer.email, reason=reason,
            new_target_date=new_date,
        )  # fmt: skip
    except (exceptions.ConditionNotMet, exceptions.InvalidValue) as error:
        field = f"{prefix}-date" if "date" in error.message else f"{prefix}-reason"
        return _render(
            request, web, viewer, action_id, form=form, status=400,
            errors=[FieldError(field, error.message)],
        )  # fmt: skip
    except exceptions.Refused as error:
        return _render(
            request, web, viewer, action_id, form=form, status=status_for(error),
            errors=[FieldError("", error.message)],
        )  # fmt: skip
    return redirect(
        f"/actions/{action_id}", done="applied" if result.status == "applied" else "requested"
    )


@router.post("/actions/{action_id}/withdraw")
def withdraw_request(
    action_id: int,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    request_id: Annotated[int, Form()],
) -> Response:
    try:
        approvals.withdraw(web.ctx, request_id, by_email=viewer.email)
    except exceptions.Refused as error:
        return _render(
            request, web, viewer, action_id, status=status_for(error),
            errors=[FieldError("", error.message)],
        )  # fmt: skip
    return redirect(f"/actions/{action_id}", done="withdrawn")
