"""The audit log: append-only in the database, and its hash chain exposes any tampering."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import DatabaseError

from improveflow import audit, exceptions, schema
from improveflow.audit_key import AuditKey
from improveflow.clock import FrozenClock
from improveflow.db import Database
from improveflow.models import AuditEvent, Verdict
from improveflow.services import approvals
from improveflow.services.context import Context
from improveflow.stores.tables import table_of
from improveflow.testing import (
    DEFAULT_MOMENT,
    add_action,
    add_plan,
    add_sample_people,
    audit_tampering,
    make_context,
)

AUDIT_KEY = "an-audit-key-for-tests-kept-apart-from-the-database"


def fill(ctx: Context) -> Context:
    """A few people, a plan, actions and a decided request: 15 events, #13 the decision."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    for number in range(3):
        action_id = add_action(ctx, plan_id, f"Action {number}")
    opened = approvals.request_change(ctx, action_id, "approve", by_email="owen@council.example")
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    return ctx


@pytest.fixture
def busy_ctx(ctx: Context) -> Context:
    """A database with a few people, a plan, actions and a decided request (no audit key)."""
    return fill(ctx)


@pytest.fixture
def keyed_ctx(database_url: str, clock: FrozenClock) -> Iterator[Context]:
    """The same busy database, written with IMPROVEFLOW_AUDIT_KEY set."""
    context = make_context(database_url, clock=clock, audit_key=AUDIT_KEY)
    yield fill(context)
    context.close()


def _verify(ctx: Context) -> audit.VerifyReport:
    with ctx.database.reading() as session:
        return audit.verify(session, ctx.database.audit_key)


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


# Keyed hashes -----------------------------------------------------------------------------------


def _schemes(ctx: Context) -> list[str]:
    with ctx.database.engine.connect() as conn:
        return list(
            conn.execute(sa.text("SELECT hash_scheme FROM audit_event ORDER BY seq")).scalars()
        )


def test_keyed_log_verifies_and_says_so(keyed_ctx: Context) -> None:
    """With IMPROVEFLOW_AUDIT_KEY set every event is keyed, and the chain verifies as keyed."""
    report = _verify(keyed_ctx)
    assert (report.events, report.keyed_from, report.unkeyed_events) == (15, 1, 0)
    assert set(_schemes(keyed_ctx)) == {"hmac-sha256"}


@pytest.mark.parametrize(
    ("attack", "caught"),
    [
        ({}, "keyed hash does not match"),
        ({"mark_unkeyed": True}, "is unkeyed, yet keyed events began at #1"),
        ({"guessed_key": AuditKey("a-key-the-attacker-made-up-themselves-00")}, "keyed hash"),
    ],
    ids=["plain-sha256", "marked-unkeyed", "guessed-key"],
)
def test_rechained_log_is_caught_without_the_key(
    keyed_ctx: Context, attack: dict[str, object], caught: str
) -> None:
    """Dropping the trigger, editing an event, recomputing every later hash without the key,
    moving the head and recreating the trigger is caught, naming the edited event."""
    with keyed_ctx.database.engine.begin() as conn:
        audit_tampering.rechain(conn, seq=13, comment="Rubber-stamped", **attack)  # type: ignore[arg-type]
    with pytest.raises(exceptions.AuditChainBroken, match=r"#13, 'decision'") as broken:
        _verify(keyed_ctx)
    assert caught in str(broken.value)


def test_rechained_unkeyed_log_goes_unseen(busy_ctx: Context) -> None:
    """Without a key the same rewrite still verifies: why the key (and checkpoints) exist."""
    with busy_ctx.database.engine.begin() as conn:
        audit_tampering.rechain(conn, seq=13, comment="Rubber-stamped")
    assert _verify(busy_ctx).events == 15


def test_keyed_events_without_the_key_are_not_verified(
    keyed_ctx: Context, database_url: str
) -> None:
    """Verifying keyed events without the key fails with a sentence; it never claims success."""
    unkeyed = make_context(database_url, migrate=False)
    try:
        with (
            pytest.raises(exceptions.AuditNotVerifiable) as refused,
            unkeyed.database.reading() as session,
        ):
            audit.verify(session)
    finally:
        unkeyed.close()
    assert str(refused.value).startswith(
        "The audit log's events from #1 on are keyed with IMPROVEFLOW_AUDIT_KEY, which is not "
        "set here, so they cannot be checked and nothing has been verified"
    )


def test_another_key_does_not_verify(keyed_ctx: Context) -> None:
    """A different key fails at the first keyed event and says the key may be the cause."""
    with (
        pytest.raises(exceptions.AuditChainBroken, match=r"#1, .*not the key it was written with"),
        keyed_ctx.database.reading() as session,
    ):
        audit.verify(session, AuditKey("another-installations-audit-key-000000"))


def test_no_unkeyed_event_is_written_after_a_keyed_one(
    keyed_ctx: Context, database_url: str
) -> None:
    """A process without the key refuses to record anything once the log is keyed."""
    unkeyed = make_context(database_url, migrate=False)
    try:
        with pytest.raises(exceptions.ConfigurationError, match="IMPROVEFLOW_AUDIT_KEY is not set"):
            add_plan(unkeyed, "Written without the key")
    finally:
        unkeyed.close()
    assert _verify(keyed_ctx).events == 15


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with no schema at all, so a test can stop its migrations part way."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'improveflow.db'}"
        return
    server = os.environ.get("IMPROVEFLOW_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set IMPROVEFLOW_TEST_POSTGRES_URL")
    name = f"improveflow_empty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def _events_as_revision_0006_wrote_them(database_url: str, count: int) -> None:
    """Bring the database to revision 0006 and write `count` events the way that version did."""
    database = Database(database_url)
    config = schema.alembic_config(database)
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    # audit_event as revision 0006 had it: no hash_scheme column.
    old_table = sa.Table(
        "audit_event",
        sa.MetaData(),
        *(
            sa.Column(column.name, column.type)
            for column in table_of(AuditEvent).columns
            if column.name not in ("id", "hash_scheme")
        ),
    )
    prev_hash = audit.GENESIS_HASH
    with database.engine.begin() as conn:
        for seq in range(1, count + 1):
            row = {
                "seq": seq, "at": DEFAULT_MOMENT, "event": "person_added", "action_id": None,
                "request_id": None, "actor_id": None, "from_state": None, "to_state": None,
                "comment": f"Recorded before audit keys existed ({seq})", "data": "{}",
                "prev_hash": prev_hash,
            }  # fmt: skip
            row["hash"] = prev_hash = audit.event_hash(**row)  # type: ignore[arg-type]
            conn.execute(sa.insert(old_table), row)
    database.dispose()


def test_events_from_before_keys_still_verify_and_keyed_ones_follow(
    empty_database_url: str, clock: FrozenClock
) -> None:
    """An installation upgraded from revision 0006 keeps its SHA-256 events verifiable and its
    append-only triggers in place, and once the key is set writes keyed events after them."""
    _events_as_revision_0006_wrote_them(empty_database_url, 4)
    context = make_context(empty_database_url, clock=clock, audit_key=AUDIT_KEY)
    try:
        assert _schemes(context) == ["sha256"] * 4
        with (
            pytest.raises(DatabaseError, match="append-only"),
            context.database.engine.begin() as conn,
        ):
            conn.exec_driver_sql("UPDATE audit_event SET comment = 'edited' WHERE seq = 2")
        add_sample_people(context)
        report = _verify(context)
        assert _schemes(context) == ["sha256"] * 4 + ["hmac-sha256"] * 7
    finally:
        context.close()
    assert (report.events, report.keyed_from, report.unkeyed_events) == (11, 5, 4)
