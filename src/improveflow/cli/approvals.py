"""`improveflow approvals`: what CMT and Cabinet decide."""

from __future__ import annotations

from typing import Annotated

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
from improveflow.models import Verdict
from improveflow.services import approvals, views

approvals_app = sub_app("Requests waiting for CMT or Cabinet.")


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
    rows = views.approval_rows(
        context_of(ctx), body=body, status=None if status == "all" else status
    )
    if as_json:
        print_json(rows)
        return
    table(
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
        context_of(ctx), request_id, Verdict.APPROVE, by_email=acting, comment=comment
    )
    show_result(result, as_json)


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
        context_of(ctx), request_id, Verdict.REJECT, by_email=acting, comment=comment
    )
    show_result(result, as_json)


@approvals_app.command("withdraw")
@reports_refusals
def approvals_withdraw(
    ctx: typer.Context, request_id: int, acting: AsOption, as_json: JsonOption = False
) -> None:
    """Withdraw your own pending request."""
    show_result(approvals.withdraw(context_of(ctx), request_id, by_email=acting), as_json)
