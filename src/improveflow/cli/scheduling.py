"""`improveflow sweep`, `outbox`, `escalations`, `deputies` and `scheduler run`."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Annotated

import typer

from improveflow.calendar import as_london
from improveflow.cli.common import (
    JsonOption,
    NowOption,
    as_date,
    context_of,
    moment,
    out,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.models import OutboxStatus
from improveflow.services import delivery, deputies, sweep, views

outbox_app = sub_app("Email waiting to go, sent or failed.")
escalations_app = sub_app("Actions that are late or rated red, by level, and those without news.")
# How each reason for an escalation row is said in the listing.
_REASONS = {"overdue": "overdue", "rag_red": "rated red", "stalled": "no progress update"}
deputies_app = sub_app("Deputies who decide for absent members.")
scheduler_app = sub_app("Run the sweep and the dispatch on a timetable.")


@reports_refusals
def sweep_command(
    ctx: typer.Context,
    now: NowOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what is due; store nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Decide which reminders, prompts and escalations are due, and queue their emails."""
    context = context_of(ctx)
    report = sweep.sweep(context, now=moment(now), dry_run=dry_run)
    labels = views.people_labels(context, {d.person_id for d in report.decisions})
    if as_json:
        print_json(
            {
                "now": report.now.isoformat(),
                "dry_run": report.dry_run,
                "escalations_raised": report.escalations_raised,
                "emails_queued": report.emails_queued,
                "decisions": [
                    {
                        "kind": d.kind,
                        "action_id": d.action_id,
                        "request_id": d.request_id,
                        "to": labels.get(d.person_id),
                        "why": d.why,
                    }
                    for d in report.decisions
                ],
            }
        )
        return
    verb = "would be" if dry_run else "were"
    out.print(
        f"Sweep at {as_london(report.now):%a %d %b %Y %H:%M}: {len(report.decisions)} things "
        f"{verb} decided, {report.escalations_raised} escalations raised, "
        f"{report.emails_queued} emails queued."
    )
    if report.decisions:
        table(
            "Due now",
            ["what", "action", "request", "to", "why"],
            (
                (
                    d.kind.replace("_", " "),
                    d.action_id,
                    d.request_id,
                    labels.get(d.person_id),
                    d.why,
                )
                for d in report.decisions
            ),
        )


@outbox_app.command("list")
@reports_refusals
def outbox_list(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only emails that failed for good.")
    ] = False,
    superseded: Annotated[
        bool,
        typer.Option("--superseded", help="Only emails set aside because they no longer matter."),
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
    as_json: JsonOption = False,
) -> None:
    """Email waiting to go, sent, failed or set aside (with why)."""
    status = OutboxStatus.FAILED if failed else OutboxStatus.SUPERSEDED if superseded else None
    rows = delivery.listed(context_of(ctx), limit=limit, status=status)
    if as_json:
        print_json(rows)
        return
    title = "Failed email" if failed else "Email set aside" if superseded else "Outbox"
    table(
        title,
        ["id", "template", "to", "status", "attempts", "due", "sent", "why"],
        (
            (
                r["id"],
                r["template"],
                r["recipient_email"],
                r["status"],
                r["attempts"],
                r["due_at"],
                r["sent_at"],
                r["why"],
            )
            for r in rows
        ),
    )


@outbox_app.command("send")
@reports_refusals
def outbox_send(ctx: typer.Context, now: NowOption = None, as_json: JsonOption = False) -> None:
    """Queue the notices due now and send what is due (the same clock as `sweep --now`)."""
    context = context_of(ctx)
    delivered = delivery.deliver_due(context, moment(now) or context.clock.now())
    report = delivered.report
    if as_json:
        print_json({"queued": delivered.queued, **report.__dict__})
        return
    out.print(
        f"{delivered.queued} emails queued; {report.sent} sent, {report.retried} to retry later, "
        f"{report.failed} failed, {report.superseded} no longer needed (set aside), "
        f"{report.deferred_by_rate_limit} waiting for the rate limit."
    )


@escalations_app.command("list")
@reports_refusals
def escalations_list(
    ctx: typer.Context,
    plan: Annotated[int | None, typer.Option(help="Plan id.")] = None,
    level: Annotated[int | None, typer.Option(help="Only this level.")] = None,
    closed: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Open escalations: which actions are late or rated red, how far, since when; and which
    have had no progress update for a while (shown with no level)."""
    context = context_of(ctx)
    rows = views.escalation_rows(context, plan_id=plan, level=level, open_only=not closed)
    if as_json:
        print_json(rows)
        return
    table(
        "Escalations, and actions with no progress update",
        ["id", "action", "plan", "level", "reason", "target", "raised", "closed"],
        (
            (
                r["id"],
                f"{r['action_id']}: {r['description']}",
                r["plan"],
                # No news is recorded below the ladder, but it is not a level: none is shown.
                r["level"] if r["level"] > 0 else "-",
                _REASONS.get(r["reason"], r["reason"]),
                r["target_date"],
                r["raised_at"],
                r["closed_at"] or "",
            )
            for r in rows
        ),
    )


@deputies_app.command("add")
@reports_refusals
def deputies_add(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(help="Email of the member who will be away.")],
    deputy: Annotated[str, typer.Argument(help="Email of the deputy.")],
    starts: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"])],
    ends: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"])],
) -> None:
    """Name a deputy for a member's absence (both dates included)."""
    first, last = as_date(starts), as_date(ends)
    assert first is not None
    assert last is not None
    deputy_id = deputies.add_deputy(context_of(ctx), member, deputy, first, last)
    out.print(f"Deputy {deputy_id} named from {first:%d %B %Y} to {last:%d %B %Y}.")


@deputies_app.command("list")
@reports_refusals
def deputies_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every deputy named, with their dates."""
    rows = deputies.list_deputies(context_of(ctx))
    if as_json:
        print_json([row.__dict__ for row in rows])
        return
    table(
        "Deputies",
        ["id", "member", "deputy", "from", "to"],
        ((r.id, r.member, r.deputy, r.starts_on, r.ends_on) for r in rows),
    )


@scheduler_app.command("run")
@reports_refusals
def scheduler_run(ctx: typer.Context) -> None:
    """Run the sweep (every 15 minutes) and the dispatch (every minute) until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from improveflow.scheduler import build_scheduler  # APScheduler only when scheduling

    context = context_of(ctx)
    scheduler = build_scheduler(context, blocking=True)
    out.print("Scheduler running: sweep and dispatch. Stop with Ctrl+C.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
