"""`improveflow init`, `workflow show`, `audit verify`, `audit checkpoint`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from improveflow import audit_assurance, exceptions, schema
from improveflow.audit import VerifyReport
from improveflow.cli.common import (
    JsonOption,
    context_of,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.services import audit_checkpoints, dashboard
from improveflow.workflow import deciders
from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import Workflow
from improveflow.workflow.engine import mermaid
from improveflow.workflow.registry import DEFAULT_WORKFLOW

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
    name: Annotated[str, typer.Option(help="Workflow name.")] = DEFAULT_WORKFLOW,
    plan_id: Annotated[
        int | None,
        typer.Option(
            "--plan", help="Show who decides for this plan (its workflow, kind and overrides)."
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or mermaid.")] = "text",
) -> None:
    """Print a workflow's states and transitions, and who approves each for each kind of plan."""
    if output not in ("text", "mermaid"):
        raise typer.BadParameter("must be 'text' or 'mermaid'", param_hint="--format")
    plan = None
    if plan_id is None:
        context = context_of(ctx, check_schema=False)
    else:
        context = context_of(ctx)
        try:
            plan = dashboard.plan_for(context, plan_id, None)
        except exceptions.NotFound:
            raise exceptions.NotFound(f"No plan with id {plan_id}") from None
        name = plan.workflow
    workflow = context.workflows.workflow(name)
    rules = PlanRules(plan.kind, plan.approval_overrides) if plan is not None else None
    if output == "mermaid":
        sys.stdout.write(mermaid(workflow, rules))
        return
    out.print(f"[bold]{escape(workflow.name)}[/bold]: {escape(workflow.description)}")
    if plan is not None and rules is not None:
        out.print(
            f"Who approves is shown for plan {plan.id}, {plan.title}, "
            f"{deciders.kind_singular(plan.kind)}.",
            markup=False,
        )
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
                _approved_by(workflow, t.trigger, rules),
                ", ".join(sorted(t.requested_by)),
                ", ".join(t.conditions),
            )
            for t in workflow.transitions.values()
        ),
    )


def _approved_by(workflow: Workflow, trigger: str, rules: PlanRules | None) -> str:
    """'CMT', 'CMT for service plans and action plans; Cabinet for peer-challenge plans',
    or for one plan 'Cabinet (for peer-challenge plans)'; with the quorum when above one."""
    rule = workflow.transition(trigger).approval
    if rule is None:
        return "no approval"
    quorum = f" (quorum {rule.quorum})" if rule.quorum > 1 else ""
    if rules is None:
        groups = deciders.across_kinds(workflow, trigger)
        return "; ".join(
            f"{body}{quorum} for {deciders.joined([deciders.kind_plural(k) for k in kinds])}"
            if kinds
            else f"{body}{quorum}"
            for body, kinds in groups
        )
    decider = deciders.for_plan(workflow, trigger, rules)
    where = {
        deciders.FROM_PLAN: " (this plan's own setting)",
        deciders.FROM_PLAN_KIND: f" (for {deciders.kind_plural(rules.kind)})",
    }.get(decider.set_by, "")
    return f"{decider.body}{quorum}{where}"


CheckpointFilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        help="A signed checkpoint (its JSON, or the text of the email that carried it) to "
        "check the log against; repeat for several.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


@audit_app.command("verify")
@reports_refusals
def audit_verify(
    ctx: typer.Context, checkpoint: CheckpointFilesOption = None, as_json: JsonOption = False
) -> None:
    """Recompute the audit log's hash chain, and check it against signed checkpoints.

    Fails naming the first altered event, or the checkpoint the log no longer matches; on
    success says what that proves and what it cannot.
    """
    context = context_of(ctx)
    files = [(str(path), _read_checkpoint(path)) for path in checkpoint or []]
    try:
        report = audit_checkpoints.verify_log(context, files)
    except exceptions.AuditChainBroken as error:
        raise exceptions.AuditChainBroken(f"The audit log does not verify: {error}") from None
    proved = audit_assurance.proved(report)
    not_proved = audit_assurance.not_proved(report)
    if as_json:
        print_json(_verify_json(report, proved, not_proved))
        return
    out.print(audit_assurance.headline(report), markup=False, soft_wrap=True)
    out.print("What this proves:", markup=False)
    for sentence in proved:
        out.print(f"  - {sentence}", markup=False, soft_wrap=True)
    out.print("What it cannot prove:", markup=False)
    for sentence in not_proved:
        out.print(f"  - {sentence}", markup=False, soft_wrap=True)


def _read_checkpoint(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise exceptions.CheckpointInvalid(
            f"{path}: this is not an audit checkpoint (it is not text)"
        ) from None


def _verify_json(report: VerifyReport, proved: list[str], not_proved: list[str]) -> object:
    return {
        "ok": True,
        "events": report.events,
        "head_hash": report.head_hash,
        "key_set": report.key_set,
        "keyed_from": report.keyed_from,
        "unkeyed_events": report.unkeyed_events,
        "checkpoints": [
            {
                "file": checkpoint.source,
                "seq": checkpoint.seq,
                "head_hash": checkpoint.head_hash,
                "made_at": checkpoint.made_at.isoformat(),
            }
            for checkpoint in report.checkpoints
        ],
        "proved": proved,
        "not_proved": not_proved,
    }


@audit_app.command("checkpoint")
@reports_refusals
def audit_checkpoint(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write the checkpoint to this file (never overwritten) instead of printing it.",
            dir_okay=False,
        ),
    ] = None,
    email: Annotated[
        bool,
        typer.Option(
            "--email",
            help="Email it to IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL (queued in the outbox).",
        ),
    ] = False,
) -> None:
    """Make a signed checkpoint of the audit log (needs IMPROVEFLOW_AUDIT_KEY).

    Keep it where the database's administrators cannot rewrite it; `audit verify --checkpoint`
    then proves nothing at or before it changed or went missing. Printed as JSON unless
    --output or --email says where it goes.
    """
    context = context_of(ctx)
    checkpoint = audit_checkpoints.take(context)
    if output is None and not email:
        sys.stdout.write(checkpoint.to_json())
        return
    summary = (
        f"Checkpoint of the audit log at #{checkpoint.seq} ({checkpoint.events} events, head "
        f"{checkpoint.head_hash[:16]}…), signed"
    )
    if output is not None:
        audit_checkpoints.save(checkpoint, output)
        out.print(f"{summary}, written to {output}.", markup=False, soft_wrap=True)
    if email:
        key = f"audit_checkpoint:{checkpoint.seq}:{checkpoint.made_at.isoformat()}"
        address = audit_checkpoints.queue_email(context, checkpoint, key=key)
        out.print(
            f"{summary}, queued for {address}: it goes with the next 'improveflow outbox send' "
            "(a running scheduler sends within a minute).",
            markup=False,
            soft_wrap=True,
        )


# people -----------------------------------------------------------------------------------------
