"""A peer-challenge plan's timetable, and the form that marks one of its milestones done on a
day with a link to the published document (or corrects either once it is done).

Reached from the lead's dashboard, or straight from a milestone's reminder: its link opens
these pages of that one plan, for an hour (web.visit_scope). Who may mark a milestone done,
and which days and links it takes, is services.milestones' to say; the form only reads the
date boxes and shows the service's answer beside the field it is about.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from improveflow import exceptions
from improveflow.links import milestone_slug
from improveflow.reminders import peer_challenge
from improveflow.services import milestones, timetable
from improveflow.services.milestones import DoneValueInvalid, MilestoneView
from improveflow.services.sessions import Viewer
from improveflow.services.timetable import Timetable
from improveflow.web.auth import follow_link, may_see_dashboards
from improveflow.web.date_input import DateBoxes, DateProblem, read_date
from improveflow.web.pages import FieldError, page, redirect
from improveflow.web.state import MaybeViewer, PostingViewer, ViewerDep, WebDep, WebState

router = APIRouter()

DATE_FIELD = "done_on"  # the boxes' names: done_on_day, done_on_month, done_on_year
DATE_ID = "done-on"  # and their ids: done-on-day ...
LINK_ID = "link"
_FIELD_IDS = {DoneValueInvalid.DONE_ON: f"{DATE_ID}-day", DoneValueInvalid.LINK: LINK_ID}
# Each milestone in a sentence: what it is, and what being done is.
NAMES = {kind.value: words for kind, words in peer_challenge.NAMES.items()}


def _timetable(web: WebState, viewer: Viewer, plan_id: int) -> Timetable:
    return timetable.timetable_for(
        web.ctx, plan_id, by_email=viewer.email, organisation=viewer.organisation
    )


@router.get("/plans/{plan_id}/timetable")
def timetable_page(
    plan_id: int,
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    done: str | None = None,
) -> Response:
    """The plan's milestones, where each stands, and (for those who keep it) a way to mark
    each done; after marking one, what was recorded."""
    found = _timetable(web, viewer, plan_id)
    recorded = None
    if done:
        try:
            recorded = found.milestone(done)
        except exceptions.NotFound:
            recorded = None  # a stale or altered address: say nothing rather than fail
    return page(
        request,
        web,
        "timetable.html",
        {
            "timetable": found,
            "recorded": recorded if recorded is not None and recorded.done_on else None,
            "slug": milestone_slug,
            "names": NAMES,
            "dashboard": viewer.scope is None and may_see_dashboards(viewer),
        },
        viewer=viewer,
    )


def _form_page(
    request: Request,
    web: WebState,
    viewer: Viewer,
    found: Timetable,
    milestone: MilestoneView,
    *,
    form: dict[str, str],
    errors: list[FieldError] | None = None,
    date_parts: tuple[str, ...] = (),
    status: int = 200,
) -> Response:
    return page(
        request,
        web,
        "milestone_done.html",
        {
            "timetable": found,
            "milestone": milestone,
            "slug": milestone_slug(milestone.kind),
            "name": NAMES[milestone.kind][0],
            "what": NAMES[milestone.kind][1],
            "form": form,
            "date_parts": date_parts,
            "date_hint": _date_hint(found.today),
        },
        viewer=viewer,
        errors=errors,
        status=status,
    )


def _date_hint(today: date) -> str:
    """A day in the past, written as GOV.UK writes an example: no leading zeros."""
    return f"For example, 27 3 {today.year - 1}"


def _recording(
    web: WebState, viewer: Viewer, plan_id: int, kind: str
) -> tuple[Timetable, MilestoneView]:
    """The plan and its milestone `kind`, for someone who may mark it done (Refused, with the
    service's words, for anyone else; NotFound for another council's plan)."""
    found = _timetable(web, viewer, plan_id)
    if found.refusal is not None:
        raise exceptions.Refused(found.refusal)
    return found, found.milestone(kind)


def _as_typed(milestone: MilestoneView) -> dict[str, str]:
    """The form filled in with what is recorded, to correct it."""
    if milestone.done_on is None:
        return {}
    return {
        f"{DATE_FIELD}_day": str(milestone.done_on.day),
        f"{DATE_FIELD}_month": str(milestone.done_on.month),
        f"{DATE_FIELD}_year": str(milestone.done_on.year),
        "link": milestone.link or "",
    }


@router.get("/plans/{plan_id}/timetable/{milestone}")
def milestone_form(
    plan_id: int,
    milestone: str,
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    token: str | None = None,
) -> Response:
    if token is not None:
        return follow_link(request, web, viewer, token, "timetable", {"plan": plan_id})
    if viewer is None:
        raise exceptions.NotSignedIn()
    found, view = _recording(web, viewer, plan_id, milestone)
    return _form_page(request, web, viewer, found, view, form=_as_typed(view))


@router.post("/plans/{plan_id}/timetable/{milestone}")
def mark_milestone_done(
    plan_id: int,
    milestone: str,
    request: Request,
    web: WebDep,
    viewer: PostingViewer,
    done_on_day: Annotated[str, Form(max_length=40)] = "",
    done_on_month: Annotated[str, Form(max_length=40)] = "",
    done_on_year: Annotated[str, Form(max_length=40)] = "",
    link: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    boxes = DateBoxes(done_on_day, done_on_month, done_on_year)
    form = {
        f"{DATE_FIELD}_day": boxes.day,
        f"{DATE_FIELD}_month": boxes.month,
        f"{DATE_FIELD}_year": boxes.year,
        "link": link,
    }
    found, view = _recording(web, viewer, plan_id, milestone)
    # The service checks the day against today and the challenge; these only read the boxes.
    typed = read_date(
        boxes,
        name="The date it was done",
        missing="Enter the date it was done",
        earliest=date.min,
        before=date.max,
    )
    errors: list[FieldError] = []
    date_parts: tuple[str, ...] = ()
    if isinstance(typed, DateProblem):
        errors.append(FieldError(typed.first_box(DATE_ID), typed.message))
        date_parts = typed.parts
    if not link.strip():
        document = "the executive's response" if found.scrutiny else "the published document"
        errors.append(FieldError(LINK_ID, f"Enter the link to {document}"))
    if not errors:
        assert isinstance(typed, date)
        try:
            milestones.mark_done(
                web.ctx,
                plan_id,
                milestones.milestone_kind(view.kind),
                done_on=typed,
                # No web address holds a line break: one is where a pasted address wrapped.
                link="".join(link.strip().splitlines()),
                by_email=viewer.email,
            )
        except DoneValueInvalid as refused:
            errors.append(FieldError(_FIELD_IDS[refused.field], refused.message))
            if refused.field == DoneValueInvalid.DONE_ON:
                date_parts = ("day", "month", "year")
    if errors:
        return _form_page(
            request, web, viewer, found, view,
            form=form, errors=errors, date_parts=date_parts, status=400,
        )  # fmt: skip
    return redirect(f"/plans/{plan_id}/timetable", done=milestone_slug(view.kind))
