"""The action page: what an owner reaches from a reminder, and the forms to act on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.calendar import WorkingCalendar, as_london
from improveflow.services import (
    action_history,
    approval_queue,
    approvals,
    dashboard,
    progress,
    publication,
    views,
)
from improveflow.services.authority import standing
from improveflow.services.dashboard import PlanHeader
from improveflow.services.sessions import Viewer
from improveflow.web.auth import follow_link
from improveflow.web.date_input import PARTS, DateBoxes, DateProblem, example_hint, read_date
from improveflow.web.errors import status_for
from improveflow.web.pages import FieldError, page, redirect, short_date
from improveflow.web.state import MaybeViewer, PostingViewer, WebDep, WebState
from improveflow.workflow import requestable
from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import Workflow
from improveflow.workflow.details import Detail, DetailRefusal
from improveflow.workflow.working_days import calendar_of, not_a_working_day

router = APIRouter()

DONE = {
    "progress": "Your progress update has been saved.",
    "requested": "Your request has been sent for approval. You will get an email when it is "
    "decided.",
    "applied": "Done: the action has been updated.",
    "withdrawn": "Your request has been withdrawn.",
    "public": "The progress update is marked public.",
    "private": "The progress update is no longer marked public.",
}
# The boxes of a new target date are named new_target_day, new_target_month and new_target_year.
DATE_FIELD = "new_target"
# A target further ahead than this is a typing slip (2207 for 2027) more often than a plan.
YEARS_AHEAD = 10
# The boxes of the progress form each detail of an update is typed into.
PROGRESS_FIELDS = {Detail.PROGRESS_TEXT: "progress-text", Detail.RATING: "progress-rag"}


@dataclass(frozen=True)
class _ActionFacts:
    """What the action page and its forms need to know of the action and its workflow."""

    detail: dict[str, Any]
    plan: PlanHeader
    workflow: Workflow
    calendar: WorkingCalendar  # the workflow's own: its bank holidays, not England's always
    today: date

    @property
    def target(self) -> date | None:
        value = self.detail["target_date"]
        return date.fromisoformat(value) if value else None


def _facts(web: WebState, viewer: Viewer, action_id: int) -> _ActionFacts:
    ctx = web.ctx
    detail = views.action_detail(ctx, action_id, raw_history=False)
    try:
        plan = dashboard.plan_for(ctx, detail["plan_id"], viewer.organisation)
    except exceptions.NotFound:
        # Another council's action is answered exactly as a missing one: not its plan's number.
        raise exceptions.NotFound(f"No action with id {action_id}") from None
    workflow = ctx.workflows.workflow(plan.workflow)
    today = as_london(ctx.clock.now()).date()
    return _ActionFacts(detail, plan, workflow, calendar_of(workflow), today)


def _view(web: WebState, viewer: Viewer, action_id: int) -> dict[str, Any]:
    ctx = web.ctx
    facts = _facts(web, viewer, action_id)
    detail, plan, workflow, calendar = facts.detail, facts.plan, facts.workflow, facts.calendar
    owner_id = viewer.person_id if detail["owner_email"] == viewer.email else None
    kinds = standing(viewer.actor, owner_id)
    pending = None
    if detail["pending_request_id"] is not None:
        pending = approval_queue.request_view(
            ctx, detail["pending_request_id"], viewer.organisation
        )
    rules = PlanRules(plan.kind, plan.approval_overrides)
    changes = [
        {
            "transition": change.transition,
            "approver": workflow.body_title(change.approval.body) if change.approval else None,
        }
        for change in requestable.changes(workflow, detail["state"], kinds, rules)
    ]
    state = workflow.states[detail["state"]]
    target, today = facts.target, facts.today
    carried_on = detail["carried_to"] is not None
    # Days are counted while the action works to its date: not once it is finished, nor while
    # it is deferred (the sweep neither reminds nor escalates then), nor once next year's plan
    # carries it on.
    counting = (
        target is not None
        and not carried_on
        and (detail["state"] in workflow.reminders.states or detail["state"] == workflow.initial)
    )
    asked_date = pending.new_target_date if pending else None
    return {
        "action": detail,
        "plan": plan,
        "state_label": state.label,
        # A finished action's rating is history: the last one given, not how it is going now.
        "finished": state.final,
        "public_progress": publication.action_progress(ctx, action_id, 5, by_email=viewer.email),
        "history": action_history.history_of(ctx, action_id),
        "pending": pending,
        "pending_label": workflow.transition(pending.transition).label if pending else "",
        "asked_date_note": not_a_working_day(calendar, asked_date) if asked_date else None,
        # Carried forward to next year's plan: news and changes go on the action there.
        "changes": [] if pending or carried_on else changes,
        "may_update": bool(kinds & progress.MAY_RECORD_PROGRESS) and not carried_on,
        "target": target,
        "target_note": not_a_working_day(calendar, target) if target else None,
        "counting": counting,
        "days_left": (target - today).days if target else None,
        "working_days_left": calendar.working_days_between(today, target) if target else None,
        "date_hint": example_hint(today),
        "date_parts": (),
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
    date_parts: tuple[str, ...] = (),
    status: int = 200,
) -> Response:
    values = _view(web, viewer, action_id)
    values["form"] = form or {}
    values["done"] = DONE.get(done or "")
    values["date_parts"] = date_parts
    shown = [_on_page(error, values) for error in errors or []]
    return page(request, web, "action.html", values, viewer=viewer, status=status, errors=shown)


def _on_page(error: FieldError, values: dict[str, Any]) -> FieldError:
    """The error, said of the form as a whole when the page no longer shows its field.

    The page may have moved on since the form was filled in: the action finished, so no
    rating is asked for, or a request opened, so no change is offered. A link to a field that
    is not there would lead nowhere and its message would be shown only in the summary.
    """
    fields: set[str] = set()
    if values["may_update"]:
        fields.add("progress-text")
        if not values["finished"]:
            fields.add("progress-rag")
    prefixes = tuple(f"change-{change['transition'].trigger}-" for change in values["changes"])
    if not error.field or error.field in fields or error.field.startswith(prefixes):
        return error
    return FieldError("", error.message)


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
    except exceptions.InvalidValue as error:
        # Reading the rating is all parse_rag does: its refusal is about the rating.
        return _render(
            request, web, viewer, action_id,
            errors=[FieldError(PROGRESS_FIELDS[Detail.RATING], error.message)], form=form,
            status=400,
        )  # fmt: skip
    try:
        progress.record_progress(web.ctx, action_id, text, rating, by_email=viewer.email)
    except (DetailRefusal, exceptions.InvalidValue) as error:
        # A value refused without naming its detail is taken to be about the text, the one
        # thing every update must have.
        detail = error.detail if isinstance(error, DetailRefusal) else Detail.PROGRESS_TEXT
        return _render(
            request, web, viewer, action_id,
            errors=[FieldError(PROGRESS_FIELDS.get(detail, ""), error.message)], form=form,
            status=400,
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
    new_target_day: Annotated[str, Form()] = "",
    new_target_month: Annotated[str, Form()] = "",
    new_target_year: Annotated[str, Form()] = "",
) -> Response:
    boxes = DateBoxes(new_target_day, new_target_month, new_target_year)
    form = {
        "trigger": trigger,
        "reason": reason,
        f"{DATE_FIELD}_day": boxes.day,
        f"{DATE_FIELD}_month": boxes.month,
        f"{DATE_FIELD}_year": boxes.year,
    }
    prefix = f"change-{trigger}"
    facts = _facts(web, viewer, action_id)
    transition = facts.workflow.transitions.get(trigger)
    wants_reason = transition is not None and transition.requires_reason and not reason.strip()
    new_date = None
    # Only a change that moves the date reads the boxes: no other may slip a new date in.
    if transition is not None and transition.requires_new_target:
        typed = _new_target(boxes, facts)
        if isinstance(typed, DateProblem):
            # Every problem at once, as GOV.UK asks: the reason too, when one is needed.
            errors = [FieldError(typed.first_box(f"{prefix}-date"), typed.message)]
            if wants_reason:
                errors.append(
                    FieldError(f"{prefix}-reason", f"A reason is needed to {transition.label}")
                )
            return _render(
                request, web, viewer, action_id, form=form, status=400,
                errors=errors, date_parts=typed.parts,
            )  # fmt: skip
        new_date = typed
    try:
        result = approvals.request_change(
            web.ctx, action_id, trigger, by_email=viewer.email, reason=reason,
            new_target_date=new_date,
        )  # fmt: skip
    except DetailRefusal as error:
        # About something typed into this change's form: its reason or its new date.
        dated = error.detail is Detail.NEW_TARGET_DATE
        return _render(
            request, web, viewer, action_id, form=form, status=400,
            errors=[FieldError(_change_field(prefix, error.detail), error.message)],
            date_parts=PARTS if dated else (),
        )  # fmt: skip
    except (exceptions.ConditionNotMet, exceptions.InvalidValue) as error:
        # About the action as a whole: no progress recorded yet, say.
        return _render(
            request, web, viewer, action_id, form=form, status=400,
            errors=[FieldError("", error.message)],
        )  # fmt: skip
    except exceptions.Refused as error:
        return _render(
            request, web, viewer, action_id, form=form, status=status_for(error),
            errors=[FieldError("", error.message)],
        )  # fmt: skip
    applied = result.status is approvals.ChangeStatus.APPLIED
    return redirect(f"/actions/{action_id}", done="applied" if applied else "requested")


def _change_field(prefix: str, detail: Detail) -> str:
    """The id of the box in a change's form that `detail` is typed into ("" for none)."""
    if detail is Detail.REASON:
        return f"{prefix}-reason"
    if detail is Detail.NEW_TARGET_DATE:
        return f"{prefix}-date-{PARTS[0]}"  # the summary links to the first of the date's boxes
    return ""


def _new_target(boxes: DateBoxes, facts: _ActionFacts) -> date | DateProblem:
    """The new target date typed into the boxes, or why it cannot be one."""
    today = facts.today
    typed = read_date(
        boxes,
        name="Target date",
        missing="Enter the new target date",
        earliest=today,
        before=date(today.year + YEARS_AHEAD + 1, 1, 1),
    )
    if isinstance(typed, date) and typed == facts.target:
        return DateProblem(
            f"Target date must be different from the current target date, {short_date(typed)}"
        )
    return typed


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


@router.post("/actions/{action_id}/progress/{update_id}/public")
def mark_progress_public(
    action_id: int,
    update_id: int,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    public: Annotated[str, Form()] = "",
) -> Response:
    """An approver marks an update for the plan's public page, or takes it off."""
    try:
        marked = publication.mark_progress(
            web.ctx, update_id, public=public == "yes", by_email=viewer.email, on_action=action_id
        )
    except exceptions.Refused as error:
        return _render(
            request, web, viewer, action_id, status=status_for(error),
            errors=[FieldError("", error.message)],
        )  # fmt: skip
    return redirect(f"/actions/{action_id}", done="public" if marked.public else "private")
