"""`improveflow init`, `workflow show`, `audit verify`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from improveflow import audit, schema
from improveflow.cli.common import (
    JsonOption,
    context_of,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.workflow.engine import mermaid

workflow_app = sub_app("Workflow definitions.")
audit_app = sub_app("The audit log.")


@reports_refusals
def init(ctx: typer.Context) -> None:
    """Create the database, or bring it up to the newest schema."""
    context = context_of(ctx, check_schema=False)
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
    workflow = context_of(ctx, check_schema=False).workflows.workflow(name)
    if output == "mermaid":
        sys.stdout.write(mermaid(workflow))
        return
    out.print(f"[bold]{workflow.name}[/bold]: {workflow.description}")
    table(
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
    table(
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
    context = context_of(ctx)
    with context.database.reading() as session:
        report = audit.verify(session)
    if as_json:
        print_json({"ok": True, "events": report.events, "head_hash": report.head_hash})
    else:
        out.print(f"Audit log verified: {report.events} events, head {report.head_hash[:16]}…")


# people -----------------------------------------------------------------------------------------
