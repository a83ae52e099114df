"""The audit log: append-only in the database, and its hash chain exposes any tampering."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from improveflow import audit, exceptions
from improveflow.models import Verdict
from improveflow.services import approvals
from improveflow.services.context import Context
from improveflow.testing import add_action, add_plan, add_sample_people


@pytest.fixture
def busy_ctx(ctx: Context) -> Context:
    """A database with a few people, a plan, actions and a decided request."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    for number in range(3):
        action_id = add_action(ctx, plan_id, f"Action {number}")
    opened = approvals.request_change(ctx, action_id, "approve", by_email="owen@council.example")
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    return ctx


def _verify(ctx: Context) -> audit.VerifyReport:
    with ctx.database.reading() as session:
        return audit.verify(session)


def _bypass_append_only(connection: sa.Connection) -> None:
    """What someone with direct database access would have to do to edit the log."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
    else:
        connection.exec_driver_sql(
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"
        )


def test_untouched_log_verifies(busy_ctx: Context) -> None:
    """Every event written by the services chains correctly from the first to the last."""
    report = _verify(busy_ctx)
    # 7 people, 1 plan, 3 actions, requested, decision, transition, approved.
    assert report.events == 7 + 1 + 3 + 4


def test_database_refuses_edits_and_deletes(busy_ctx: Context) -> None:
    """Updating or deleting an audit row is refused by the database itself."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        busy_ctx.database.engine.begin() as conn,
    ):
        conn.exec_driver_sql("UPDATE audit_event SET comment = 'nothing to see' WHERE seq = 3")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        busy_ctx.database.engine.begin() as conn,
    ):
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq = 3")
    assert _verify(busy_ctx).events == 15


def test_edited_event_is_named(busy_ctx: Context) -> None:
    """A row edited by hand makes verification fail, naming that event."""
    with busy_ctx.database.engine.begin() as conn:
        _bypass_append_only(conn)
        conn.exec_driver_sql("UPDATE audit_event SET actor_id = 2 WHERE seq = 13")
    with pytest.raises(
        exceptions.AuditChainBroken, match=r"#13, 'decision'.*changed after writing"
    ):
        _verify(busy_ctx)


def test_removed_event_is_detected(busy_ctx: Context) -> None:
    """Deleting an event from the middle breaks the sequence at the gap."""
    with busy_ctx.database.engine.begin() as conn:
        _bypass_append_only(conn)
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq = 5")
    with pytest.raises(exceptions.AuditChainBroken, match=r"#6.*expected #5"):
        _verify(busy_ctx)


def test_truncated_tail_is_detected(busy_ctx: Context) -> None:
    """Deleting the newest events is caught by the chain's recorded head."""
    with busy_ctx.database.engine.begin() as conn:
        _bypass_append_only(conn)
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq >= 14")
    with pytest.raises(exceptions.AuditChainBroken, match="removed from the end"):
        _verify(busy_ctx)


def test_rewritten_chain_without_the_head_is_detected(busy_ctx: Context) -> None:
    """Recomputing one event's hash to hide an edit still breaks the link to the next event."""
    with busy_ctx.database.engine.begin() as conn:
        _bypass_append_only(conn)
        row = conn.exec_driver_sql("SELECT * FROM audit_event WHERE seq = 4").mappings().one()
        forged = audit.event_hash(
            seq=row["seq"],
            at=busy_ctx.clock.now(),
            event=row["event"],
            action_id=row["action_id"],
            request_id=row["request_id"],
            actor_id=row["actor_id"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            comment="forged",
            data=row["data"],
            prev_hash=row["prev_hash"],
        )
        conn.execute(
            sa.text("UPDATE audit_event SET comment = 'forged', hash = :h WHERE seq = 4"),
            {"h": forged},
        )
    with pytest.raises(exceptions.AuditChainBroken, match=r"#4|#5"):
        _verify(busy_ctx)
