"""The sweep as one use case: every rule in one transaction, exactly once however often it
runs, each decision audited, one email per owner, and a dry run that stores nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sweep_helpers import OWEN, approved, emails_to, kinds, london, outbox_rows, run, sample_plan

from improveflow import audit
from improveflow.clock import FrozenClock
from improveflow.services import sweep, views
from improveflow.services.context import Context


@pytest.fixture
def plan_id(ctx: Context) -> int:
    return sample_plan(ctx)


def test_running_the_sweep_again_adds_nothing(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A second sweep at the same moment, or a minute later, decides and queues nothing new."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    first = run(ctx, clock, london(2014, 7, 31, 9, 15))
    assert kinds(first)
    assert first.emails_queued >= 1
    queued = len(outbox_rows(ctx))
    for minutes in (0, 1, 15, 180):
        again = run(ctx, clock, london(2014, 7, 31, 9, 15) + timedelta(minutes=minutes))
        assert again.decisions == []
        assert again.emails_queued == 0
    assert len(outbox_rows(ctx)) == queued


def test_an_owner_gets_one_email_for_several_actions(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Three actions due in the same sweep reach their owner as one email listing all three."""
    for name in ("Agree the budget", "Publish the plan", "Train the managers"):
        approved(ctx, plan_id, name, date(2014, 8, 29))
    report = run(ctx, clock, london(2014, 8, 28, 9, 30))
    assert len([d for d in report.decisions if d.kind == "reminder"]) == 3
    reminders = emails_to(ctx, OWEN, "reminder")
    assert len(reminders) == 1
    assert [item["description"] for item in reminders[0]["context"]["items"]] == [
        "Agree the budget",
        "Publish the plan",
        "Train the managers",
    ]


def test_every_decision_is_audited_and_the_chain_verifies(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Each notice the sweep decides has its audit event, and the log still verifies."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    report = run(ctx, clock, london(2014, 9, 2, 9, 30))
    with ctx.database.reading() as session:
        events = (
            session.connection()
            .execute(sa.text("SELECT count(*) FROM audit_event WHERE event LIKE 'notice_%'"))
            .scalar_one()
        )
        audit.verify(session)
    assert events == len(report.decisions) > 0


def test_dry_run_stores_nothing(ctx: Context, plan_id: int, clock: FrozenClock) -> None:
    """`sweep --dry-run` reports what is due and leaves the database as it was."""
    approved(ctx, plan_id, "Extend medium term financial strategy", date(2014, 8, 29))
    clock.set(london(2014, 9, 2, 9, 30))
    dry = sweep.sweep(ctx, now=clock.now(), dry_run=True)
    assert dry.decisions
    assert views.escalation_rows(ctx) == []
    real = sweep.sweep(ctx, now=clock.now())
    assert kinds(real) == kinds(dry)
