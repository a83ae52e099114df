"""A plan's dashboard for the peer-challenge lead (and CMT, Cabinet, administrators).

Counts by state and RAG, open escalations by level with days overdue, a chart of actions by
state over time, and the plan's table with filters, paged, and exported as CSV or XLSX; and
the committee report (and, for a peer-challenge plan, the progress review pack), made and
stored as a snapshot at the press of a button.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import StreamingResponse

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.links import milestone_slug
from improveflow.models import PlanKind, Rag
from improveflow.reports.model import Report
from improveflow.services import dashboard, plan_export, reports, timetable
from improveflow.services.sessions import Viewer
from improveflow.web import export
from improveflow.web.auth import may_see_dashboards
from improveflow.web.chart import build_chart
from improveflow.web.pages import page
from improveflow.web.state import PostingViewer, ViewerDep, WebDep, WebState

router = APIRouter()

TABLE_PAGE = 50
RAGS = ("red", "amber", "green", "none")


def _allowed(viewer: Viewer) -> None:
    if not may_see_dashboards(viewer):
        raise exceptions.NotAllowedToView(
            "Plan dashboards are for peer-challenge leads, scrutiny officers, the chief "
            "executive, administrators and members of CMT or Cabinet. You can still see the "
            "plan itself and your own actions."
        )


def _filters(theme: str, state: str, rag: str, q: str) -> dashboard.TableFilter:
    """The table's filters from the query string; anything not understood is ignored."""
    return dashboard.TableFilter(
        theme_id=int(theme) if theme.isdigit() else None,
        state=state.strip() or None,
        rag=rag if rag in RAGS else None,
        text=" ".join(q.split())[:200] or None,
    )


Theme = Annotated[str, Query()]
Text = Annotated[str, Query(max_length=500)]


def _states(web: WebState, workflow: str) -> dict[str, str]:
    return {name: s.label for name, s in web.ctx.workflows.workflow(workflow).states.items()}


@router.get("/plans/{plan_id}/dashboard")
def plan_dashboard(
    plan_id: int,
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    theme: Theme = "",
    state: Text = "",
    rag: Text = "",
    q: Text = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    _allowed(viewer)
    filters = _filters(theme, state, rag, q)
    found = dashboard.dashboard(
        web.ctx,
        plan_id,
        viewer.organisation,
        filters,
        page=page_number,
        size=TABLE_PAGE,
        history=web.history,
    )
    states = _states(web, found.plan.workflow)
    # Whether the viewer may mark the timetable's milestones done: its lead, chief executive
    # and administrators may (services.milestones); a dashboard without one asks nothing.
    may_record = (
        bool(found.milestones)
        and timetable.timetable_for(
            web.ctx, plan_id, by_email=viewer.email, organisation=viewer.organisation
        ).may_record
    )
    query: dict[str, Any] = {"theme": theme, "state": state, "rag": rag, "q": q}
    return page(
        request,
        web,
        "dashboard.html",
        {
            "board": found,
            "may_record": may_record,
            "slug": milestone_slug,
            "states": states,
            "rags": RAGS,
            "rag_values": [r.value for r in Rag],
            "chart": build_chart(found.history, states, as_london(web.ctx.clock.now()).date()),
            "filters": filters,
            "query": {k: v for k, v in query.items() if v},
            "page_number": page_number,
            "offers_pack": found.plan.kind == PlanKind.PEER_CHALLENGE,
        },
        viewer=viewer,
    )


def _export_name(plan_id: int, web: WebState, suffix: str) -> str:
    return f"plan-{plan_id}-actions-{as_london(web.ctx.clock.now()):%Y-%m-%d}.{suffix}"


@router.get("/plans/{plan_id}/export.csv")
def export_csv(
    plan_id: int,
    web: WebDep,
    viewer: ViewerDep,
    theme: Theme = "",
    state: Text = "",
    rag: Text = "",
    q: Text = "",
) -> Response:
    _allowed(viewer)
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    rows = plan_export.export_rows(web.ctx, plan.id, _filters(theme, state, rag, q))
    return StreamingResponse(
        export.csv_chunks(rows, _states(web, plan.workflow)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_export_name(plan_id, web, "csv")}"'
        },
    )


@router.get("/plans/{plan_id}/export.xlsx")
def export_xlsx(
    plan_id: int,
    web: WebDep,
    viewer: ViewerDep,
    theme: Theme = "",
    state: Text = "",
    rag: Text = "",
    q: Text = "",
) -> Response:
    _allowed(viewer)
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    rows = plan_export.export_rows(web.ctx, plan.id, _filters(theme, state, rag, q))
    workbook = export.xlsx_file(rows, _states(web, plan.workflow), plan.title)

    def chunks() -> Any:
        with workbook:
            while chunk := workbook.read(64 * 1024):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{_export_name(plan_id, web, "xlsx")}"'
        },
    )


_REPORT_TYPES = {
    reports.ReportFormat.DOCX: (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    reports.ReportFormat.PDF: "application/pdf",
    reports.ReportFormat.HTML: "text/html; charset=utf-8",
}


# WeasyPrint lays out about 30 actions a second of processor time: a larger plan's PDF
# would hold a web worker for minutes, so the page hands it to the command line instead.
WEB_PDF_MAX_ACTIONS = 600


def _chosen_format(fmt: str) -> reports.ReportFormat:
    try:
        return reports.ReportFormat(fmt)
    except ValueError:
        raise exceptions.InvalidValue("Choose Word (DOCX), PDF or web page (HTML)") from None


def _refuse_slow_pdf(
    made: Report, chosen: reports.ReportFormat, what: str, instead: str, command: str
) -> None:
    """A PDF of more than WEB_PDF_MAX_ACTIONS actions is not drawn in the request: the
    snapshot is kept and the refusal gives the command that draws it."""
    if chosen is reports.ReportFormat.PDF and made.summary.total > WEB_PDF_MAX_ACTIONS:
        raise exceptions.Refused(
            f"The {what} is made and kept as report snapshot {made.snapshot_id}, but a PDF of "
            f"{made.summary.total} actions takes minutes to draw, longer than a page can wait. "
            f"Choose {instead}, or ask an administrator to run: {command} "
            f"--snapshot {made.snapshot_id} --format pdf"
        )


def _download(
    made: Report, chosen: reports.ReportFormat, pack: reports.ReportPack, name: str
) -> Response:
    filename = f"plan-{made.plan_id}-{name}-{made.snapshot_id}.{chosen.value}"
    return Response(
        reports.render(made, chosen, pack),
        media_type=_REPORT_TYPES[chosen],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/plans/{plan_id}/report")
def committee_report(
    plan_id: int,
    web: WebDep,
    viewer: PostingViewer,
    fmt: Annotated[str, Form(alias="format")] = "docx",
) -> Response:
    """Make the plan's committee report now (a new snapshot) and download it."""
    _allowed(viewer)
    chosen = _chosen_format(fmt)
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    made = reports.make_report(web.ctx, plan.id, made_by=viewer.person_id)
    command = f"improveflow report {plan.id}"
    _refuse_slow_pdf(made, chosen, "report", "Word (DOCX) or web page (HTML)", command)
    return _download(made, chosen, reports.ReportPack.COMMITTEE, "report")


@router.post("/plans/{plan_id}/progress-review-pack")
def progress_review_pack(
    plan_id: int,
    web: WebDep,
    viewer: PostingViewer,
    fmt: Annotated[str, Form(alias="format")] = "docx",
) -> Response:
    """Make a peer-challenge plan's progress review pack now (a new snapshot) and download it."""
    _allowed(viewer)
    chosen = _chosen_format(fmt)
    plan = dashboard.plan_for(web.ctx, plan_id, viewer.organisation)
    if plan.kind != PlanKind.PEER_CHALLENGE:
        raise exceptions.NotFound(
            f"{plan.title} is not a peer-challenge plan, so it has no progress review pack. "
            "Its committee report is on its dashboard."
        )
    pack = reports.ReportPack.PROGRESS_REVIEW
    made = reports.make_report(web.ctx, plan.id, made_by=viewer.person_id, pack=pack)
    command = f"improveflow report {plan.id} --pack {pack.value}"
    _refuse_slow_pdf(
        made, chosen, "progress review pack", "Word (DOCX) or web page (HTML)", command
    )
    return _download(made, chosen, pack, pack.value)
