"""One dispatch run: its claimed rows and their lease, the relevance check, the senders sharing
a transport, the group commit that records deliveries, and the marks for failures.

The run's moments are `now` (when it counts itself as starting: `outbox send --now` names
one) plus the time passed since on its monotonic clock, which tests can move by hand. Every
write is a short transaction from the unit of work the caller hands in, so each delivery is
recorded as soon as it is made; all of them run on the event loop between sends, so a mark
never races a renewal for the lease it names.

A failure the transport reports (`transports.base.DeliveryFailure`) says whether it is permanent,
whose fault it is and how long the service asked to wait; the next attempt is not before that
wait, nor before the backoff. When a failure would be the same for every email (the transport
unavailable: no connection, no token, a refused login or key; or the service throttling the
mailbox), no sender starts another message: what is left waits for its retry, and not before
the service asked.
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

from improveflow.config import Settings
from improveflow.models import DeliveryFault
from improveflow.notify.monotonic import MonotonicClock
from improveflow.notify.relevance import Narrowed, RelevanceCheck, Superseded
from improveflow.notify.retry_policy import backoff, fault_of, is_permanent
from improveflow.notify.smtp_pool import describe
from improveflow.notify.spans import describe_span
from improveflow.stores import UnitOfWork, outbox
from improveflow.stores.outbox import RATE_WINDOW, OutboxRow
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    TemporaryFailure,
    TransportUnavailable,
)

if TYPE_CHECKING:
    from improveflow.notify.message import OutgoingEmail
    from improveflow.transports.base import Transport

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
    """One run's rows, lease, transport and tally."""

    def __init__(
        self,
        transaction: UnitOfWork,
        settings: Settings,
        now: datetime,
        factory: MessageFactory,
        rows: list[OutboxRow],
        *,
        clock: MonotonicClock,
        lease: timedelta,
        jitter: bool,
        rate_claim: int | None = None,
    ) -> None:
        self.transaction = transaction
        self.settings = settings
        self.now = now
        self.clock = clock
        self.started = clock.monotonic()
        self.factory = factory
        self.pending = deque(rows)
        self.claimed = [row.id for row in rows]
        self.lease = lease
        self.lease_until = rows[0].lease_until if rows and rows[0].lease_until else now + lease
        # A message may take up to the timeout: none starts with less lease left.
        self.lease_margin = min(timedelta(seconds=settings.smtp_timeout_s), lease / 2)
        self.useful_for = timedelta(days=settings.email_useful_days)
        self.stopped: BaseException | None = None  # why no sender may start another message
        # A failure that would repeat for every email: no sender starts another, the rest wait.
        self.halted: DeliveryFailure | None = None
        # This run's share of the sending mailbox's rate limit, if one is set.
        self.rate_claim = rate_claim
        self.unrecorded: list[tuple[int, str | None]] = []  # delivered, not yet marked sent
        # The transaction senders are waiting on, and the timer that commits it.
        self.commit: asyncio.Future[None] | None = None
        self.window: asyncio.TimerHandle | None = None
        self.report = DispatchReport()
        self.sender = parseaddr(settings.smtp_from)[1] or settings.smtp_from
        self.jitter = jitter

    def moment(self) -> datetime:
        return self.now + timedelta(seconds=self.clock.monotonic() - self.started)

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
            await self.clock.sleep(interval)
            self.renew()

    def renew(self) -> None:
        """Extend the lease; if the database cannot, no sender starts another message."""
        until = self.moment() + self.lease
        try:
            with self.transaction() as connection:
                outbox.renew(connection, self.claimed, self.lease_until, until)
                if self.rate_claim is not None:
                    outbox.rate.extend(connection, self.rate_claim, until + RATE_WINDOW)
        except sa.exc.DBAPIError as error:
            log.warning("could not renew the claim on %d emails: %s", len(self.claimed), error)
            self.stopped = error
            return
        self.lease_until = until

    def may_send_another(self) -> bool:
        return (
            self.stopped is None
            and self.halted is None
            and self.lease_until - self.moment() > self.lease_margin
        )

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
            with self.transaction() as connection:
                marked = outbox.mark_superseded(connection, reasons, self.lease_until)
            self.report.superseded += marked
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

    async def send_all(self, transport: Transport) -> None:
        """Send the pending rows on `transport.concurrency` senders; when a failure halted the
        run, what was not sent waits for its retry."""
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, transport.concurrency)):
                group.create_task(self._sender(transport))
        if self.stopped is not None:
            raise self.stopped
        if self.halted is not None and self.pending:
            self.fail_all(self.halted)

    async def _sender(self, transport: Transport) -> None:
        # Each sender builds its next message only when it is free to send it, so building
        # (CPU) overlaps the other connections' round trips instead of running ahead of them.
        while self.pending and self.may_send_another():
            await self._deliver(transport, self.pending.popleft())

    async def _deliver(self, transport: Transport, row: OutboxRow) -> None:
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
            await transport.send(
                message, sender=self.sender, recipient=row.recipient_email, reference=str(row.id)
            )
        except DeliveryFailure as failure:
            if self.halted is None and for_every_email(failure):
                self.halted = failure  # this one waits, and so do the rest
            self.failed_attempt(row, failure, permanent=failure.permanent, fault=failure.fault)
            return
        except Exception as error:
            # Not a failure the transport judged (a bug, or an error it did not expect).
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
            with self.transaction() as connection:
                outbox.mark_sent(connection, batch, self.moment())

    def settle_rate_claim(self) -> None:
        """Shrink the run's share of the rate limit to what it sent, counting a minute on."""
        if self.rate_claim is not None:
            with self.transaction() as connection:
                outbox.rate.settle(
                    connection, self.rate_claim, self.report.sent, self.moment() + RATE_WINDOW
                )
            self.rate_claim = None

    def release_unattempted(self) -> None:
        """Hand back the rows never attempted (the lease ran short, or an error stopped the run)."""
        if not self.pending:
            return
        with self.transaction() as connection:
            outbox.release(connection, [row.id for row in self.pending], self.lease_until)

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
        if permanent or moment >= self._useful_until(row):
            if not permanent:
                text = (
                    f"gave up after {describe_span(self.useful_for)} of trying "
                    f"({row.attempts + 1} attempts): {text}"
                )
            with self.transaction() as connection:
                marked = outbox.mark_failed(
                    connection, row.id, moment, text, fault=fault, lease_until=self.lease_until
                )
            if marked:
                log.warning("outbox row %d failed at %s: %s", row.id, moment.isoformat(), text)
            self.report.failed += 1
            return
        retry_at = self._retry_at(row, moment, _retry_after(error))
        with self.transaction() as connection:
            outbox.mark_retry(
                connection,
                [(row.id, retry_at)],
                moment,
                text,
                fault=fault,
                lease_until=self.lease_until,
            )
        self.report.retried += 1

    def _retry_at(
        self, row: OutboxRow, moment: datetime, retry_after: timedelta | None = None
    ) -> datetime:
        # Not before the service asked (Retry-After), nor before the backoff; and the last try
        # falls when the email stops being useful, not an hour after.
        wait = backoff(row.attempts + 1, jitter=self.jitter)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(moment + wait, self._useful_until(row))

    def fail_all(self, error: BaseException) -> None:
        """Nothing can go now (no connection, no token): every pending row waits for its retry,
        in one transaction."""
        moment = self.moment()
        retry_after = _retry_after(error)
        retries: list[tuple[int, datetime]] = []
        while self.pending:
            row = self.pending.popleft()
            if moment >= self._useful_until(row):
                self.failed_attempt(row, error, permanent=False, fault=DeliveryFault.SERVER)
            else:
                retries.append((row.id, self._retry_at(row, moment, retry_after)))
        text = describe(error)
        if retries:
            with self.transaction() as connection:
                self.report.retried += outbox.mark_retry(
                    connection,
                    retries,
                    moment,
                    text,
                    fault=DeliveryFault.SERVER,
                    lease_until=self.lease_until,
                )
            self.report.errors.append(f"{len(retries)} emails: {text}")
        self.report.last_error = text


# A throttle is the service's answer to the mailbox (or the key), not to one recipient.
_THROTTLES = frozenset({Cause.THROTTLED, Cause.NOTIFY_DAILY_LIMIT})


def for_every_email(failure: DeliveryFailure) -> bool:
    """Whether `failure` would be the same for every email the run holds."""
    if isinstance(failure, TransportUnavailable):
        return True
    return not failure.permanent and failure.cause in _THROTTLES


def _retry_after(error: BaseException) -> timedelta | None:
    """The wait the service asked for with a temporary failure (Retry-After), if any."""
    if isinstance(error, TemporaryFailure) and error.retry_after is not None:
        return timedelta(seconds=max(0.0, error.retry_after))
    return None
