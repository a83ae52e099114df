"""Schema migrations: `init` builds every table, and the migrations match the models."""

from __future__ import annotations

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


def test_upgrading_clears_the_feedback_reports_misread_latest_date(database_url: str) -> None:
    """Milestones scheduled before 0016 gave the feedback report a five-month latest date the
    LGA's guidance gives only to a late action plan: the upgrade clears it, and only it. On
    SQLite the later revisions rebuild the plan table while milestones point at it, which
    the upgrade must allow and then check."""
    database = Database(database_url)
    try:
        config = schema.alembic_config(database)
        before = schema.current_revision(database)  # PostgreSQL's test database is at head
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            if before is None:
                command.upgrade(config, "0015")
            else:
                command.downgrade(config, "0015")
            connection.execute(
                sa.text(
                    "INSERT INTO plan (title, organisation, kind, workflow, approval_overrides, "
                    "created_at) "
                    "VALUES ('Corporate Peer Challenge 2026', 'Council', 'peer_challenge', "
                    "'default', '{}', :now)"
                ),
                {"now": datetime(2026, 6, 20, tzinfo=UTC)},
            )
            plan_id = connection.execute(sa.text("SELECT max(id) FROM plan")).scalar_one()
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
        config = schema.alembic_config(database)
        before = schema.current_revision(database)  # PostgreSQL's test database is at head
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            if before is None:
                command.upgrade(config, "0018")
            else:
                command.downgrade(config, "0018")
            connection.execute(
                sa.text(
                    "INSERT INTO plan (title, organisation, kind, workflow, approval_overrides, "
                    "created_at) "
                    "VALUES ('Service plan 2026', 'Council', 'service_plan', 'default', '{}', "
                    ":now)"
                ),
                {"now": datetime(2026, 6, 20, tzinfo=UTC)},
            )
            plan_id = connection.execute(sa.text("SELECT max(id) FROM plan")).scalar_one()
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
