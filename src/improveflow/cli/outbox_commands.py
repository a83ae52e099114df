"""`improveflow outbox retry` and `improveflow status`: sending ended emails again, and whether
email is getting out."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

import typer

from improveflow.calendar import LONDON, as_london
from improveflow.cli.common import (
    JsonOption,
    NowOption,
    context_of,
    err,
    moment,
    out,
    print_json,
    reports_refusals,
)
from improveflow.cli.scheduling import outbox_app
from improveflow.models import OutboxStatus
from improveflow.notify.delivery_health import DeliveryHealth
from improveflow.notify.spans import describe_span
from improveflow.notify.wording import long_date
from improveflow.services import delivery


@outbox_app.command("retry")
@reports_refusals
def outbox_retry(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Emails that failed (refused, or never sent).")
    ] = False,
    superseded: Annotated[
        bool,
        typer.Option(
            "--superseded", help="Emails set aside as no longer needed: sent all the same."
        ),
    ] = False,
    ids: Annotated[
        list[int] | None,
        typer.Option("--id", help="This email (repeat for more): sent all the same."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only emails due on or after this day."),
    ] = None,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send failed or superseded emails again, now; recorded in the audit log.

    Failed emails chosen with --failed are checked again first: one that no longer matters
    (a reminder for a date that has passed) is set aside, not sent late.
    """
    if not (failed or superseded or ids):
        raise typer.BadParameter(
            "say which emails: --failed, --superseded or --id N", param_hint="--failed"
        )
    context = context_of(ctx)
    when = moment(now) or context.clock.now()
    due_since = datetime.combine(since.date(), time(0), tzinfo=LONDON) if since else None
    requeued = delivery.requeue(
        context,
        failed=failed,
        superseded=superseded,
        ids=ids or (),
        due_since=due_since,
        now=when,
    )
    report = delivery.send_requeued(context, requeued, when)
    if as_json:
        print_json(
            {
                "queued_again": requeued.ids,
                "sent": report.sent,
                "retried": report.retried,
                "failed": report.failed,
                "superseded": report.superseded,
                "errors": report.errors,
            }
        )
        return
    if not requeued.emails:
        out.print("No email matched: nothing was queued again.")
        return
    out.print(
        f"{_emails(len(requeued.emails))} queued again "
        f"({requeued.count(OutboxStatus.FAILED)} failed, "
        f"{requeued.count(OutboxStatus.SUPERSEDED)} superseded): {report.sent} sent, "
        f"{report.retried} to retry later, {report.failed} failed, "
        f"{report.superseded} no longer needed.",
        markup=False,
    )
    if report.last_error:
        out.print(f"The last error: {report.last_error}", markup=False, soft_wrap=True)


@reports_refusals
def status_command(ctx: typer.Context, now: NowOption = None, as_json: JsonOption = False) -> None:
    """Whether email is getting out: the queue, the last email sent, the last error.

    Exits with 1 when email is failing or stuck, so a monitoring script can tell.
    """
    context = context_of(ctx)
    try:
        found = delivery.health(context, moment(now))
    finally:
        context.close()
    if as_json:
        print_json(found.as_json(public=False))
    else:
        for line in _status_lines(found):
            out.print(line, markup=False, soft_wrap=True)
    for title, detail in found.problem_words:
        err.print(f"Problem: {title}. {detail}", markup=False, soft_wrap=True)
    if not found.healthy:
        raise typer.Exit(1)


def _status_lines(health: DeliveryHealth) -> list[str]:
    checked = health.checked_at
    lines = [
        f"Email delivery at {_when(checked)}: "
        + ("working." if health.healthy else "NOT WORKING (see below)."),
        f"Waiting to go: {_emails(health.queued)}, {health.due} due now, "
        f"{health.retrying} waiting to be tried again.",
    ]
    age = health.oldest_due_age
    if age is not None and health.oldest_due_at is not None:
        lines.append(
            f"Oldest waiting: due {describe_span(age)} ago, at {_when(health.oldest_due_at)}."
        )
    if health.last_sent_at is None:
        lines.append("Last email sent: none yet.")
    else:
        ago = describe_span(checked - health.last_sent_at)
        lines.append(f"Last email sent: {_when(health.last_sent_at)} ({ago} ago).")
    if health.last_error is None or health.last_error_at is None:
        lines.append("Last error: none.")
    else:
        lines.append(
            f"Last error, at {_when(health.last_error_at)}, the latest failure of "
            f"{_emails(health.last_error_count)} not sent: {health.last_error}"
        )
    lines.append(
        f"Failed: {_emails(health.failed)} ('improveflow outbox list --failed' says why; "
        "'improveflow outbox retry --failed' sends them again)."
    )
    lines.append(f"No longer needed, so not sent: {_emails(health.superseded)}.")
    return lines


def _when(at: datetime) -> str:
    return f"{as_london(at):%H:%M} on {long_date(as_london(at).date())}"


def _emails(count: int) -> str:
    return "1 email" if count == 1 else f"{count:,} emails"
