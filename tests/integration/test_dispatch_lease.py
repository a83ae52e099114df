"""Claims that live as long as their run: renewed while it sends, lapsing within a minute once
it has gone, and a database that goes away mid-run stopping every sender before its next
message. Real SMTP; SQLite and PostgreSQL, and a PostgreSQL server the test stops itself. The
run's time is a monotonic clock the test turns by hand."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from throwaway_postgres import ThrowawayPostgres

from improveflow.clock import FrozenClock
from improveflow.models import Outbox, OutboxStatus
from improveflow.notify.dispatch import LEASE
from improveflow.notify.message import SMTP_POLICY, OutgoingEmail
from improveflow.services.context import Context
from improveflow.services.delivery import dispatch_due
from improveflow.stores import outbox
from improveflow.stores.outbox import OutboxRow
from improveflow.testing import DEFAULT_MOMENT, make_context
from improveflow.testing.smtp import CapturingSmtpServer

NOW = DEFAULT_MOMENT
SENDER = "plans@council.example"


class HandTurnedClock:
    """A monotonic clock that moves only when turned; a sleeper on it wakes once the clock has
    been turned past its time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.seconds + seconds, woken))
        await woken

    def turn(self, by: timedelta) -> None:
        self.seconds += by.total_seconds()
        still = []
        for until, woken in self.sleepers:
            if woken.done():  # a sleeper cancelled when its run ended
                continue
            if until <= self.seconds:
                woken.set_result(None)
            else:
                still.append((until, woken))
        self.sleepers = still


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


def held_until(ctx: Context) -> datetime | None:
    """The earliest lease on a queued row, or None when none is held."""
    leased = (Outbox.status == OutboxStatus.QUEUED, col(Outbox.lease_until).is_not(None))
    with ctx.database.reading() as session:
        leases = session.exec(select(Outbox.lease_until).where(*leased)).all()
    return min((lease for lease in leases if lease is not None), default=None)


def copies(smtp: CapturingSmtpServer) -> Counter[str]:
    return Counter(recipient for got in smtp.received for recipient in got.recipients)


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


def test_a_live_run_renews_its_claim_so_nobody_else_takes_its_emails(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A run sending for six times its lease keeps renewing it: another worker trying before
    each message claims nothing, the claim always runs ahead of the run's time, and every
    email arrives once."""
    total, step = 60, LEASE / 10  # each message takes a tenth of the lease, on the run's clock
    mail = on_server(ctx, smtp, pool=2)
    enqueue(mail, total)
    clock = HandTurnedClock()
    stolen: list[OutboxRow] = []
    ahead: list[timedelta] = []

    def slow_message(row: OutboxRow) -> OutgoingEmail:
        clock.turn(step)
        moment = NOW + timedelta(seconds=clock.monotonic())
        with mail.database.writing() as session:  # another worker, at the run's moment
            stolen.extend(outbox.claim_due(session.connection(), moment, total, LEASE))
        lease = held_until(mail)
        if lease is not None:
            ahead.append(lease - moment)
        return message(row)

    report = asyncio.run(
        dispatch_due(mail, now=NOW, factory=slow_message, clock=clock, jitter=False)
    )

    assert timedelta(seconds=clock.monotonic()) == total * step  # six leases' worth
    assert stolen == []
    assert len(ahead) == total
    assert min(ahead) > timedelta()  # held ahead of the run at every message
    assert report.sent == total
    assert copies(smtp) == Counter({address(n): 1 for n in range(total)})
    assert statuses(mail) == Counter({OutboxStatus.SENT: total})


def test_a_claim_nobody_renews_lapses_after_its_lease(ctx: Context) -> None:
    """A claim whose run has gone is free for another worker once its lease has passed, and
    not a moment before."""
    enqueue(ctx, 3)
    with ctx.database.writing() as session:
        claimed = outbox.claim_due(session.connection(), NOW, 10, LEASE)
    assert len(claimed) == 3

    def claim_at(moment: datetime) -> list[OutboxRow]:
        with ctx.database.writing() as session:
            return outbox.claim_due(session.connection(), moment, 10, LEASE)

    assert claim_at(NOW + LEASE - timedelta(seconds=1)) == []
    assert claim_at(NOW + LEASE) == []  # a lease holds up to its last moment
    assert [row.id for row in claim_at(NOW + LEASE + timedelta(microseconds=1))] == [
        row.id for row in claimed
    ]


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
            smtp.wait_until(lambda: smtp.count >= 40, 120.0)
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
