"""Schema migrations: `init` builds every table, and the migrations match the models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from improveflow import schema
from improveflow.db import Database
from improveflow.services.context import Context


def test_fresh_database_reaches_head(database_url: str) -> None:
    """Upgrading an empty database leaves it at the newest revision, and again is a no-op."""
    database = Database(database_url)
    try:
        assert schema.current_revision(database) is None or database.dialect == "postgresql"
        revision = schema.upgrade_to_head(database)
        assert schema.current_revision(database) == revision
        assert schema.upgrade_to_head(database) == revision
        assert schema.is_up_to_date(database)
    finally:
        database.dispose()


def test_migrations_match_the_models(ctx: Context) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""
    with ctx.database.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": False}),
            SQLModel.metadata,
        )
    assert differences == []


def test_head_constant_names_the_newest_migration(database_url: str) -> None:
    """The revision the commands check against is the newest one in the migrations folder."""
    database = Database(database_url)
    try:
        assert schema.head_revision(database) == schema.HEAD_REVISION
    finally:
        database.dispose()


@contextmanager
def _at_revision(database: Database, revision: str) -> Iterator[sa.Connection]:
    """The database brought to `revision` (up from empty, or down from PostgreSQL's test
    database, which is at head), in a transaction for rows as that revision stored them."""
    config = schema.alembic_config(database)
    before = schema.current_revision(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if before is None:
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        yield connection


def _add_plan(connection: sa.Connection, title: str, kind: str) -> int:
    """A plan row written with plain SQL, as any earlier revision can hold it; its id."""
    connection.execute(
        sa.text(
            "INSERT INTO plan (title, organisation, kind, workflow, approval_overrides, "
            "created_at) VALUES (:title, 'Council', :kind, 'default', '{}', :now)"
        ),
        {"title": title, "kind": kind, "now": datetime(2026, 6, 20, tzinfo=UTC)},
    )
    return int(connection.execute(sa.text("SELECT max(id) FROM plan")).scalar_one())


def test_upgrading_clears_the_feedback_reports_misread_latest_date(database_url: str) -> None:
    """Milestones scheduled before 0016 gave the feedback report a five-month latest date the
    LGA's guidance gives only to a late action plan: the upgrade clears it, and only it. On
    SQLite the later revisions rebuild the plan table while milestones point at it, which
    the upgrade must allow and then check."""
    database = Database(database_url)
    try:
        with _at_revision(database, "0015") as connection:
            plan_id = _add_plan(connection, "Corporate Peer Challenge 2026", "peer_challenge")
            for kind in ("feedback_report", "action_plan"):
                connection.execute(
                    sa.text(
                        "INSERT INTO plan_milestone (plan_id, kind, due_on, latest_on) "
                        "VALUES (:plan, :kind, :due, :latest)"
                    ),
                    {"plan": plan_id, "kind": kind, "due": date(2026, 9, 12),
                     "latest": date(2026, 11, 12)},
                )  # fmt: skip
        schema.upgrade_to_head(database)
        with database.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT kind, latest_on FROM plan_milestone"))
            # SQLite answers a plain query's date as text.
            latest = {kind: str(day) if day else None for kind, day in rows}
        assert latest == {"feedback_report": None, "action_plan": "2026-11-12"}
    finally:
        database.dispose()


def test_upgrading_keeps_earlier_snapshots_as_committee_reports(database_url: str) -> None:
    """Snapshots stored before 0019 were made as committee reports as far as anyone knows:
    the upgrade records them so, and they go on moving the next report's window."""
    database = Database(database_url)
    try:
        with _at_revision(database, "0018") as connection:
            plan_id = _add_plan(connection, "Service plan 2026", "service_plan")
            connection.execute(
                sa.text(
                    "INSERT INTO report_snapshot (plan_id, made_at, checkpoint_seq, "
                    "checkpoint_hash, model) VALUES (:plan, :made, 0, :hash, '{}')"
                ),
                {"plan": plan_id, "made": datetime(2026, 6, 22, tzinfo=UTC), "hash": "0" * 64},
            )
        schema.upgrade_to_head(database)
        with database.engine.connect() as connection:
            packs = connection.execute(sa.text("SELECT pack FROM report_snapshot")).scalars()
            assert list(packs) == ["committee"]
    finally:
        database.dispose()
