"""Several scheduler workers on one PostgreSQL database: every email goes out exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Barrier

import pytest
import sqlalchemy as sa

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Action, Person
from improveflow.notify.dispatch import send_due
from improveflow.services import plans, sweep
from improveflow.store import table_of
from improveflow.testing import add_plan, make_context
from improveflow.testing_smtp import CapturingSmtpServer

OWNERS = 500
START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)  # Monday 09:00
TICKS = 8  # the workers' minutes


def _worker(url: str, smtp_port: int, barrier: Barrier, results: object) -> None:
    """One scheduler process: each minute, the sweep then the dispatch, as its jobs do."""
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
            done["sent"] += send_due(context, now=now).sent
    finally:
        context.close()
    results.put(done)  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_two_workers_send_each_reminder_once(postgres_url: str) -> None:
    """500 owners with a reminder due, two workers sweeping and sending: one copy each."""
    context = make_context(postgres_url)
    plan_id = add_plan(context)
    with context.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Theme")
        objective_id = plans.find_or_add_objective(session, theme, "Objective").id
        people = table_of(Person)
        owner_ids = (
            session.connection()
            .execute(
                sa.insert(people).returning(people.c.id, sort_by_parameter_order=True),
                [
                    {
                        "name": f"Owner {n}",
                        "email": f"owner{n}@council.example",
                        "reminder_delivery": "immediate",
                        "created_at": START,
                    }
                    for n in range(OWNERS)
                ],
            )
            .scalars()
            .all()
        )
        target = date(2026, 3, 9)  # the 5-working-day reminder is due Monday 2 March 09:00
        heard = START.astimezone(UTC) - timedelta(days=2)
        session.connection().execute(
            sa.insert(table_of(Action)),
            [
                {
                    "plan_id": plan_id,
                    "objective_id": objective_id,
                    "description": f"Action {n}",
                    "owner_id": owner,
                    "state": "in_progress",
                    "target_date": target,
                    "heard_from_at": heard,
                    "quiet_since": heard,
                    "escalation_level": 0,
                    "version": 1,
                    "created_at": heard,
                    "updated_at": heard,
                }
                for n, owner in enumerate(owner_ids)
            ],
        )
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
