"""Schema migrations: `init` builds every table, and the migrations match the models."""

from __future__ import annotations

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
