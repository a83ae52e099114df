"""Claims that live as long as their run: renewed while it sends, lapsing within a minute once
it has gone, and a database that goes away mid-run stopping every sender before its next
message. Real SMTP; SQLite and PostgreSQL, and a PostgreSQL server the test stops itself."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from sqlmodel import select
from throwaway_postgres import ThrowawayPostgres

from improveflow.clock import FrozenClock
from improveflow.models import Outbox, OutboxStatus
from improveflow.notify import outbox
from improveflow.notify.dispatch import DispatchReport, dispatch_due
from improveflow.notify.message import SMTP_POLICY, OutgoingEmail
from improveflow.notify.outbox import OutboxRow
from improveflow.services.context import Context
from improveflow.testing import DEFAULT_MOMENT, make_context
from improveflow.testing_smtp import CapturingSmtpServer

NOW = DEFAULT_MOMENT
SENDER = "plans@council.example"


class RunningClock:
    """Real time passing, from a chosen moment: the run's lease is measured on it."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


def message(row: OutboxRow) -> OutgoingEmail:
    email = EmailMessage()
    email["From"] = SENDER
    email["To"] = row.recipient_email
    email["Subject"] = f"Reminder {row.id}"
    email["Message-ID"] = make_msgid(domain="council.example")
    email.set_content(f"Dear {row.recipient_name}, action {row.id} is due soon.\n")
    return OutgoingEmail(str(email["Message-ID"]), email.as_bytes(policy=SMTP_POLICY))


def address(number: int) -> str:
    return f"owner{number}@council.example"


def enqueue(ctx: Context, count: int) -> None:
    with ctx.database.writing() as session:
        for number in range(count):
            outbox.enqueue(
                session,
                key=f"reminder:{number}",
                template="reminder",
                recipient_email=address(number),
                recipient_name=f"Owner {number}",
                person_id=None,
                context={},
                due_at=NOW,
                now=NOW,
            )


def on_server(ctx: Context, smtp: CapturingSmtpServer, pool: int) -> Context:
    settings = ctx.settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_from": SENDER,
            "smtp_pool_size": pool,
        }
    )
    return Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )


def statuses(ctx: Context) -> Counter[str]:
    with ctx.database.reading() as session:
        return Counter(row.status for row in session.exec(select(Outbox)).all())


def copies(smtp: CapturingSmtpServer) -> Counter[str]:
    return Counter(recipient for got in smtp.received for recipient in got.recipients)


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


def test_a_live_run_renews_its_claim_so_nobody_else_takes_its_emails(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A run sending for longer than its lease keeps renewing it: another worker polling all
    the while claims nothing, and every email arrives once."""
    total, lease = 60, timedelta(seconds=3)
    for number in range(total):
        smtp.stall(address(number), 0.1)  # a slow relay: the run lasts about three seconds
    mail = on_server(ctx, smtp, pool=2)
    enqueue(mail, total)
    clock = RunningClock(NOW)
    stolen: list[OutboxRow] = []
    furthest: list[datetime] = []
    running = threading.Event()

    def other_worker() -> None:
        while not running.is_set():
            time.sleep(0.01)
        while running.is_set():
            stolen.extend(outbox.claim_due(mail.database, clock.now(), 50, lease, "other"))
            with mail.database.reading() as session:
                leases = session.exec(select(Outbox.lease_until)).all()
            furthest.extend(moment for moment in leases if moment is not None)
            time.sleep(0.1)

    async def send() -> DispatchReport:
        running.set()
        try:
            return await dispatch_due(
                mail, now=NOW, factory=message, clock=clock, lease=lease, jitter=False
            )
        finally:
            running.clear()

    poller = threading.Thread(target=other_worker)
    poller.start()
    started = time.monotonic()
    report = asyncio.run(send())
    took = time.monotonic() - started
    poller.join(timeout=10)

    assert took > lease.total_seconds()  # the run outlived its first lease
    assert stolen == []
    assert max(furthest) > NOW + lease  # renewed, not merely long
    assert report.sent == total
    assert copies(smtp) == Counter({address(n): 1 for n in range(total)})


def test_a_database_stopped_mid_dispatch_repeats_at_most_one_email_per_connection(
    smtp: CapturingSmtpServer,
) -> None:
    """PostgreSQL crashes while 4 connections send: the run stops, each connection having
    repeated at most the message it had in flight; once the server is back the rest go within
    a minute of the run's start, every email arriving, none more than twice."""
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        clock = FrozenClock(NOW)
        ctx = make_context(cluster.url, clock=clock)
        total, pool = 300, 4
        for number in range(total):
            smtp.stall(address(number), 0.01)
        mail = on_server(ctx, smtp, pool=pool)
        enqueue(mail, total)

        def crash_when_under_way() -> None:
            while smtp.count < 40:
                time.sleep(0.002)
            cluster.stop("immediate")

        crasher = threading.Thread(target=crash_when_under_way)
        crasher.start()
        with pytest.raises(sa.exc.DBAPIError):
            asyncio.run(dispatch_due(mail, now=NOW, factory=message, jitter=False))
        crasher.join(timeout=60)
        delivered_then = smtp.count
        assert 40 <= delivered_then < total

        cluster.start()
        # Its lease still holds the crashed run's emails for what is left of the minute...
        assert (
            asyncio.run(dispatch_due(mail, now=NOW + timedelta(seconds=30), factory=message)).sent
            == 0
        )
        # ...and then the next run sends them.
        within_a_minute = NOW + timedelta(minutes=1, seconds=1)
        after = asyncio.run(dispatch_due(mail, now=within_a_minute, factory=message))

        got = copies(smtp)
        assert set(got) == {address(n) for n in range(total)}
        assert sum(got.values()) - total <= pool  # at most one in flight per connection
        assert after.sent >= total - delivered_then
        assert statuses(mail) == Counter({OutboxStatus.SENT: total})
        ctx.close()
    finally:
        with contextlib.suppress(Exception):
            cluster.remove()
