"""`improveflow approvals`: what CMT and Cabinet decide."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from improveflow.cli.actions import show_result
from improveflow.cli.common import (
    AsOption,
    JsonOption,
    context_of,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.cli.wording import body_name, change_label, day
from improveflow.models import RequestStatus, Verdict
from improveflow.services import approvals, views
from improveflow.workflow.definition import Workflow

approvals_app = sub_app("Requests waiting for CMT or Cabinet.")


STATUS_LABELS = {
    RequestStatus.PENDING: "Waiting for a decision",
    RequestStatus.APPROVED: "Approved",
    RequestStatus.REJECTED: "Rejected",
    RequestStatus.WITHDRAWN: "Withdrawn",
    RequestStatus.SUPERSEDED: "Closed: no longer applied",
}


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
    context = context_of(ctx)
    rows = views.approval_rows(context, body=body, status=None if status == "all" else status)
    if as_json:
        print_json(rows)
        return
    workflows: dict[int, Workflow] = {}

    def workflow(action_id: int) -> Workflow:
        if action_id not in workflows:
            workflows[action_id] = views.workflow_of(context, action_id)
        return workflows[action_id]

    def change(row: dict[str, Any]) -> str:
        asked = change_label(workflow(row["action_id"]), row["transition"])
        new_date = row["new_target_date"]
        return f"{asked} to {day(new_date)}" if new_date else asked

    waiting = "waiting for a decision" if status == "pending" else ""
    table(
        "Approval requests",
        ["id", "action", "change asked for", "decided by", "asked by", "reason", "status"],
        (
            (
                r["id"],
                r["action_id"],
                change(r),
                body_name(workflow(r["action_id"]), r["body"]),
                r["requested_by"],
                r["reason"] or "None given",
                STATUS_LABELS.get(r["status"], r["status"]),
            )
            for r in rows
        ),
        empty=f"No requests {waiting}{' for ' + body if body else ''}.".replace("  ", " "),
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
    context = context_of(ctx)
    result = approvals.decide(
        context, request_id, Verdict.APPROVE, by_email=acting, comment=comment
    )
    show_result(context, result, as_json)


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
    context = context_of(ctx)
    result = approvals.decide(context, request_id, Verdict.REJECT, by_email=acting, comment=comment)
    show_result(context, result, as_json)


@approvals_app.command("withdraw")
@reports_refusals
def approvals_withdraw(
    ctx: typer.Context, request_id: int, acting: AsOption, as_json: JsonOption = False
) -> None:
    """Withdraw your own pending request."""
    context = context_of(ctx)
    show_result(context, approvals.withdraw(context, request_id, by_email=acting), as_json)
