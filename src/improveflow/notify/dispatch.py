"""Send the outbox rows that are due: claim, build, deliver through a small pool, record.

Each delivery is recorded within milliseconds of the server accepting it (deliveries landing
together share one transaction), and a sender starts its next message only once its last is
recorded, so a crash repeats at most one message per connection: those in flight. A
temporary failure (4xx, no connection, timeout) is retried with exponential backoff until
`smtp_max_attempts`; a permanent one (5xx to the recipient or the message) fails the row at
once, visibly, and the other messages still go.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib
import sqlalchemy as sa

from improveflow.config import Settings
from improveflow.exceptions import SmtpUnavailable
from improveflow.notify import outbox
from improveflow.notify.outbox import OutboxRow
from improveflow.notify.smtp_pool import SmtpPool, describe
from improveflow.services.context import Context

if TYPE_CHECKING:
    # Only for types: this module (and the scheduler) load without the rendering stack.
    from improveflow.notify.message import OutgoingEmail

log = logging.getLogger(__name__)

MessageFactory = Callable[[OutboxRow], "OutgoingEmail"]

# Long enough for a whole run against a slow server; a crashed run's rows wait this long.
LEASE = timedelta(minutes=15)
# Stop taking new rows once this share of the lease has passed, so none is sent after it lapses.
_LEASE_SHARE = 0.8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# How long the first delivery waits for others to share its transaction, and how many rows
# commit at once without waiting longer (see _Run._recorded).
GROUP_COMMIT_WINDOW_S = 0.003
GROUP_COMMIT_ROWS = 4
# Jitter only shortens a wait, by up to this share, so retries of one outage spread out.
JITTER = 0.2


@dataclass
class DispatchReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred_by_rate_limit: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempt: int, *, jitter: bool = True, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number `attempt` (1, 2, ...): 1 min, 2, 4, ... at most 1 h."""
    wait: timedelta = min(BACKOFF_FIRST * 2 ** min(max(attempt, 1) - 1, 16), BACKOFF_CAP)
    if jitter:
        wait *= 1 - JITTER * (rng or random).random()
    return wait


def is_permanent(error: BaseException) -> bool:
    """Whether retrying cannot help: a 5xx about this recipient or message, or an unsendable one.

    A 5xx to the greeting, EHLO, login or sender concerns the server or our settings, not
    this message: those are retried (and end failed after the maximum attempts).
    """
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return error.code >= 500
    # An address aiosmtplib will not put on the wire, or UTF-8 the server cannot take.
    return isinstance(error, aiosmtplib.SMTPNotSupported | ValueError)


def default_message_factory(
    settings: Settings, templates_dir: Path, now: datetime
) -> MessageFactory:
    """Render rows with the templates under `templates_dir` (its `emails/`), links signed at `now`.

    Builds the renderer (compiling every template) once, so a broken template stops the run
    before anything is claimed.
    """
    # Imported here so this module (and the scheduler) load without the rendering stack.
    from improveflow.clock import FrozenClock
    from improveflow.links import LinkSigner
    from improveflow.notify.message import build_message
    from improveflow.notify.render import EmailRenderer

    signer = LinkSigner.from_settings(settings, FrozenClock(now), needed_for="to send email")
    renderer = EmailRenderer(templates_dir, signer)
    domain = _domain_of(settings.smtp_from)

    def build(row: OutboxRow) -> OutgoingEmail:
        rendered = renderer.render(
            row.template, row.context, recipient_name=row.recipient_name, person_id=row.person_id
        )
        if row.person_id is not None:
            preferences = signer.preferences_link(row.person_id)
        else:
            preferences = f"{signer.base_url}/preferences"  # the page asks them to sign in
        return build_message(
            rendered,
            sender=settings.smtp_from,
            recipient_email=row.recipient_email,
            recipient_name=row.recipient_name,
            message_id_domain=domain,
            idempotency_key=row.idempotency_key,
            list_unsubscribe_url=preferences,
            sent_at=now,
        )

    return build


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


class _Run:
    """One run's rows, pool and tally."""

    def __init__(
        self,
        ctx: Context,
        now: datetime,
        factory: MessageFactory,
        rows: list[OutboxRow],
        *,
        jitter: bool,
    ) -> None:
        self.ctx = ctx
        self.now = now
        self.factory = factory
        self.pending = deque(rows)
        self.unrecorded: list[tuple[int, str | None]] = []  # delivered, not yet marked sent
        # The transaction senders are waiting on, and the timer that commits it.
        self.commit: asyncio.Future[None] | None = None
        self.window: asyncio.TimerHandle | None = None
        self.records: sa.Connection | None = None  # kept for the run's many small writes
        self.report = DispatchReport()
        self.sender = parseaddr(ctx.settings.smtp_from)[1] or ctx.settings.smtp_from
        self.deadline = time.monotonic() + LEASE.total_seconds() * _LEASE_SHARE
        self.jitter = jitter

    async def send_all(self, pool: SmtpPool) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(pool.size):
                group.create_task(self._sender(pool))

    async def _sender(self, pool: SmtpPool) -> None:
        # Each sender builds its next message only when it is free to send it, so building
        # (CPU) overlaps the other connections' round trips instead of running ahead of them.
        while self.pending and time.monotonic() < self.deadline:
            await self._deliver(pool, self.pending.popleft())

    async def _deliver(self, pool: SmtpPool, row: OutboxRow) -> None:
        try:
            message = self.factory(row)
        except Exception as error:
            # A template or address problem is this message's own and will not mend by itself.
            self.failed_attempt(row, error, permanent=True, prefix="could not build the message: ")
            return
        try:
            await pool.send(message, sender=self.sender, recipient=row.recipient_email)
        except Exception as error:
            self.failed_attempt(row, error, permanent=is_permanent(error))
            return
        self.report.sent += 1
        self.unrecorded.append((row.id, message.message_id))
        await self._recorded()

    async def _recorded(self) -> None:
        """Return once this sender's delivery is recorded (group commit).

        A transaction costs far more than a row, so the first delivery to wait opens a short
        window, and those landing on other connections meanwhile join its transaction, which
        commits when the window closes or enough rows have joined. A sender starts its next
        message only after this, so a crash repeats at most one message per connection.
        """
        commit = self.commit
        if commit is None:
            loop = asyncio.get_running_loop()
            commit = self.commit = loop.create_future()
            self.window = loop.call_later(GROUP_COMMIT_WINDOW_S, self.commit_now)
        elif len(self.unrecorded) >= GROUP_COMMIT_ROWS:
            self.commit_now()
        await commit

    def commit_now(self) -> None:
        """Record the deliveries waiting for a transaction, and wake their senders."""
        commit, self.commit = self.commit, None
        if self.window is not None:
            self.window.cancel()
            self.window = None
        if commit is None or commit.done():
            return
        try:
            self.record_sent()
        except Exception as error:
            commit.set_exception(error)  # every sender waiting on it fails with it
        else:
            commit.set_result(None)

    def record_sent(self) -> None:
        if self.unrecorded:
            batch, self.unrecorded = self.unrecorded, []
            if self.records is None:
                self.records = self.ctx.database.writer_connection()
            outbox.mark_sent_many(self.records, batch, self.now)

    def close(self) -> None:
        if self.records is not None:
            self.records.close()
            self.records = None

    def failed_attempt(
        self, row: OutboxRow, error: BaseException, *, permanent: bool, prefix: str = ""
    ) -> None:
        text = prefix + describe(error)
        self.report.errors.append(f"outbox row {row.id} to {row.recipient_email}: {text}")
        attempt = row.attempts + 1
        database = self.ctx.database
        if permanent or attempt >= self.ctx.settings.smtp_max_attempts:
            if not permanent:
                text = f"gave up after {attempt} attempts: {text}"
            outbox.mark_failed(database, row.id, self.now, text, lease_until=row.lease_until)
            self.report.failed += 1
            return
        retry_at = self.now + backoff(attempt, jitter=self.jitter)
        outbox.mark_retry(database, row.id, self.now, text, retry_at, lease_until=row.lease_until)
        self.report.retried += 1


async def dispatch_due(
    ctx: Context,
    *,
    now: datetime | None = None,
    factory: MessageFactory,
    limit: int = 500,
    jitter: bool = True,
    worker: str | None = None,
) -> DispatchReport:
    """Send what is due at `now` (the context's clock by default); see the module docstring."""
    now = now or ctx.clock.now()
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    settings = ctx.settings
    rate_limit = settings.smtp_rate_limit
    rows = outbox.claim_due(ctx.database, now, limit, LEASE, worker, rate_limit=rate_limit)
    run = _Run(ctx, now, factory, rows, jitter=jitter)
    if rate_limit is not None and len(rows) < limit:
        # Whatever is due and was not claimed waits for the rate limit: untouched, still queued.
        run.report.deferred_by_rate_limit = outbox.count_due(ctx.database, now)
    connections = 0
    if rows:
        pool = SmtpPool(settings, min(settings.smtp_pool_size, len(rows)))
        try:
            await pool.open()
        except SmtpUnavailable as error:
            # Nothing can go: every claimed row goes back with its backoff, nothing is lost.
            while run.pending:
                run.failed_attempt(run.pending.popleft(), error, permanent=False)
        else:
            try:
                await run.send_all(pool)
            except ExceptionGroup as group:
                raise group.exceptions[0] from group
            finally:
                await pool.close()
                _settle(run)
            connections = pool.connections_opened
    report = run.report
    level = logging.INFO if rows or report.deferred_by_rate_limit else logging.DEBUG
    log.log(
        level,
        "dispatch at %s by %s: %d sent, %d to retry, %d failed, %d deferred by the rate limit "
        "(%d claimed, %d connections)",
        now.isoformat(),
        worker,
        report.sent,
        report.retried,
        report.failed,
        report.deferred_by_rate_limit,
        len(rows),
        connections,
    )
    return report


def _settle(run: _Run) -> None:
    """After the senders stop, however they stopped: record what went, hand back the rest."""
    try:
        run.commit_now()
        run.record_sent()
        # Rows never attempted (the lease ran short, or an error stopped the run).
        outbox.release(run.ctx.database, list(run.pending))
    except Exception:
        # Already failing: the rows keep their lease and the next run after it takes them.
        log.exception("could not record the end of a dispatch run")
    finally:
        run.close()


def send_due(
    ctx: Context,
    now: datetime | None = None,
    factory: MessageFactory | None = None,
    *,
    limit: int = 500,
) -> DispatchReport:
    """`dispatch_due` for synchronous callers (the CLI, the scheduler's jobs)."""
    now = now or ctx.clock.now()
    if factory is None:
        factory = default_message_factory(ctx.settings, ctx.settings.templates_dir, now)
    with _event_loop() as runner:
        return runner.run(dispatch_due(ctx, now=now, factory=factory, limit=limit))


def _event_loop() -> asyncio.Runner:
    """uvloop where it exists: sending is mostly event-loop work, which it does in C."""
    try:
        import uvloop
    except ImportError:  # Windows, which uvloop does not support
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)
