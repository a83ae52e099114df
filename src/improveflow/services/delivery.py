"""Delivering email: queue what is due and send it, send ended emails again (audited), list the
outbox, and tell whether email is getting out.

The composition root for sending: dispatch knows nothing of the context, of actions or of
requests, so this is where it is handed its transactions (a unit of work on one connection
kept for the run), its clocks, the check that tells which queued emails still matter, and the
context's transports (one factory for the context's life, so OAuth tokens outlive a run).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.db import Database
from improveflow.models import OutboxStatus
from improveflow.notify import delivery_health
from improveflow.notify.delivery_health import DeliveryHealth
from improveflow.notify.monotonic import MonotonicClock, monotonic_for
from improveflow.notify.relevance import RelevanceCheck
from improveflow.services import still_relevant, sweep
from improveflow.services.context import Context
from improveflow.stores import UnitOfWork, outbox
from improveflow.stores.outbox import EndedEmail

if TYPE_CHECKING:
    # Sending (the transports, the renderer) loads only when something is sent.
    from improveflow.notify.dispatch import DispatchReport, MessageFactory

# One dispatch run claims at most this many; sending more takes several runs.
RUN_LIMIT = 500


@dataclass(frozen=True)
class Delivered:
    """What one delivery did: emails queued for the notices due, and what the run sent."""

    queued: int
    report: DispatchReport


def deliver_due(ctx: Context, now: datetime | None = None) -> Delivered:
    """Queue the emails for the notices due at `now` (approval requests, decisions), then send
    what is due, setting aside first what no longer matters: the scheduler's dispatch job and
    `outbox send`."""
    now = now or ctx.clock.now()
    queued = sweep.queue_due_notices(ctx, now=now)
    return Delivered(queued, send_due(ctx, now))


def send_due(
    ctx: Context,
    now: datetime | None = None,
    factory: MessageFactory | None = None,
    *,
    limit: int = RUN_LIMIT,
    only_ids: Collection[int] | None = None,
    check_relevance: bool = True,
) -> DispatchReport:
    """Send what is due at `now` in one run, setting aside first what no longer matters
    (unless `check_relevance` is False: every row goes as queued)."""
    from improveflow.notify import dispatch

    now = now or ctx.clock.now()
    if factory is None:
        if not _anything_due(ctx, now):
            # Most of the scheduler's minutes: no templates to compile, no run to start.
            return dispatch.DispatchReport()
        factory = dispatch.default_message_factory(ctx.settings, ctx.settings.templates_dir, now)
    check = still_relevant.checker(ctx) if check_relevance else None
    return dispatch.run_to_end(
        dispatch_due(
            ctx, now=now, factory=factory, limit=limit, still_relevant=check, only_ids=only_ids
        )
    )


async def dispatch_due(
    ctx: Context,
    *,
    now: datetime | None = None,
    factory: MessageFactory,
    limit: int = RUN_LIMIT,
    jitter: bool = True,
    worker: str | None = None,
    still_relevant: RelevanceCheck | None = None,
    clock: MonotonicClock | None = None,
    lease: timedelta | None = None,
    only_ids: Collection[int] | None = None,
) -> DispatchReport:
    """One dispatch run on the context's outbox, for callers already on an event loop.

    `lease` is how long a claim lasts unless renewed (`dispatch.LEASE` by default); `clock`
    measures the run's time (by default the monotonic clock that goes with the context's: the
    machine's, or a test's frozen clock followed as it is moved).
    """
    from improveflow.notify import dispatch

    with _transactions(ctx.database) as transaction:
        return await dispatch.dispatch_due(
            transaction,
            ctx.settings,
            factory,
            now=now or ctx.clock.now(),
            clock=clock or monotonic_for(ctx.clock),
            limit=limit,
            jitter=jitter,
            worker=worker,
            still_relevant=still_relevant,
            lease=lease or dispatch.LEASE,
            only_ids=only_ids,
            transports=ctx.transports,
        )


def _anything_due(ctx: Context, now: datetime) -> bool:
    with ctx.database.reading() as session:
        return outbox.count_due(session.connection(), now) > 0


@contextmanager
def _transactions(database: Database) -> Iterator[UnitOfWork]:
    """Units of work for one dispatch run, on a write connection kept for the run: the run
    records every few messages, and a pooled connection and session for each would cost more
    than the write."""
    kept: list[sa.Connection] = []

    @contextmanager
    def transaction() -> Iterator[sa.Connection]:
        if not kept:
            kept.append(database.writer_connection())
        with kept[0].begin():
            yield kept[0]

    try:
        yield transaction
    finally:
        for connection in kept:
            with suppress(sa.exc.DBAPIError):  # a database that has gone cannot be told
                connection.close()


def health(ctx: Context, now: datetime | None = None) -> DeliveryHealth:
    """Whether email is getting out at `now` (the context's clock by default)."""
    now = now or ctx.clock.now()
    with ctx.database.reading() as session:
        facts = outbox.queue_facts(session.connection(), now)
    return delivery_health.assess(facts, now)


def listed(ctx: Context, *, limit: int, status: OutboxStatus | None = None) -> list[dict[str, Any]]:
    """The newest emails in the outbox (those with `status` only), as JSON-ready dicts with
    `why`: the reason one was set aside, or else its last error."""
    with ctx.database.reading() as session:
        return outbox.newest(session.connection(), limit, status)


@dataclass
class Requeued:
    """Emails put back in the queue, as they were before."""

    emails: list[EndedEmail] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [email.id for email in self.emails]

    def count(self, status: OutboxStatus) -> int:
        return sum(1 for email in self.emails if email.status == status)


def requeue(
    ctx: Context,
    *,
    failed: bool = False,
    superseded: bool = False,
    ids: Collection[int] = (),
    due_since: datetime | None = None,
    now: datetime | None = None,
) -> Requeued:
    """Queue failed emails (`failed`), superseded ones (`superseded`) or those named (`ids`)
    again, due now, with one audit event; `due_since` keeps only those due since then.

    Emails named by id, and superseded ones, are sent even if they no longer seem to matter:
    an administrator asked for them. Failed ones chosen together are checked as usual, so a
    reminder for a date that has passed is not sent after an outage.
    """
    statuses = [
        status
        for status, chosen in ((OutboxStatus.FAILED, failed), (OutboxStatus.SUPERSEDED, superseded))
        if chosen
    ]
    if not statuses and not ids:
        raise exceptions.InvalidValue("Say which emails: failed ones, superseded ones, or by id")
    now = now or ctx.clock.now()
    with ctx.database.writing() as session:
        connection = session.connection()
        if ids:
            _check_named(outbox.statuses_of(connection, ids), ids)
        chosen = outbox.ended(
            connection, ids=ids or None, statuses=statuses or outbox.ENDED, due_since=due_since
        )
        if not chosen:
            return Requeued()
        anyway = {email.id for email in chosen if ids or email.status == OutboxStatus.SUPERSEDED}
        outbox.requeue(connection, [email.id for email in chosen], now, anyway)
        requeued = recorded.EmailsRequeued(
            summary=f"{len(chosen)} emails queued to be sent again",
            emails=tuple(
                recorded.RequeuedEmail(email.id, email.status.value, email.attempts)
                for email in chosen
            ),
            sent_even_if_superseded=tuple(sorted(anyway)),
        )
        audit.record(session, requeued, at=now)
    return Requeued(chosen)


def _check_named(statuses: dict[int, OutboxStatus], ids: Collection[int]) -> None:
    for row_id in sorted(ids):
        status = statuses.get(row_id)
        if status is None:
            raise exceptions.NotFound(f"No email with id {row_id}")
        if status == OutboxStatus.SENT:
            raise exceptions.InvalidValue(f"Email {row_id} was sent: there is nothing to retry")
        if status == OutboxStatus.QUEUED:
            raise exceptions.InvalidValue(
                f"Email {row_id} is still queued: it is tried again without being asked"
            )


def send_requeued(ctx: Context, requeued: Requeued, now: datetime | None = None) -> DispatchReport:
    """Send the emails just queued again, in runs of at most RUN_LIMIT; their reports added up."""
    from improveflow.notify.dispatch import DispatchReport

    total = DispatchReport()
    ids = requeued.ids
    for start in range(0, len(ids), RUN_LIMIT):
        report = send_due(ctx, now, only_ids=ids[start : start + RUN_LIMIT])
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.superseded += report.superseded
        total.errors.extend(report.errors)
        total.last_error = report.last_error or total.last_error
    return total
