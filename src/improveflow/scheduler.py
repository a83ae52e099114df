"""The scheduler: runs the sweep and the dispatch on a timetable, inside one process.

APScheduler 3 keeps its jobs in memory, one set per process: its job stores must never be
shared between processes. All correctness lives in the database (unique notice keys, leased
outbox rows claimed with SKIP LOCKED), so several `improveflow scheduler run` processes may
run against one PostgreSQL database at once.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from improveflow.calendar import LONDON
from improveflow.notify.dispatch import send_due
from improveflow.services import sweep
from improveflow.services.context import Context

log = logging.getLogger(__name__)


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
    queued = sweep.queue_due_notices(ctx, now=now)
    report = send_due(ctx, now=now)
    log.info(
        "dispatch at %s: %d queued, %d sent, %d to retry, %d failed",
        now.isoformat(),
        queued,
        report.sent,
        report.retried,
        report.failed,
    )


def build_scheduler(ctx: Context, *, blocking: bool) -> BaseScheduler:
    """A scheduler with the sweep (cron, every N minutes) and the dispatch (every minute)."""
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
    return scheduler
