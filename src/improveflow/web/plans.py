"""The plans a person can see, each plan grouped by theme and objective, and the workflow:
for every kind of plan, and for one plan as its kind and its own overrides route it."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from improveflow.services import dashboard, rollover, views
from improveflow.services.sessions import Viewer
from improveflow.web.auth import may_see_dashboards
from improveflow.web.pages import page, redirect
from improveflow.web.state import ViewerDep, WebDep, WebState
from improveflow.web.workflow_view import WorkflowView, workflow_view
from improveflow.workflow.registry import DEFAULT_WORKFLOW

router = APIRouter()

PLAN_PAGE = 200


@dataclass
class ObjectiveGroup:
    reference: str | None
    text: str
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ThemeGroup:
    title: str
    objectives: list[ObjectiveGroup] = field(default_factory=list)


def group(rows: list[dict[str, Any]]) -> list[ThemeGroup]:
    """Consecutive rows under their theme and objective, in the plan's order."""
    themes: list[ThemeGroup] = []
    for row in rows:
        if not themes or themes[-1].title != row["theme"]:
            themes.append(ThemeGroup(row["theme"]))
        objectives = themes[-1].objectives
        if not objectives or (objectives[-1].reference, objectives[-1].text) != (
            row["objective_ref"],
            row["objective"],
        ):
            objectives.append(ObjectiveGroup(row["objective_ref"], row["objective"]))
        objectives[-1].actions.append(row)
    return themes


@router.get("/plans")
def plan_list(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    plans = dashboard.plans_for(web.ctx, viewer.organisation)
    return page(
        request,
        web,
        "plans.html",
        {"plans": plans, "dashboards": may_see_dashboards(viewer)},
        viewer=viewer,
    )


@router.get("/plans/{plan_id}")
def plan_page(
    plan_id: int,
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    start = (page_number - 1) * PLAN_PAGE
    # The rows stream in pages from the database; only this page's are kept.
    rows = list(islice(views.action_rows(web.ctx, plan_id=plan.id), start, start + PLAN_PAGE + 1))
    workflow = web.ctx.workflows.workflow(plan.workflow)
    return page(
        request,
        web,
        "plan.html",
        {
            "plan": plan,
            "themes": group(rows[:PLAN_PAGE]),
            "states": {name: s.label for name, s in workflow.states.items()},
            "page_number": page_number,
            "has_next": len(rows) > PLAN_PAGE,
            "dashboards": may_see_dashboards(viewer),
            "years": rollover.plan_years(web.ctx, plan.id),
        },
        viewer=viewer,
    )


@router.get("/workflow")
def workflow_page(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    name: Annotated[str, Query(max_length=100)] = DEFAULT_WORKFLOW,
    plan: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The workflow for every kind of plan; with ?plan=ID, the page of that plan's workflow."""
    if plan is not None:
        return redirect(f"/plans/{plan}/workflow")
    workflow = web.ctx.workflows.workflow(name)
    plans = [p for p in dashboard.plans_for(web.ctx, viewer.organisation) if p.workflow == name]
    return _workflow(request, web, viewer, workflow_view(workflow), plans)


@router.get("/plans/{plan_id}/workflow")
def plan_workflow_page(plan_id: int, request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    """Who decides each change of this plan's actions, as its kind and overrides route them."""
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    view = workflow_view(web.ctx.workflows.workflow(plan.workflow), plan)
    return _workflow(request, web, viewer, view, [])


def _workflow(
    request: Request,
    web: WebState,
    viewer: Viewer,
    view: WorkflowView,
    plans: list[dashboard.PlanHeader],
) -> Response:
    others = [
        web.ctx.workflows.workflow(name)
        for name in web.ctx.workflows.names()
        if name != view.workflow.name
    ]
    return page(
        request,
        web,
        "workflow.html",
        {"view": view, "plans": plans, "others": others},
        viewer=viewer,
    )
