"""`improveflow action`: actions, progress and requests for change."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer

from improveflow.cli import history
from improveflow.cli.common import (
    AsOption,
    DateOption,
    JsonOption,
    as_date,
    context_of,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.cli.wording import change_message, day, rag_label, state_label
from improveflow.services import (
    action_history,
    approvals,
    dashboard,
    plans,
    progress,
    scrutiny,
    views,
)
from improveflow.services.context import Context
from improveflow.workflow.definition import Workflow

action_app = sub_app("Actions within plans.")


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
        context_of(ctx),
        plans.NewAction(
            plan_id=plan_id,
            theme=theme,
            objective=objective,
            description=description,
            owner_email=owner,
            target_date=as_date(target),
            start_date=as_date(start),
            objective_reference=objective_ref,
            lead_text=lead,
        ),
    )
    if as_json:
        print_json({"id": action_id})
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
    context = context_of(ctx)
    rows = views.action_rows(context, plan_id=plan, state=state, owner_email=owner)
    if as_json:
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        sys.stdout.write("\n]\n")
        return
    workflows = WorkflowsByPlan(context)
    table(
        "Actions",
        ["id", "plan", "action", "lead", "target date", "state", "RAG"],
        (
            (
                r["id"],
                r["plan"],
                r["description"],
                lead_and_owner(r["owner_name"], r["lead"]),
                day(r["target_date"]) or r["timescale"] or "No date",
                state_label(workflows.of(r["plan_id"]), r["state"]),
                rag_label(r["rag"]),
            )
            for r in rows
        ),
        empty="No actions.",
    )


@action_app.command("show")
@reports_refusals
def action_show(ctx: typer.Context, action_id: int, as_json: JsonOption = False) -> None:
    """Show an action and its whole history."""
    context = context_of(ctx)
    detail = views.action_detail(context, action_id)
    if as_json:
        print_json(detail)
        return
    workflow = views.workflow_of(context, action_id)
    owner = f"{detail['owner_name']} <{detail['owner_email']}>" if detail["owner_email"] else None
    waiting = detail["pending_request_id"]
    out.print(f"[bold]Action {detail['id']}[/bold]: {detail['description']}", markup=True)
    for label, value in (
        ("Plan", f"{detail['plan']} (plan {detail['plan_id']})"),
        ("Theme", detail["theme"]),
        ("Objective", detail["objective"]),
        ("Lead in the plan", detail["lead"]),
        ("Owner", owner or "No owner yet"),
        ("Target date", day(detail["target_date"]) or detail["timescale"] or "No date"),
        ("State", state_label(workflow, detail["state"])),
        ("RAG", rag_label(detail["rag"])),
        ("Latest progress", detail["latest_progress"] or "None yet"),
        ("Waiting for a decision", f"request {waiting}" if waiting else None),
        ("Committee", signed["words"] if (signed := detail["committee_sign_off"]) else None),
    ):
        if value is not None:
            out.print(f"{label}: {value}", markup=False)
    for sentence in detail["provenance"]:
        out.print(sentence, markup=False)
    out.print("\nHistory, oldest first:")
    for line in history.lines(action_history.history_of(context, action_id)):
        out.print(f"  {line}", markup=False)


@action_app.command("sign-off")
@reports_refusals
def action_sign_off(
    ctx: typer.Context,
    action_id: int,
    on: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD the committee signed it off."),
    ],
    acting: AsOption,
    minute: Annotated[
        str | None, typer.Option(help="The minute that records it, e.g. 45/26.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a scrutiny committee signed an action off as implemented (again to correct
    it)."""
    view = scrutiny.sign_off(
        context_of(ctx), action_id, signed_off_on=on.date(), minute=minute, by_email=acting
    )
    if as_json:
        print_json(
            {
                "action_id": view.action_id,
                "signed_off_on": view.signed_off_on.isoformat(),
                "minute": view.minute,
                "recorded_by": view.recorded_by,
                "words": view.words,
            }
        )
        return
    out.print(f"Action {action_id}: {view.words}.", markup=False)


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
        context_of(ctx), action_id, progress_text, progress.parse_rag(rag), by_email=acting
    )
    out.print(f"Progress update {update_id} recorded on action {action_id}.", markup=False)


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
    context = context_of(ctx)
    result = approvals.request_change(
        context,
        action_id,
        transition,
        by_email=acting,
        reason=reason,
        new_target_date=as_date(new_target),
    )
    show_result(context, result, as_json)


def show_result(context: Context, result: approvals.ChangeResult, as_json: bool) -> None:
    if as_json:
        print_json(result.__dict__)
    else:
        workflow = views.workflow_of(context, result.action_id)
        out.print(change_message(result, workflow), markup=False)


def lead_and_owner(owner: str | None, lead: str | None) -> str:
    """As the plan tables show it: 'Dana Reeve (Head of Finance)'."""
    if owner:
        return f"{owner} ({lead})" if lead and lead != owner else owner
    return f"{lead} (no person matched yet)" if lead else "No owner yet"


class WorkflowsByPlan:
    """Each plan's workflow, looked up once."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.found: dict[int, Workflow] = {}

    def of(self, plan_id: int) -> Workflow:
        if plan_id not in self.found:
            name = dashboard.plan_for(self.context, plan_id, None).workflow
            self.found[plan_id] = self.context.workflows.workflow(name)
        return self.found[plan_id]
