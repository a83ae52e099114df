"""The scheduler: runs the sweep, the dispatch and the daily audit checkpoint on a timetable.

APScheduler 3 keeps its jobs in memory, one set per process: its job stores must never be
shared between processes. All correctness lives in the database (unique notice keys, leased
outbox rows claimed with SKIP LOCKED), so several `improveflow scheduler run` processes may
run against one PostgreSQL database at once (the day's audit checkpoint is emailed once, under
its outbox key, and saved once, as a file never overwritten).
"""

from __future__ import annotations

import logging
from datetime import time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from improveflow import exceptions
from improveflow.calendar import LONDON
from improveflow.services import audit_checkpoints, delivery, sweep
from improveflow.services.context import Context

log = logging.getLogger(__name__)

# Before the working day's reminders, covering everything recorded the day before.
AUDIT_CHECKPOINT_AT = time(6, 0)


def sweep_job(ctx: Context) -> None:
    """Decide what is due now and queue its emails."""
    report = sweep.sweep(ctx)
    log.info(
        "sweep at %s: %d decisions, %d escalations raised, %d emails queued",
        report.now.isoformat(),
        len(report.decisions),
        report.escalations_raised,
        report.emails_queued,
    )


def dispatch_job(ctx: Context) -> None:
    """Queue the emails for notices due now (approval requests, decisions) and send."""
    now = ctx.clock.now()
    delivered = delivery.deliver_due(ctx, now)
    report = delivered.report
    log.info(
        "dispatch at %s: %d queued, %d sent, %d to retry, %d failed, %d no longer needed",
        now.isoformat(),
        delivered.queued,
        report.sent,
        report.retried,
        report.failed,
        report.superseded,
    )


def audit_checkpoint_job(ctx: Context) -> None:
    """Make the day's signed audit checkpoint and email it and/or save it, as configured."""
    try:
        done = audit_checkpoints.daily(ctx)
    except exceptions.ImproveflowError as error:
        # A log that no longer verifies gets no checkpoint: the missing day is itself a signal.
        log.error("audit checkpoint not made: %s", error)
        return
    log.info(
        "audit checkpoint at %s: %d events, head %s; emailed to %s; saved to %s",
        done.checkpoint.made_at.isoformat(),
        done.checkpoint.events,
        done.checkpoint.head_hash[:16],
        done.emailed_to or "nobody",
        done.saved_to or "no file",
    )


def inbound_poll_job(ctx: Context) -> None:
    """Read the mailbox replies arrive in, and record each reply."""
    # Imported here: the reply parser loads only where replies are read.
    from improveflow.services import reply_mailbox

    try:
        report = reply_mailbox.poll_replies(ctx)
    except exceptions.ImproveflowError as error:
        log.error("replies not read: %s", error)
        return
    log.info("replies read: %d handled, %d left for the next poll", report.handled, report.left)


def build_scheduler(ctx: Context, *, blocking: bool) -> BaseScheduler:
    """A scheduler with the sweep (cron, every N minutes), the dispatch (every minute), when
    IMPROVEFLOW_IMAP_HOST and _REPLY_ADDRESS are set the replies read from the mailbox, and,
    when IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL or _DIR is set, the daily audit checkpoint.

    ConfigurationError when a daily checkpoint is asked for and cannot be made."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=LONDON) if blocking else BackgroundScheduler(timezone=LONDON)
    )
    settings = ctx.settings
    # coalesce: after a pause, run once, not once per missed tick (the sweep catches up
    # by itself); max_instances=1: a slow run is never overlapped by the next.
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        sweep_job,
        CronTrigger(minute=f"*/{settings.sweep_every_minutes}", timezone=LONDON),
        args=[ctx],
        id="sweep",
        name="sweep: reminders, prompts, escalations",
        **common,
    )
    scheduler.add_job(
        dispatch_job,
        IntervalTrigger(seconds=settings.dispatch_every_seconds, timezone=LONDON),
        args=[ctx],
        id="dispatch",
        name="dispatch: send queued email",
        **common,
    )
    if settings.imap_host and settings.reply_address:
        scheduler.add_job(
            inbound_poll_job,
            IntervalTrigger(minutes=settings.imap_poll_every_minutes, timezone=LONDON),
            args=[ctx],
            id="inbound_poll",
            name="inbound poll: owners' replies from the shared mailbox",
            **common,
        )
    if audit_checkpoints.check_daily_settings(settings, ctx.database.audit_key):
        scheduler.add_job(
            audit_checkpoint_job,
            CronTrigger(
                hour=AUDIT_CHECKPOINT_AT.hour, minute=AUDIT_CHECKPOINT_AT.minute, timezone=LONDON
            ),
            args=[ctx],
            id="audit_checkpoint",
            name="audit checkpoint: the day's signed checkpoint, out of the database's reach",
            **common,
        )
    return scheduler
