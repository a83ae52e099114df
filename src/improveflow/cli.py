"""The `improveflow` command. Thin: parse, call a service, show the result.

Exit codes: 0 success, 1 a refused or failed operation (reason on stderr), 2 bad usage.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from improveflow import audit, exceptions, schema
from improveflow.calendar import as_london
from improveflow.config import load_settings
from improveflow.importers.people_file import read_people_file
from improveflow.models import Verdict
from improveflow.services import approvals, importing, people, plans, progress, views
from improveflow.services.context import Context
from improveflow.services.import_summary import show_import_report
from improveflow.workflow.engine import mermaid

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="improveflow: improvement plans that run themselves.",
)
people_app = typer.Typer(no_args_is_help=True, help="The people directory.")
plan_app = typer.Typer(no_args_is_help=True, help="Improvement plans.")
action_app = typer.Typer(no_args_is_help=True, help="Actions within plans.")
approvals_app = typer.Typer(no_args_is_help=True, help="Requests waiting for CMT or Cabinet.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit log.")
workflow_app = typer.Typer(no_args_is_help=True, help="Workflow definitions.")
for sub, name in (
    (people_app, "people"),
    (plan_app, "plan"),
    (action_app, "action"),
    (approvals_app, "approvals"),
    (audit_app, "audit"),
    (workflow_app, "workflow"),
):
    app.add_typer(sub, name=name)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: IMPROVEFLOW_DATABASE_URL or SQLite)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOption = Annotated[str, typer.Option("--as", help="Email of the person acting.")]
DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]


@app.callback()
def _global(ctx: typer.Context, db: DbOption = None) -> None:
    ctx.obj = {"db": db}


def reports_refusals(command: Callable[P, R]) -> Callable[P, R]:
    """Turn improveflow's errors into a message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except exceptions.ImproveflowError as error:
            err.print(f"Error: {error}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _context(ctx: typer.Context, *, check_schema: bool = True) -> Context:
    settings = load_settings(database_url=(ctx.obj or {}).get("db"))
    context = Context.build(settings)
    if check_schema and not schema.is_up_to_date(context.database):
        raise exceptions.ConfigurationError(
            f"The database {settings.database_url} is not set up (or is older than this "
            "version): run 'improveflow init' first"
        )
    return context


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def _table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(table)


def _local(moment: str) -> str:
    return f"{as_london(datetime.fromisoformat(moment)):%Y-%m-%d %H:%M}"


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


# init / workflow / audit ------------------------------------------------------------------------


@app.command()
@reports_refusals
def init(ctx: typer.Context) -> None:
    """Create the database, or bring it up to the newest schema."""
    context = _context(ctx, check_schema=False)
    revision = schema.upgrade_to_head(context.database)
    out.print(f"Database {context.settings.database_url} is ready (schema {revision}).")


@workflow_app.command("show")
@reports_refusals
def workflow_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Workflow name.")] = "improvement_action",
    output: Annotated[str, typer.Option("--format", help="text or mermaid.")] = "text",
) -> None:
    """Print a workflow's states and transitions."""
    if output not in ("text", "mermaid"):
        raise typer.BadParameter("must be 'text' or 'mermaid'", param_hint="--format")
    workflow = _context(ctx, check_schema=False).workflows.workflow(name)
    if output == "mermaid":
        sys.stdout.write(mermaid(workflow))
        return
    out.print(f"[bold]{workflow.name}[/bold]: {workflow.description}")
    _table(
        "States",
        ["state", "label", ""],
        (
            (
                s.name,
                s.label,
                "initial" if s.name == workflow.initial else "final" if s.final else "",
            )
            for s in workflow.states.values()
        ),
    )
    _table(
        "Transitions",
        ["trigger", "from", "to", "approved by", "requested by", "conditions"],
        (
            (
                t.trigger,
                ", ".join(t.sources),
                "(same)" if t.dest == "=" else t.dest,
                f"{t.approval.body} (quorum {t.approval.quorum})" if t.approval else "no approval",
                ", ".join(sorted(t.requested_by)),
                ", ".join(t.conditions),
            )
            for t in workflow.transitions.values()
        ),
    )


@audit_app.command("verify")
@reports_refusals
def audit_verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Recompute the audit log's hash chain; fails naming the first altered event."""
    context = _context(ctx)
    with context.database.reading() as session:
        report = audit.verify(session)
    if as_json:
        _print_json({"ok": True, "events": report.events, "head_hash": report.head_hash})
    else:
        out.print(f"Audit log verified: {report.events} events, head {report.head_hash[:16]}…")


# people -----------------------------------------------------------------------------------------


@people_app.command("import")
@reports_refusals
def people_import(ctx: typer.Context, file: Path) -> None:
    """Import people from a CSV (name,email,aliases,bodies,roles) or YAML file."""
    context = _context(ctx)
    result = people.import_people(context, read_people_file(file))
    out.print(f"{result.created} people added, {result.updated} updated.")


@people_app.command("list")
@reports_refusals
def people_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List everybody in the directory."""
    rows = people.list_people(_context(ctx))
    if as_json:
        _print_json([row.__dict__ for row in rows])
        return
    _table(
        "People",
        ["id", "name", "email", "aliases", "bodies", "roles"],
        (
            (p.id, p.name, p.email, "; ".join(p.aliases), "; ".join(p.bodies), "; ".join(p.roles))
            for p in rows
        ),
    )


# plans ------------------------------------------------------------------------------------------


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
        _context(ctx),
        title,
        plans.plan_kind(kind),
        organisation=organisation,
        approval_overrides=overrides,
    )
    if as_json:
        _print_json({"id": view.id, "title": view.title, "kind": view.kind})
    else:
        out.print(f"Plan {view.id} created: {view.title}")


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
) -> None:
    """Import council plans; the report lists every action and what needs review."""
    result = importing.import_plan_files(
        _context(ctx),
        files,
        importing.ImportOptions(
            plan_title=plan_title,
            kind=plans.plan_kind(kind) if kind else None,
            dry_run=dry_run,
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
    rows = plans.list_plans(_context(ctx))
    if as_json:
        _print_json([{"id": p.id, "title": p.title, "kind": p.kind} for p in rows])
        return
    _table(
        "Plans",
        ["id", "title", "kind", "workflow"],
        ((p.id, p.title, p.kind, p.workflow) for p in rows),
    )


# actions ----------------------------------------------------------------------------------------


@action_app.command("add")
@reports_refusals
def action_add(
    ctx: typer.Context,
    plan_id: int,
    theme: Annotated[str, typer.Option(help="The plan section.")],
    objective: Annotated[str, typer.Option(help="The challenge or priority.")],
    description: Annotated[str, typer.Option(help="What will be done.")],
    owner: Annotated[str | None, typer.Option(help="Owner's email.")] = None,
    target: DateOption = None,
    start: DateOption = None,
    objective_ref: Annotated[str | None, typer.Option(help="e.g. 'A'.")] = None,
    lead: Annotated[str | None, typer.Option(help="The lead as written in the plan.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add an action to a plan."""
    action_id = plans.add_action(
        _context(ctx),
        plans.NewAction(
            plan_id=plan_id,
            theme=theme,
            objective=objective,
            description=description,
            owner_email=owner,
            target_date=_as_date(target),
            start_date=_as_date(start),
            objective_reference=objective_ref,
            lead_text=lead,
        ),
    )
    if as_json:
        _print_json({"id": action_id})
    else:
        out.print(f"Action {action_id} added.")


@action_app.command("list")
@reports_refusals
def action_list(
    ctx: typer.Context,
    plan: Annotated[int | None, typer.Option(help="Plan id.")] = None,
    state: Annotated[str | None, typer.Option(help="Only actions in this state.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's actions.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List actions in creation order."""
    rows = views.action_rows(_context(ctx), plan_id=plan, state=state, owner_email=owner)
    if as_json:
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        sys.stdout.write("\n]\n")
        return
    _table(
        "Actions",
        ["id", "plan", "description", "owner", "target", "state", "rag"],
        (
            (
                r["id"],
                r["plan"],
                r["description"],
                r["owner_email"] or r["lead"],
                r["target_date"],
                r["state"],
                r["rag"],
            )
            for r in rows
        ),
    )


@action_app.command("show")
@reports_refusals
def action_show(ctx: typer.Context, action_id: int, as_json: JsonOption = False) -> None:
    """Show an action and its whole history."""
    detail = views.action_detail(_context(ctx), action_id)
    if as_json:
        _print_json(detail)
        return
    out.print(f"[bold]Action {detail['id']}[/bold]: {detail['description']}", markup=True)
    for label, key in (
        ("Plan", "plan"), ("Theme", "theme"), ("Objective", "objective"), ("Owner", "owner_email"),
        ("Lead", "lead"), ("Target date", "target_date"), ("State", "state"), ("RAG", "rag"),
        ("Latest progress", "latest_progress"), ("Waiting request", "pending_request_id"),
    ):  # fmt: skip
        if detail.get(key) is not None:
            out.print(f"{label}: {detail[key]}", markup=False)
    _table(
        "History",
        ["at", "event", "by", "from", "to", "comment"],
        (
            (_local(h["at"]), h["event"], h["by"], h["from_state"], h["to_state"], h["comment"])
            for h in detail["history"]
        ),
    )


@action_app.command("update")
@reports_refusals
def action_update(
    ctx: typer.Context,
    action_id: int,
    progress_text: Annotated[str, typer.Option("--progress", help="What has happened.")],
    acting: AsOption,
    rag: Annotated[str | None, typer.Option(help="green, amber or red.")] = None,
) -> None:
    """Record a progress update."""
    update_id = progress.record_progress(
        _context(ctx), action_id, progress_text, progress.parse_rag(rag), by_email=acting
    )
    out.print(f"Progress update {update_id} recorded on action {action_id}.")


@action_app.command("request")
@reports_refusals
def action_request(
    ctx: typer.Context,
    action_id: int,
    transition: str,
    acting: AsOption,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    new_target: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_json: JsonOption = False,
) -> None:
    """Ask for a change of state (applied at once when it needs no approval)."""
    result = approvals.request_change(
        _context(ctx),
        action_id,
        transition,
        by_email=acting,
        reason=reason,
        new_target_date=_as_date(new_target),
    )
    _show_result(result, as_json)


def _show_result(result: approvals.ChangeResult, as_json: bool) -> None:
    if as_json:
        _print_json(result.__dict__)
    else:
        out.print(result.message, markup=False)


# approvals --------------------------------------------------------------------------------------


@approvals_app.command("list")
@reports_refusals
def approvals_list(
    ctx: typer.Context,
    body: Annotated[str | None, typer.Option(help="Only this body's requests.")] = None,
    status: Annotated[
        str, typer.Option(help="pending (default), approved, ..., or all.")
    ] = "pending",
    as_json: JsonOption = False,
) -> None:
    """Requests waiting for a decision, oldest first."""
    rows = views.approval_rows(_context(ctx), body=body, status=None if status == "all" else status)
    if as_json:
        _print_json(rows)
        return
    _table(
        "Approval requests",
        ["id", "action", "transition", "body", "asked by", "reason", "status"],
        (
            (
                r["id"],
                r["action_id"],
                r["transition"],
                r["body"],
                r["requested_by"],
                r["reason"],
                r["status"],
            )
            for r in rows
        ),
    )


@approvals_app.command("approve")
@reports_refusals
def approvals_approve(
    ctx: typer.Context,
    request_id: int,
    acting: AsOption,
    comment: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a request as a member of its body."""
    result = approvals.decide(
        _context(ctx), request_id, Verdict.APPROVE, by_email=acting, comment=comment
    )
    _show_result(result, as_json)


@approvals_app.command("reject")
@reports_refusals
def approvals_reject(
    ctx: typer.Context,
    request_id: int,
    acting: AsOption,
    comment: Annotated[str, typer.Option(help="Why it is rejected.")],
    as_json: JsonOption = False,
) -> None:
    """Reject a request, saying why."""
    result = approvals.decide(
        _context(ctx), request_id, Verdict.REJECT, by_email=acting, comment=comment
    )
    _show_result(result, as_json)


@approvals_app.command("withdraw")
@reports_refusals
def approvals_withdraw(
    ctx: typer.Context, request_id: int, acting: AsOption, as_json: JsonOption = False
) -> None:
    """Withdraw your own pending request."""
    _show_result(approvals.withdraw(_context(ctx), request_id, by_email=acting), as_json)


def main() -> None:
    app()
