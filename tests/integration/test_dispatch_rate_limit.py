"""The rate limit is the sending mailbox's, shared by every worker on the database: dispatchers
running at once (threads on one database, each its own connections, on SQLite and PostgreSQL)
send at most the limit in any minute between them, each mailbox has a budget of its own, and a
run that dies keeps its share until a minute after its lease. The dispatchers' time is the
test's: each run is given the moment it runs at."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from improveflow.models import Outbox, OutboxStatus
from improveflow.notify.dispatch import LEASE, DispatchReport
from improveflow.notify.message import OutgoingEmail
from improveflow.services.context import Context
from improveflow.services.delivery import dispatch_due
from improveflow.stores import outbox
from improveflow.stores.outbox import RATE_WINDOW, OutboxRow
from improveflow.testing import DEFAULT_MOMENT
from improveflow.testing.smtp import CapturingSmtpServer

NOW = DEFAULT_MOMENT
LIMIT = 10
PLANS, HOUSING = "plans@council.example", "housing@council.example"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


def sender(ctx: Context, smtp: CapturingSmtpServer, mailbox: str = PLANS) -> Context:
    """A dispatcher of its own on `ctx`'s database, sending as `mailbox`, LIMIT a minute."""
    settings = ctx.settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_from": f"Improvement plans <{mailbox}>",
            "smtp_pool_size": 2,
            "smtp_rate_limit": LIMIT,
        }
    )
    return Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )


def message(row: OutboxRow) -> OutgoingEmail:
    data = (
        f"From: plans@council.example\r\nTo: {row.recipient_email}\r\n"
        f"Subject: Reminder {row.id}\r\nMessage-ID: <{row.id}@council.example>\r\n\r\n"
        "Due soon.\r\n"
    ).encode()
    return OutgoingEmail(f"<{row.id}@council.example>", data)


def enqueue(ctx: Context, count: int) -> None:
    with ctx.database.writing() as session:
        for number in range(count):
            outbox.enqueue(
                session,
                key=f"reminder:{number}",
                template="reminder",
                recipient_email=f"owner{number}@council.example",
                recipient_name=f"Owner {number}",
                person_id=None,
                context={},
                due_at=NOW,
                now=NOW,
            )


def run(ctx: Context, at: datetime) -> DispatchReport:
    return asyncio.run(dispatch_due(ctx, now=at, factory=message, jitter=False))


def at_once(runs: list[tuple[Context, datetime]]) -> list[DispatchReport]:
    """Start every run in a thread of its own at the same time; their reports."""
    barrier = threading.Barrier(len(runs))
    reports: list[DispatchReport] = []

    def work(ctx: Context, moment: datetime) -> None:
        barrier.wait(timeout=30)
        reports.append(run(ctx, moment))

    threads = [threading.Thread(target=work, args=pair) for pair in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(reports) == len(runs)
    return reports


def sent_moments(ctx: Context) -> list[datetime]:
    sent = col(Outbox.sent_at)
    with ctx.database.reading() as session:
        found = session.exec(select(Outbox.sent_at).where(sent.is_not(None)).order_by(sent))
        return [moment for moment in found.all() if moment is not None]


def busiest_minute(moments: list[datetime]) -> int:
    """The most sends in any minute (a half-open window ending at a send)."""
    return max(
        (sum(1 for other in moments if end - RATE_WINDOW < other <= end) for end in moments),
        default=0,
    )


def test_two_dispatchers_send_at_most_the_limit_in_any_minute_between_them(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Two dispatchers for one mailbox, ticking every ten seconds of the test's time (the second
    five seconds after the first, both at once), through three minutes with 100 emails due:
    LIMIT go in each minute between them, never more in any minute, and nothing twice."""
    first, second = sender(ctx, smtp), sender(ctx, smtp)
    enqueue(first, 100)
    reports: list[DispatchReport] = []
    for tick in range(18):
        moment = NOW + timedelta(seconds=10 * tick)
        reports += at_once([(first, moment), (second, moment + timedelta(seconds=5))])

    moments = sent_moments(first)
    assert len(moments) == smtp.count == 3 * LIMIT
    assert busiest_minute(moments) == LIMIT
    assert sum(report.sent for report in reports) == 3 * LIMIT
    assert len({got.recipients for got in smtp.received}) == 3 * LIMIT


def test_the_limit_is_counted_per_mailbox(ctx: Context, smtp: CapturingSmtpServer) -> None:
    """A dispatcher sending as another mailbox has a budget of its own: at once, LIMIT each."""
    plans, housing = sender(ctx, smtp, PLANS), sender(ctx, smtp, HOUSING)
    enqueue(plans, 50)

    reports = at_once([(plans, NOW), (housing, NOW)])

    assert sorted(report.sent for report in reports) == [LIMIT, LIMIT]
    with ctx.database.reading() as session:
        spent = outbox.rate.spent(session.connection(), PLANS, NOW)
        assert spent == outbox.rate.spent(session.connection(), HOUSING.upper(), NOW) == LIMIT
    assert run(plans, NOW + timedelta(seconds=59)).sent == 0
    assert run(plans, NOW + RATE_WINDOW).sent == LIMIT


def test_what_a_run_did_not_send_goes_back_to_the_budget(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A run that claimed LIMIT emails but sent fewer (one refused for good, one put off) leaves
    the rest of the minute to the next run."""
    smtp.refuse("owner1@council.example")
    smtp.defer("owner2@council.example")
    mail = sender(ctx, smtp)
    enqueue(mail, 30)

    first = run(mail, NOW)
    later = run(mail, NOW + timedelta(seconds=20))

    assert (first.sent, first.failed, first.retried) == (LIMIT - 2, 1, 1)
    assert later.sent == 2
    assert busiest_minute(sent_moments(mail)) == LIMIT


def test_a_dead_runs_share_counts_until_a_minute_after_its_lease(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A run that died holding LIMIT rows may have sent them all before its lease lapsed: its
    share keeps counting until a minute after, and only then is its mailbox's budget free."""
    mail = sender(ctx, smtp)
    enqueue(mail, 30)
    with mail.database.writing() as session:
        connection = session.connection()
        assert outbox.rate.available(connection, PLANS, NOW, LIMIT) == LIMIT
        held = outbox.claim_due(connection, NOW, LIMIT, LEASE)
        outbox.rate.take(connection, PLANS, len(held), NOW, NOW + LEASE + RATE_WINDOW)

    assert run(mail, NOW + LEASE + timedelta(seconds=1)).sent == 0  # its rows are free...
    assert run(mail, NOW + LEASE + RATE_WINDOW - timedelta(seconds=1)).sent == 0  # ...not yet
    assert run(mail, NOW + LEASE + RATE_WINDOW).sent == LIMIT
    with mail.database.reading() as session:
        queued = session.exec(select(Outbox).where(Outbox.status == OutboxStatus.QUEUED)).all()
    assert len(queued) == 30 - LIMIT
