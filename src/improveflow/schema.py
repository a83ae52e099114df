"""Bringing a database to the newest schema with Alembic.

Alembic is imported only when migrating: every other command just compares the database's
recorded revision with `HEAD_REVISION`, which keeps the command line quick to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from improveflow.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration; a test checks it against the migrations folder.
HEAD_REVISION = "0019"


def alembic_config(database: Database) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "improveflow:migrations")
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade_to_head(database: Database) -> str:
    """Apply every migration not yet applied; returns the revision the database is now at."""
    from alembic import command

    config = alembic_config(database)
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table's constraints by copying it to a new table and dropping
            # the old one, which foreign keys refuse while other rows point at it (plans with
            # actions). SQLite ignores the pragma inside a transaction: it is set before one.
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite:
                    _refuse_broken_references(connection)
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")
    return head_revision(database)


def _sqlite_pragma(connection: sa.Connection, pragma: str) -> None:
    """Run a pragma on the driver's connection, outside any transaction (SQLAlchemy would
    begin one for a statement it runs)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def _refuse_broken_references(connection: sa.Connection) -> None:
    """With foreign keys off, check the copied tables still point at rows that exist; roll
    the upgrade back if not."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, row, parent = broken[0][0], broken[0][1], broken[0][2]
        raise RuntimeError(
            f"The upgrade would leave {len(broken)} rows pointing at rows that do not exist "
            f"(the first: {table} row {row}, in {parent}); nothing was changed"
        )


def head_revision(database: Database) -> str:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(database)).get_current_head()
    assert head is not None
    return head


def current_revision(database: Database) -> str | None:
    """The revision the database records, or None for a database never set up."""
    with database.engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == HEAD_REVISION
