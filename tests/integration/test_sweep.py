"""The sweep as one use case: every rule in one transaction, exactly once however often it
runs, each decision audited, one email per owner, a dry run that stores nothing, and reads of
the actions that follow an index, never a scan of them all."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sweep_helpers import OWEN, approved, emails_to, kinds, london, outbox_rows, run, sample_plan

from improveflow import audit
from improveflow.clock import FrozenClock
from improveflow.models import Rag
from improveflow.services import approvals, progress, sweep, views
from improveflow.services.context import Context
from improveflow.testing import add_action


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


def test_every_read_of_the_actions_follows_an_index(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Each rule reads the actions through an index range, so a sweep's cost follows the number
    due, not the number stored: no statement of the sweep scans the whole action table."""
    clock.set(london(2014, 7, 1, 12, 0))
    approved(ctx, plan_id, "Ongoing, quiet since July", None)
    approved(ctx, plan_id, "Overdue", date(2014, 8, 20))
    approved(ctx, plan_id, "Due for its 5-day reminder", date(2014, 9, 8))
    clock.set(london(2014, 8, 20, 12, 0))
    waiting = add_action(ctx, plan_id, "Waiting for the CMT", target=date(2015, 6, 30))
    assert approvals.request_change(ctx, waiting, "approve", by_email=OWEN).request_id
    red = approved(ctx, plan_id, "Rated red", date(2014, 9, 30))
    progress.record_progress(ctx, red, "Behind", Rag.RED, by_email=OWEN)
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if re.match(r"\s*SELECT\b", statement) and re.search(r"\baction\b", statement):
            statements.append((statement, parameters))

    engine = ctx.database.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        report = run(ctx, clock, london(2014, 9, 1, 10, 0))  # a Monday morning
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    every_rule = {"reminder", "progress_prompt", "escalation", "no_progress", "approval_reminder"}
    assert every_rule <= {d.kind for d in report.decisions}, report.decisions
    assert statements
    for statement, parameters in statements:
        accesses = _action_accesses(engine, statement, parameters)
        assert accesses, statement
        for access, narrowed_by in accesses:
            assert _NARROWING.search(narrowed_by), (statement, access, narrowed_by)


# An index range over the open states alone would read nearly every open action.
_NARROWING = re.compile(
    r"\b(target_date|quiet_since|heard_from_at|escalation_level|rag|rowid|id)\b"
)


def _action_accesses(engine: sa.Engine, statement: str, parameters: Any) -> list[tuple[str, str]]:
    """How the database's plan for the statement reaches the action table, each access with
    the conditions its index narrows by ('' for a scan). On PostgreSQL sequential scans are made
    a last resort, since tables this small would be scanned whatever their indexes."""
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            details = [
                str(row[-1])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            return [
                (detail, found.group(1) if (found := re.search(r"\((.*)\)", detail)) else "")
                for detail in details
                if re.match(r"(SCAN|SEARCH) action\b", detail)
            ]
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        lines = [
            str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        ]
    accesses = []
    for number, line in enumerate(lines):
        if re.search(r"Scan .*\bon action\b", line):
            after = lines[number + 1] if number + 1 < len(lines) else ""
            narrowed_by = after if re.search(r"(Index|Recheck) Cond:", after) else ""
            accesses.append((line.strip(), narrowed_by))
    return accesses
