"""`improveflow plan`: plans and their import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from improveflow.cli.common import (
    JsonOption,
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
from improveflow.notify.render import humanise
from improveflow.services import importing, plans

plan_app = sub_app("Improvement plans.")


@plan_app.command("create")
@reports_refusals
def plan_create(
    ctx: typer.Context,
    title: str,
    kind: Annotated[str, typer.Option(help="peer-challenge, service-plan or action-plan.")],
    organisation: Annotated[str | None, typer.Option(help="The council.")] = None,
    override: Annotated[
        list[str] | None,
        typer.Option(
            help="TRANSITION=BODY: send that decision to another body, e.g. defer=Cabinet."
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
    )
    if as_json:
        print_json({"id": view.id, "title": view.title, "kind": view.kind})
    else:
        out.print(f"Plan {view.id} created: {view.title}", markup=False)


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
                {"id": p.id, "title": p.title, "kind": p.kind, "organisation": p.organisation}
                for p in rows
            ]
        )
        return
    table(
        "Plans",
        ["id", "title", "kind", "organisation", "workflow"],
        ((p.id, p.title, humanise(p.kind), p.organisation or "", p.workflow) for p in rows),
        empty="There are no plans yet: create one with 'improveflow plan create' or import one.",
    )


# actions ----------------------------------------------------------------------------------------
