"""Several scheduler workers on one PostgreSQL database: every email goes out exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Barrier

import pytest

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.services import delivery, sweep
from improveflow.testing import add_owners_with_actions, make_context
from improveflow.testing.smtp import CapturingSmtpServer

OWNERS = 500
START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)  # Monday 09:00
TICKS = 8  # the workers' minutes


def _worker(url: str, smtp_port: int, barrier: Barrier, results: object) -> None:
    """One scheduler process: each minute, the sweep then the dispatch (queueing what is due,
    then sending what still matters), as its jobs do."""
    clock = FrozenClock(START)
    context = make_context(
        url, clock=clock, migrate=False, smtp_port=smtp_port, secret_key="k" * 32,
        smtp_from="plans@council.example",
    )  # fmt: skip
    done = {"queued": 0, "sent": 0}
    try:
        for tick in range(TICKS):
            now = START + timedelta(minutes=tick)
            clock.set(now)
            barrier.wait(timeout=120)
            done["queued"] += sweep.sweep(context, now=now).emails_queued
            delivered = delivery.deliver_due(context, now)
            done["queued"] += delivered.queued
            done["sent"] += delivered.report.sent
    finally:
        context.close()
    results.put(done)  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_two_workers_send_each_reminder_once(postgres_url: str) -> None:
    """500 owners with a reminder due, two workers sweeping and sending: one copy each."""
    context = make_context(postgres_url)
    # The 5-working-day reminder for Monday 9 March is due on Monday 2 March at 09:00.
    heard = START.astimezone(UTC) - timedelta(days=2)
    add_owners_with_actions(context, OWNERS, target=date(2026, 3, 9), heard_from=heard)
    context.close()

    with CapturingSmtpServer() as smtp:
        spawn = multiprocessing.get_context("spawn")
        barrier = spawn.Barrier(2)
        results = spawn.Queue()
        workers = [
            spawn.Process(target=_worker, args=(postgres_url, smtp.port, barrier, results))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        totals = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        copies = Counter(recipient for message in smtp.received for recipient in message.recipients)
    assert len(copies) == OWNERS
    assert set(copies.values()) == {1}
    assert sum(t["queued"] for t in totals) == OWNERS
    assert sum(t["sent"] for t in totals) == OWNERS
