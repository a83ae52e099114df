"""`improveflow action`: actions, progress and requests for change."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer

from improveflow.cli.common import (
    AsOption,
    DateOption,
    JsonOption,
    as_date,
    context_of,
    local,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.services import approvals, plans, progress, views

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
    rows = views.action_rows(context_of(ctx), plan_id=plan, state=state, owner_email=owner)
    if as_json:
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        sys.stdout.write("\n]\n")
        return
    table(
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
    detail = views.action_detail(context_of(ctx), action_id)
    if as_json:
        print_json(detail)
        return
    out.print(f"[bold]Action {detail['id']}[/bold]: {detail['description']}", markup=True)
    for label, key in (
        ("Plan", "plan"), ("Theme", "theme"), ("Objective", "objective"), ("Owner", "owner_email"),
        ("Lead", "lead"), ("Target date", "target_date"), ("State", "state"), ("RAG", "rag"),
        ("Latest progress", "latest_progress"), ("Waiting request", "pending_request_id"),
    ):  # fmt: skip
        if detail.get(key) is not None:
            out.print(f"{label}: {detail[key]}", markup=False)
    table(
        "History",
        ["at", "event", "by", "from", "to", "comment"],
        (
            (local(h["at"]), h["event"], h["by"], h["from_state"], h["to_state"], h["comment"])
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
        context_of(ctx), action_id, progress_text, progress.parse_rag(rag), by_email=acting
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
        context_of(ctx),
        action_id,
        transition,
        by_email=acting,
        reason=reason,
        new_target_date=as_date(new_target),
    )
    show_result(result, as_json)


def show_result(result: approvals.ChangeResult, as_json: bool) -> None:
    if as_json:
        print_json(result.__dict__)
    else:
        out.print(result.message, markup=False)


# approvals --------------------------------------------------------------------------------------
