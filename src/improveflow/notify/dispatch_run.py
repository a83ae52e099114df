"""One dispatch run: its claimed rows and their lease, the relevance check, the senders sharing
a pool, the group commit that records deliveries, and the marks for failures.

The run's moments are `now` (when it counts itself as starting: `outbox send --now` names
one) plus the time passed since on the injected clock, so tests can move time for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

import sqlalchemy as sa

from improveflow.clock import Clock
from improveflow.exceptions import SmtpUnavailable
from improveflow.models import DeliveryFault
from improveflow.notify import outbox
from improveflow.notify.outbox import OutboxRow
from improveflow.notify.relevance import Narrowed, RelevanceCheck, Superseded
from improveflow.notify.retry_policy import backoff, fault_of, is_permanent
from improveflow.notify.smtp_pool import SmtpPool, describe
from improveflow.notify.spans import describe_span
from improveflow.services.context import Context

if TYPE_CHECKING:
    from improveflow.notify.message import OutgoingEmail

log = logging.getLogger(__name__)

MessageFactory = Callable[[OutboxRow], "OutgoingEmail"]

# How long a claim lasts unless renewed: how long a dead run's rows wait for the next run.
LEASE = timedelta(minutes=1)
# A live run renews its lease each time this share of it has passed.
RENEW_SHARE = 0.25
# How long the first delivery waits for others to share its transaction, and how many rows
# commit at once without waiting longer (see DispatchRun._recorded).
GROUP_COMMIT_WINDOW_S = 0.003
GROUP_COMMIT_ROWS = 4


@dataclass
class DispatchReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    superseded: int = 0
    deferred_by_rate_limit: int = 0
    errors: list[str] = field(default_factory=list)
    last_error: str | None = None  # the reason of the run's latest failed attempt


class DispatchRun:
    """One run's rows, lease, pool and tally."""

    def __init__(
        self,
        ctx: Context,
        now: datetime,
        factory: MessageFactory,
        rows: list[OutboxRow],
        *,
        clock: Clock,
        lease: timedelta,
        jitter: bool,
    ) -> None:
        self.ctx = ctx
        self.now = now
        self.clock = clock
        self.started = clock.now()
        self.factory = factory
        self.pending = deque(rows)
        self.claimed = [row.id for row in rows]
        self.lease = lease
        self.lease_until = rows[0].lease_until if rows and rows[0].lease_until else now + lease
        # A message may take up to the SMTP timeout: none starts with less lease left.
        self.lease_margin = min(timedelta(seconds=ctx.settings.smtp_timeout_s), lease / 2)
        self.useful_for = timedelta(days=ctx.settings.email_useful_days)
        self.stopped: BaseException | None = None  # why no sender may start another message
        self.unrecorded: list[tuple[int, str | None]] = []  # delivered, not yet marked sent
        # The transaction senders are waiting on, and the timer that commits it.
        self.commit: asyncio.Future[None] | None = None
        self.window: asyncio.TimerHandle | None = None
        self.records: sa.Connection | None = None  # kept for the run's many small writes
        self.report = DispatchReport()
        self.sender = parseaddr(ctx.settings.smtp_from)[1] or ctx.settings.smtp_from
        self.jitter = jitter

    def moment(self) -> datetime:
        return self.now + (self.clock.now() - self.started)

    # The lease ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Keep the claim alive for as long as the block runs."""
        task = asyncio.create_task(self._renew_until_stopped())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _renew_until_stopped(self) -> None:
        interval = self.lease.total_seconds() * RENEW_SHARE
        while self.stopped is None:
            await asyncio.sleep(interval)
            self.renew()

    def renew(self) -> None:
        """Extend the lease; if the database cannot, no sender starts another message.

        Runs on the event loop between sends, like every other write of the run, so a mark
        never races a renewal for the lease it names.
        """
        until = self.moment() + self.lease
        try:
            outbox.renew(self.ctx.database, self.claimed, self.lease_until, until)
        except sa.exc.DBAPIError as error:
            log.warning("could not renew the claim on %d emails: %s", len(self.claimed), error)
            self.stopped = error
            return
        self.lease_until = until

    def may_send_another(self) -> bool:
        return self.stopped is None and self.lease_until - self.moment() > self.lease_margin

    # Relevance ------------------------------------------------------------------------------

    def set_aside_what_no_longer_matters(self, still_relevant: RelevanceCheck) -> None:
        """Mark superseded the rows the check says no longer matter; narrow the others."""
        checked = [row for row in self.pending if not row.send_anyway]
        if not checked:
            return
        try:
            verdicts = still_relevant(checked, self.now)
        except sa.exc.DBAPIError:
            raise  # the database is failing: stop before sending anything
        except Exception:
            # A bug in the check must not stop the mail: the emails go as they were queued.
            log.exception("could not tell which emails still matter; sending them as queued")
            return
        reasons = {
            row_id: verdict.reason
            for row_id, verdict in verdicts.items()
            if isinstance(verdict, Superseded)
        }
        if reasons:
            self.report.superseded += outbox.mark_superseded(
                self.ctx.database, reasons, self.lease_until
            )
            log.info("%d emails no longer matter and were not sent", len(reasons))
        kept: deque[OutboxRow] = deque()
        for row in self.pending:
            verdict = verdicts.get(row.id)
            if isinstance(verdict, Narrowed):
                row = replace(row, context=verdict.context)
            if not isinstance(verdict, Superseded):
                kept.append(row)
        self.pending = kept

    # Sending --------------------------------------------------------------------------------

    async def send_all(self, pool: SmtpPool) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(pool.size):
                group.create_task(self._sender(pool))
        if self.stopped is not None:
            raise self.stopped

    async def _sender(self, pool: SmtpPool) -> None:
        # Each sender builds its next message only when it is free to send it, so building
        # (CPU) overlaps the other connections' round trips instead of running ahead of them.
        while self.pending and self.may_send_another():
            await self._deliver(pool, self.pending.popleft())

    async def _deliver(self, pool: SmtpPool, row: OutboxRow) -> None:
        try:
            message = self.factory(row)
        except Exception as error:
            # A template or address problem is this message's own and will not mend by itself.
            self.failed_attempt(
                row,
                error,
                permanent=True,
                fault=DeliveryFault.MESSAGE,
                prefix="could not build the message: ",
            )
            return
        try:
            await pool.send(message, sender=self.sender, recipient=row.recipient_email)
        except Exception as error:
            self.failed_attempt(row, error, permanent=is_permanent(error), fault=fault_of(error))
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
            outbox.mark_sent_many(self.records, batch, self.moment())

    def close(self) -> None:
        if self.records is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self.records.close()
            self.records = None

    # Failures -------------------------------------------------------------------------------

    def _useful_until(self, row: OutboxRow) -> datetime:
        return row.due_at + self.useful_for

    def failed_attempt(
        self,
        row: OutboxRow,
        error: BaseException,
        *,
        permanent: bool,
        fault: DeliveryFault,
        prefix: str = "",
    ) -> None:
        text = prefix + describe(error)
        self.report.errors.append(f"outbox row {row.id} to {row.recipient_email}: {text}")
        self.report.last_error = text
        moment = self.moment()
        database = self.ctx.database
        if permanent or moment >= self._useful_until(row):
            if not permanent:
                text = (
                    f"gave up after {describe_span(self.useful_for)} of trying "
                    f"({row.attempts + 1} attempts): {text}"
                )
            outbox.mark_failed(
                database, row.id, moment, text, fault=fault, lease_until=self.lease_until
            )
            self.report.failed += 1
            return
        retry_at = self._retry_at(row, moment)
        outbox.mark_retry(
            database, row.id, moment, text, retry_at, fault=fault, lease_until=self.lease_until
        )
        self.report.retried += 1

    def _retry_at(self, row: OutboxRow, moment: datetime) -> datetime:
        # The last try falls when the email stops being useful, not an hour after.
        wait = backoff(row.attempts + 1, jitter=self.jitter)
        return min(moment + wait, self._useful_until(row))

    def fail_all(self, error: SmtpUnavailable) -> None:
        """No connection at all: every claimed row waits for its retry, in one transaction."""
        moment = self.moment()
        retries: list[tuple[int, datetime]] = []
        while self.pending:
            row = self.pending.popleft()
            if moment >= self._useful_until(row):
                self.failed_attempt(row, error, permanent=False, fault=DeliveryFault.SERVER)
            else:
                retries.append((row.id, self._retry_at(row, moment)))
        text = describe(error)
        self.report.retried += outbox.mark_retry_many(
            self.ctx.database,
            retries,
            moment,
            text,
            fault=DeliveryFault.SERVER,
            lease_until=self.lease_until,
        )
        if retries:
            self.report.errors.append(f"{len(retries)} emails: {text}")
        self.report.last_error = text
