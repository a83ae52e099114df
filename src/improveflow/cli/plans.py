"""`improveflow plan`: plans and their import."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from improveflow.cli.common import (
    JsonOption,
    as_date,
    context_of,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.cli.import_options import column_mapping, date_reading
from improveflow.cli.import_summary import show_import_report
from improveflow.importers.people_file import read_people_file
from improveflow.models import PlanKind
from improveflow.notify.render import humanise
from improveflow.services import dashboard, importing, milestones, plans, rollover, scrutiny
from improveflow.workflow.deciders import kind_singular

plan_app = sub_app("Improvement plans.")


@plan_app.command("create")
@reports_refusals
def plan_create(
    ctx: typer.Context,
    title: str,
    kind: Annotated[
        str,
        typer.Option(
            help="peer-challenge, service-plan, action-plan, scrutiny or governance-statement."
        ),
    ],
    organisation: Annotated[str | None, typer.Option(help="The council.")] = None,
    override: Annotated[
        list[str] | None,
        typer.Option(
            help="TRANSITION=BODY: send that decision to another body, e.g. defer=Cabinet."
        ),
    ] = None,
    challenge_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="YYYY-MM-DD the peer challenge ended: its timetable's milestones follow.",
        ),
    ] = None,
    report_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="YYYY-MM-DD the executive received the scrutiny committee's report: its "
            "response is due by the last day of the months beginning with that day.",
        ),
    ] = None,
    response_months: Annotated[
        int | None,
        typer.Option(
            help="Months, beginning with the day it received the report, the executive has to "
            "respond (2 unless set)."
        ),
    ] = None,
    year: Annotated[
        str | None,
        typer.Option(
            help="The financial year the plan is for, e.g. 2025/26 (a governance statement "
            "plan: the current one if not given)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an empty plan."""
    overrides = {}
    for item in override or []:
        trigger, sep, body = item.partition("=")
        if not sep or not trigger.strip() or not body.strip():
            raise typer.BadParameter(f"'{item}' is not TRANSITION=BODY", param_hint="--override")
        overrides[trigger.strip()] = body.strip()
    view = plans.create_plan(
        context_of(ctx),
        title,
        plans.plan_kind(kind),
        organisation=organisation,
        approval_overrides=overrides,
        challenge_date=as_date(challenge_date),
        report_date=as_date(report_date),
        response_months=response_months,
        year=plans.financial_year(year) if year is not None else None,
    )
    if as_json:
        shown: dict[str, object] = {
            "id": view.id,
            "title": view.title,
            "kind": view.kind,
            "challenge_date": view.challenge_date,
        }
        # Each kind's own facts, where the plan has them.
        if view.financial_year is not None:
            shown["financial_year"] = view.financial_year
        if view.report_date is not None:
            shown |= {"report_date": view.report_date, "response_months": view.response_months}
        print_json(shown)
    else:
        out.print(f"Plan {view.id} created: {view.title}", markup=False)
        if view.financial_year is not None:
            out.print(f"It is for the financial year {_year_words(view.financial_year)}.")
        if view.challenge_date is not None or view.report_date is not None:
            views = milestones.list_milestones(context_of(ctx), view.id)
            show_milestones(views, view.id, view.kind)


@plan_app.command("set-challenge-date")
@reports_refusals
def plan_set_challenge_date(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    challenge_date: Annotated[
        datetime, typer.Argument(formats=["%Y-%m-%d"], metavar="DATE", help="YYYY-MM-DD")
    ],
    by: Annotated[str | None, typer.Option(help="Your email address, for the log.")] = None,
) -> None:
    """Record (or correct) the day a peer challenge ended; its milestones' due dates follow."""
    views = milestones.set_challenge_date(
        context_of(ctx), plan_id, challenge_date.date(), by_email=by
    )
    out.print(f"Plan {plan_id}: the challenge ended on {challenge_date:%d %B %Y}.", markup=False)
    show_milestones(views, plan_id, PlanKind.PEER_CHALLENGE)


@plan_app.command("set-report-date")
@reports_refusals
def plan_set_report_date(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    report_date: Annotated[
        datetime,
        typer.Argument(
            formats=["%Y-%m-%d"],
            metavar="DATE",
            help="YYYY-MM-DD the executive received the committee's report.",
        ),
    ],
    response_months: Annotated[
        int | None,
        typer.Option(
            help="Months, beginning with the day it received the report, the executive has to "
            "respond (the plan's so far, or 2)."
        ),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Your email address, for the log.")] = None,
) -> None:
    """Record (or correct) the day the executive received a scrutiny committee's report; its
    response is due by the last day of the months beginning with that day (two: received 12
    June, due by 11 August)."""
    views = scrutiny.set_report_date(
        context_of(ctx),
        plan_id,
        report_date.date(),
        response_months=response_months,
        by_email=by,
    )
    out.print(
        f"Plan {plan_id}: the executive received the scrutiny report on {report_date:%d %B %Y}.",
        markup=False,
    )
    show_milestones(views, plan_id, PlanKind.SCRUTINY)


milestone_app = sub_app("A plan's timetable: its milestones.")
plan_app.add_typer(milestone_app, name="milestone")


@milestone_app.command("list")
@reports_refusals
def milestone_list(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    as_json: JsonOption = False,
) -> None:
    """The plan's milestones: due, latest, done on with its link, and where each stands."""
    context = context_of(ctx)
    views = milestones.list_milestones(context, plan_id)
    if as_json:
        print_json([_milestone_json(view) for view in views])
        return
    show_milestones(views, plan_id, dashboard.plan_for(context, plan_id, None).kind)


@milestone_app.command("done")
@reports_refusals
def milestone_done(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    kind: Annotated[
        str,
        typer.Argument(
            metavar="MILESTONE",
            help="feedback-report, action-plan, progress-review or progress-review-report; "
            "a scrutiny plan's executive-response.",
        ),
    ],
    on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD it was done.")],
    link: Annotated[str, typer.Option(help="The web address of what shows it done.")],
    by: Annotated[str, typer.Option(help="Your email address.")],
    as_json: JsonOption = False,
) -> None:
    """Mark a milestone done on a day, with a link to the published document."""
    view = milestones.mark_done(
        context_of(ctx),
        plan_id,
        milestones.milestone_kind(kind),
        done_on=on.date(),
        link=link,
        by_email=by,
    )
    if as_json:
        print_json(_milestone_json(view))
        return
    out.print(f"{view.label}: {view.words}. {view.link}", markup=False)


def show_milestones(views: list[milestones.MilestoneView], plan_id: int, kind: str) -> None:
    """The plan's timetable as a table; when it has none yet, how it gets one (for its kind)."""
    table(
        "Scrutiny timetable" if kind == PlanKind.SCRUTINY else "Peer-challenge timetable",
        ["milestone", "due by", "latest", "where it stands", "link"],
        (
            (
                view.label,
                f"{view.due_on:%d %b %Y}",
                f"{view.latest_on:%d %b %Y}" if view.latest_on else "",
                view.recorded_words,
                view.link or "",
            )
            for view in views
        ),
        empty=_no_milestones(plan_id, kind),
    )


def _no_milestones(plan_id: int, kind: str) -> str:
    """What to record to give a plan of this kind its milestones."""
    if kind == PlanKind.PEER_CHALLENGE:
        return (
            "No milestones yet: record when the peer challenge ended with "
            f"'improveflow plan set-challenge-date {plan_id} YYYY-MM-DD'."
        )
    if kind == PlanKind.SCRUTINY:
        return (
            "No milestones yet: record the day the executive received the scrutiny report "
            f"with 'improveflow plan set-report-date {plan_id} YYYY-MM-DD'."
        )
    singular = kind_singular(kind)
    return (
        f"No milestones: plan {plan_id} is {singular}, and only a peer-challenge plan or a "
        "scrutiny plan has a timetable."
    )


def _milestone_json(view: milestones.MilestoneView) -> dict[str, object]:
    return {
        "milestone": view.kind,
        "label": view.label,
        "due_on": view.due_on.isoformat(),
        "latest_on": view.latest_on.isoformat() if view.latest_on else None,
        "done_on": view.done_on.isoformat() if view.done_on else None,
        "link": view.link,
        "done_by": view.done_by,
        "done_by_name": view.done_by_name,
        "standing": view.standing.value,
        "words": view.words,
    }


@plan_app.command("import")
@reports_refusals
def plan_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Plan files: .txt (converted Word/PDF tables), .csv, .xlsx."),
    ],
    plan_title: Annotated[
        str | None, typer.Option(help="Import every file into this plan.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="peer-challenge, service-plan or action-plan.")
    ] = None,
    people_file: Annotated[
        Path | None, typer.Option("--people", help="People to import first.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and report; store nothing.")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Write the full report as JSON here.")] = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN: read this column (header text, letter or number) as this field, "
            "e.g. action=B or target='Revised Target Date'. Kept with the plan for next time.",
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="A YAML file of FIELD: COLUMN lines, as --map."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Read only this sheet of an .xlsx workbook.")
    ] = None,
    date_order: Annotated[
        str,
        typer.Option(help="dmy (UK, the default) or mdy for dates such as 03/31/2027."),
    ] = "dmy",
    financial_year_start: Annotated[
        str,
        typer.Option(help="MM-DD the financial year starts (04-01, April, by default)."),
    ] = "04-01",
    organisation: Annotated[
        str | None,
        typer.Option(help="The council the plan belongs to (needed once there are several)."),
    ] = None,
) -> None:
    """Import council plans; the report lists every action and what needs review."""
    result = importing.import_plan_files(
        context_of(ctx),
        files,
        importing.ImportOptions(
            plan_title=plan_title,
            kind=plans.plan_kind(kind) if kind else None,
            dry_run=dry_run,
            mapping=column_mapping(column_map or [], mapping_file),
            sheet=sheet,
            dates=date_reading(date_order, financial_year_start),
            organisation=organisation,
        ),
        people=read_people_file(people_file) if people_file else (),
    )
    if report is not None:
        report.write_text(
            json.dumps(result.as_json(), indent=2, default=str, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    show_import_report(out, result)


@plan_app.command("list")
@reports_refusals
def plan_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List plans."""
    rows = plans.list_plans(context_of(ctx))
    if as_json:
        print_json(
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "kind": p.kind,
                    "organisation": p.organisation,
                    "financial_year": p.financial_year,
                    "rolled_over_to": p.rolled_over_to_id,
                }
                for p in rows
            ]
        )
        return
    table(
        "Plans",
        ["id", "title", "kind", "year", "organisation", "workflow"],
        (
            (
                p.id,
                p.title,
                humanise(p.kind),
                _year_cell(p),
                p.organisation or "",
                p.workflow,
            )
            for p in rows
        ),
        empty="There are no plans yet: create one with 'improveflow plan create' or import one.",
    )


def _year_cell(plan: plans.PlanView) -> str:
    if plan.rolled_over_to_id is not None:
        return f"{plan.financial_year or ''} (rolled over to plan {plan.rolled_over_to_id})".strip()
    return plan.financial_year or ""


def _year_words(label: str) -> str:
    """'2025/26 (1 April 2025 to 31 March 2026)'."""
    year = plans.financial_year(label)
    return f"{label} ({year.start:%-d %B %Y} to {year.end:%-d %B %Y})"


@plan_app.command("show")
@reports_refusals
def plan_show(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    as_json: JsonOption = False,
) -> None:
    """Show a plan: its kind, council, financial year and where it stands among the years."""
    view, years = rollover.plan_and_years(context_of(ctx), plan_id)
    if as_json:
        print_json(
            {
                "id": view.id,
                "title": view.title,
                "kind": view.kind,
                "organisation": view.organisation,
                "workflow": view.workflow,
                "challenge_date": view.challenge_date,
                "report_date": view.report_date,
                "response_months": view.response_months,
                "financial_year": view.financial_year,
                "rolled_over_to": view.rolled_over_to_id,
                "rolled_over_from": years.rolled_over_from.plan_id
                if years.rolled_over_from
                else None,
                "years": years.sentences,
            }
        )
        return
    out.print(f"[bold]Plan {view.id}[/bold]: {view.title}", markup=True)
    for label, value in (
        ("Kind", humanise(view.kind)),
        ("Council", view.organisation),
        ("Financial year", _year_words(view.financial_year) if view.financial_year else None),
        ("Challenge ended", f"{view.challenge_date:%-d %B %Y}" if view.challenge_date else None),
        ("Workflow", view.workflow),
    ):
        if value is not None:
            out.print(f"{label}: {value}", markup=False)
    if view.report_date is not None:
        words = scrutiny.report_words(view.report_date, view.response_months)
        out.print(f"{words}.", markup=False)
    for sentence in years.sentences:
        out.print(sentence, markup=False)


@plan_app.command("roll-over")
@reports_refusals
def plan_roll_over(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    by: Annotated[str, typer.Option(help="Your email address: an administrator of its council.")],
    to_year: Annotated[
        str | None,
        typer.Option(help="The year to roll over to, e.g. 2026/27 (the next one by default)."),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(help="Next year's plan's title (last year's, with its year changed)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Roll a governance statement plan over to next year, carrying its unfinished actions."""
    done = rollover.roll_over(
        context_of(ctx),
        plan_id,
        by_email=by,
        to_year=plans.financial_year(to_year) if to_year is not None else None,
        title=title,
    )
    if as_json:
        print_json(
            {
                "from_plan": done.from_plan_id,
                "from_year": done.from_year,
                "plan": done.plan.id,
                "title": done.plan.title,
                "financial_year": done.plan.financial_year,
                "carried": done.carried,
                "carried_deferred": done.carried_deferred,
                "left": done.left,
            }
        )
        return
    out.print(
        f"Plan {done.from_plan_id} rolled over to plan {done.plan.id}: {done.plan.title} "
        f"({done.plan.financial_year}).",
        markup=False,
    )
    out.print(rollover.carried_words(done), markup=False)


# actions ----------------------------------------------------------------------------------------
