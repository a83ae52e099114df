"""Send the outbox rows that are due: claim, check, build, deliver through a transport, record.

Each delivery is recorded within milliseconds of the server accepting it (deliveries landing
together share one transaction), and a sender starts its next message only once its last is
recorded, so a crash, or the database going away, repeats at most one message per connection:
those in flight. A claim is a lease of a minute, renewed while the run lives: a run that cannot
renew it (the database has gone) stops every sender before its next message, and the rows of
a run that died are free for the next within a minute.

The caller hands in what the run needs as plain values: a unit of work for its short
transactions (it commits between sends), the settings, the moment it starts at, a monotonic
clock for the time it runs, and the transports (`IMPROVEFLOW_MAIL_TRANSPORT`: SMTP, Microsoft
Graph or GOV.UK Notify) from a factory it keeps across runs, so an OAuth token is fetched once
an hour rather than once a run. It knows nothing of services or of how transactions open.

With a rate limit (`smtp_rate_limit` messages a minute), a run claims only what is left of the
sending mailbox's minute, counted over every worker on the database (`stores.outbox.rate`);
whatever is due beyond it stays queued, untouched, for a later run.

Before anything is sent, the caller's relevance check sets aside emails that no longer matter
(superseded, with the reason) instead of sending them late. A temporary failure (no
connection, no reply, 4xx, a throttle) is retried with capped exponential backoff, never sooner
than the service asked (Retry-After), for as long as the email is useful (`email_useful_days`
after it was due); a permanent one (5xx to the recipient or the message) fails the row at once,
visibly, and the other messages still go. A run that sends nothing because of errors says so in
a warning, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Collection, Coroutine
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from improveflow.config import Settings
from improveflow.notify.dispatch_run import LEASE, DispatchReport, DispatchRun, MessageFactory
from improveflow.notify.monotonic import MonotonicClock, SystemMonotonic
from improveflow.notify.relevance import RelevanceCheck
from improveflow.notify.retry_policy import backoff, is_permanent
from improveflow.notify.spans import describe_span
from improveflow.stores import UnitOfWork, outbox
from improveflow.stores.outbox import RATE_WINDOW, OutboxRow
from improveflow.transports.base import DeliveryFailure

if TYPE_CHECKING:
    # Only for types: this module (and the scheduler) load without the rendering stack.
    from improveflow.notify.message import OutgoingEmail
    from improveflow.transports.base import Transport

# Makes an unopened transport that sends up to the given number of emails at once.
Transports = Callable[[int], "Transport"]

__all__ = [
    "LEASE",
    "DispatchReport",
    "MessageFactory",
    "Transports",
    "backoff",
    "default_message_factory",
    "dispatch_due",
    "is_permanent",
    "run_to_end",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")


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
    from improveflow.notify.render import EmailRenderer, invites_replies

    signer = LinkSigner.from_settings(settings, FrozenClock(now), needed_for="to send email")
    renderer = EmailRenderer(templates_dir, signer, replies=settings.reply_address is not None)
    domain = _domain_of(settings.smtp_from)
    reply_addresses = None
    if settings.reply_address and settings.secret_key:
        from improveflow.inbound.tokens import ReplyAddresses

        reply_addresses = ReplyAddresses(
            settings.secret_key,
            settings.reply_address,
            timedelta(days=settings.link_max_age_days),
            style=settings.reply_address_style,
        )

    def build(row: OutboxRow) -> OutgoingEmail:
        rendered = renderer.render(
            row.template, row.context, recipient_name=row.recipient_name, person_id=row.person_id
        )
        if row.person_id is not None:
            # RFC 8058 one-click: a token for unsubscribing this person and nothing else.
            unsubscribe = signer.unsubscribe_link(row.person_id)
        else:
            unsubscribe = f"{signer.base_url}/preferences"  # the page asks them to sign in
        reply_to = settings.smtp_reply_to
        if (
            reply_addresses is not None
            and row.person_id is not None
            and invites_replies(row.template, row.context)
        ):
            # Replies to an email about actions come back signed for its person and its actions.
            reply_to = reply_addresses.address(row.person_id, row.id, now)
        return build_message(
            rendered,
            sender=settings.smtp_from,
            recipient_email=row.recipient_email,
            recipient_name=row.recipient_name,
            message_id_domain=domain,
            idempotency_key=row.idempotency_key,
            list_unsubscribe_url=unsubscribe,
            sent_at=now,
            reply_to=reply_to,
        )

    return build


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


async def dispatch_due(
    transaction: UnitOfWork,
    settings: Settings,
    factory: MessageFactory,
    *,
    now: datetime,
    clock: MonotonicClock | None = None,
    limit: int = 500,
    jitter: bool = True,
    worker: str | None = None,
    still_relevant: RelevanceCheck | None = None,
    lease: timedelta = LEASE,
    only_ids: Collection[int] | None = None,
    transports: Transports | None = None,
) -> DispatchReport:
    """Send what is due at `now`; see the module docstring.

    `transaction` opens each of the run's short transactions; `clock` (the machine's monotonic
    clock by default) measures the run's time for its lease; `still_relevant` sets aside what
    no longer matters before sending; `only_ids` sends only those rows; `transports` makes the
    run's transport (by default a factory for the settings, made for this run alone).
    """
    clock = clock or SystemMonotonic()
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    rate_limit = settings.smtp_rate_limit
    mailbox = settings.mailbox
    rate_claim: int | None = None
    with transaction() as connection:
        allowed = limit
        if rate_limit is not None:
            # Counted and spent in this transaction: other workers wait for it on PostgreSQL.
            allowed = min(limit, outbox.rate.available(connection, mailbox, now, rate_limit))
        rows = outbox.claim_due(connection, now, allowed, lease, only_ids=only_ids)
        # Whatever is due and was not claimed waits for the rate limit: untouched, still queued.
        deferred = 0
        if rate_limit is not None and len(rows) < limit:
            deferred = outbox.count_due(connection, now)
        if rate_limit is not None and rows:
            rate_claim = outbox.rate.take(
                connection, mailbox, len(rows), now, now + lease + RATE_WINDOW
            )
    if rows:
        log.debug("worker %s claimed %d outbox rows until %s", worker, len(rows), now + lease)
    run = DispatchRun(
        transaction,
        settings,
        now,
        factory,
        rows,
        clock=clock,
        lease=lease,
        jitter=jitter,
        rate_claim=rate_claim,
    )
    run.report.deferred_by_rate_limit = deferred
    way_out = ""
    if rows:
        try:
            if still_relevant is not None:
                run.set_aside_what_no_longer_matters(still_relevant)
            if run.pending:
                async with run.renewing():
                    way_out = await _send_pending(run, transports or _transports_for(settings))
        except sa.exc.DBAPIError as error:
            log.warning(
                "dispatch by %s stopped: the database failed (%s). %d sent; every other email "
                "it held is sent by the next run once the database is back, within %s.",
                worker,
                " ".join(str(error.orig or error).split()),
                run.report.sent,
                describe_span(lease),
            )
            raise
        finally:
            _settle(run)
    _log_outcome(run.report, now, worker, len(rows), way_out)
    return run.report


def _transports_for(settings: Settings) -> Transports:
    # Imported here: the transports' HTTP clients load only when something is sent.
    from improveflow.transports.factory import TransportFactory

    return TransportFactory(settings)


async def _send_pending(run: DispatchRun, transports: Transports) -> str:
    """Open a transport and send; how the emails went ("smtp x4"), for the log."""
    transport = transports(min(run.settings.smtp_pool_size, len(run.pending)))
    try:
        await transport.open()
    except DeliveryFailure as error:
        # Nothing can go (no connection, no token, a key or template refused): every claimed
        # row goes back with its backoff, nothing is lost.
        run.fail_all(error)
        await transport.close()
        return f"{transport.name}, unavailable"
    try:
        await run.send_all(transport)
    except ExceptionGroup as group:
        raise group.exceptions[0] from group
    finally:
        await transport.close()
    return f"{transport.name} x{transport.concurrency}"


def _log_outcome(
    report: DispatchReport, now: datetime, worker: str, claimed: int, way_out: str
) -> None:
    if report.sent == 0 and (report.retried or report.failed):
        # Mail is not getting out: say so where an administrator looks, with the reason.
        log.warning(
            "no email sent at %s by %s: %d to retry, %d failed. The last error: %s",
            now.isoformat(),
            worker,
            report.retried,
            report.failed,
            report.last_error,
        )
        return
    level = logging.INFO if claimed or report.deferred_by_rate_limit else logging.DEBUG
    log.log(
        level,
        "dispatch at %s by %s: %d sent, %d to retry, %d failed, %d no longer needed, "
        "%d deferred by the rate limit (%d claimed%s)%s",
        now.isoformat(),
        worker,
        report.sent,
        report.retried,
        report.failed,
        report.superseded,
        report.deferred_by_rate_limit,
        claimed,
        f"; {way_out}" if way_out else "",
        f". The last error: {report.last_error}" if report.last_error else "",
    )


def _settle(run: DispatchRun) -> None:
    """After the senders stop, however they stopped: record what went, hand back the rest."""
    try:
        run.commit_now()
        run.record_sent()
        run.release_unattempted()
        run.settle_rate_claim()
    except sa.exc.DBAPIError as error:
        # The database has gone: the rows keep their lease, and the next run after it lapses
        # takes them (a delivery not recorded is sent again: at most one per connection).
        log.warning("could not record the end of a dispatch run: %s", error.orig or error)


def run_to_end(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run `coroutine` (a dispatch) to its end on a loop of its own, for synchronous callers."""
    with _event_loop() as runner:
        return runner.run(coroutine)


def _event_loop() -> asyncio.Runner:
    """uvloop where it exists: sending is mostly event-loop work, which it does in C."""
    try:
        import uvloop
    except ImportError:  # Windows, which uvloop does not support
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)
