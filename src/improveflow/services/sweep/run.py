"""The sweep use case: every rule of every workflow at `now`, in transactions of at most about
a hundred notices each (see `batches`), then the notices due bundled into emails a page per
transaction.

Reads only the rows that can be due, through narrow indexed ranges (see
`reminders.SweepPlanner`), so its cost follows the number due, not the number stored. Each
decision is a notice with a unique key, written in the same transaction as its audit event;
a second sweep, or a second worker, finds the key taken and adds nothing. The notices due are
then bundled into queued emails, each page committed on its own (see `bundling`).
"""

from __future__ import annotations

from datetime import datetime

from improveflow.reminders import SweepPlanner
from improveflow.services import bundling
from improveflow.services.context import Context
from improveflow.services.sweep import (
    approval_chasers,
    escalation_ladder,
    milestones,
    progress_prompts,
    target_reminders,
)
from improveflow.services.sweep.batches import NOTICES_PER_TRANSACTION, SweepTransactions
from improveflow.services.sweep.report import SweepReport
from improveflow.services.sweep.workflow_pass import WorkflowPass


class _Rollback(Exception):
    """Ends a dry run after its report is complete."""


def sweep(ctx: Context, *, now: datetime | None = None, dry_run: bool = False) -> SweepReport:
    """Record everything due now and queue the emails due; a dry run reports and stores nothing."""
    now = now or ctx.clock.now()
    report = SweepReport(now=now, dry_run=dry_run)
    if dry_run:
        try:
            with SweepTransactions(ctx.database, batch=None) as transactions:
                _run_workflows(transactions, ctx, now, report)
                report.emails_queued = bundling.bundle_due(transactions.session, ctx, now)
                raise _Rollback
        except _Rollback:
            return report
    # Committed a batch of notices at a time, so people saving progress meanwhile wait for a
    # batch, not the whole run.
    with SweepTransactions(ctx.database, batch=NOTICES_PER_TRANSACTION) as transactions:
        _run_workflows(transactions, ctx, now, report)
    # Each page of notices is bundled and committed on its own, so the write lock is held for
    # a page, not the whole run; a run that dies between pages leaves the rest to the next.
    report.emails_queued = bundling.bundle_due_by_page(ctx, now)
    return report


def queue_due_notices(ctx: Context, *, now: datetime | None = None) -> int:
    """Bundle the notices due by now (approval requests, decisions) into queued emails."""
    now = now or ctx.clock.now()
    return bundling.bundle_due_by_page(ctx, now)


def _run_workflows(
    transactions: SweepTransactions, ctx: Context, now: datetime, report: SweepReport
) -> None:
    for name in ctx.workflows.names():
        planner = SweepPlanner(ctx.workflows.workflow(name))
        _run_rules(WorkflowPass(transactions, ctx, planner, name, now, report))


def _run_rules(sweep: WorkflowPass) -> None:
    target_reminders.remind_due(sweep)
    progress_prompts.prompt_due(sweep)
    # Raised only in working hours of the workflow's working days: never at a weekend or
    # on a bank holiday, and counted on the day the email goes, which is the day raised.
    if sweep.planner.in_working_hours(sweep.now):
        escalation_ladder.raise_due(sweep)
        approval_chasers.chase_due(sweep)
        milestones.remind_due(sweep)
