"""A failure of the disk or the database becomes one sentence naming what happened and what to
do, from the real errors SQLite and PostgreSQL raise."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from improveflow import exceptions
from improveflow.failures import redacted, storage_failure


def _error_of(url: str, *statements: str) -> BaseException:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    except sa.exc.DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("the statements did not fail")


def test_a_full_sqlite_file_is_said_to_be_a_full_disk(tmp_path: Path) -> None:
    """SQLITE_FULL: the disk is full, the change was undone, free some space."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    error = _error_of(
        url,
        "CREATE TABLE t (x TEXT)",
        "PRAGMA max_page_count = 3",
        "INSERT INTO t VALUES (zeroblob(100000))",
    )
    failure = storage_failure(error, url)
    assert isinstance(failure, exceptions.StorageFull)
    assert f"The disk holding {tmp_path / 'small.db'} is full" in failure.message
    assert "Nothing was half-written" in failure.message
    assert "Free some space on that disk, then try again." in failure.message


def test_a_file_that_is_not_a_database_is_named_as_damaged(tmp_path: Path) -> None:
    """SQLITE_NOTADB: restore from a backup or point the setting at the right file."""
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages of a database" * 100)
    url = f"sqlite:///{path}"
    failure = storage_failure(_error_of(url, "SELECT * FROM sqlite_master"), url)
    assert isinstance(failure, exceptions.DatabaseDamaged)
    assert failure.message.startswith(f"{path} is damaged or is not an improveflow database")
    assert "Restore it from your latest backup" in failure.message


def test_a_missing_folder_is_a_database_that_cannot_be_opened(tmp_path: Path) -> None:
    """SQLITE_CANTOPEN: say which file, and that its folder must exist."""
    url = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    failure = storage_failure(_error_of(url, "SELECT 1"), url)
    assert isinstance(failure, exceptions.DatabaseUnreachable)
    assert "Could not open the database file" in failure.message
    assert "its folder exists" in failure.message


def test_a_read_only_database_says_who_must_be_let_write(tmp_path: Path) -> None:
    """SQLITE_READONLY: the user running improveflow must be allowed to write the file."""
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    error = _error_of(
        url, "CREATE TABLE t (x)", "PRAGMA query_only = ON", "INSERT INTO t VALUES (1)"
    )
    failure = storage_failure(error, url)
    assert isinstance(failure, exceptions.DatabaseReadOnly)
    assert "cannot be written to by this user, so nothing was saved" in failure.message


def test_a_locked_database_is_busy_and_can_be_tried_again(tmp_path: Path) -> None:
    """SQLITE_BUSY: another writer held the lock past the wait; try again in a minute."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        url = f"sqlite:///{path}?timeout=0"
        failure = storage_failure(_error_of(url, "BEGIN IMMEDIATE"), url)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(failure, exceptions.DatabaseBusy)
    assert "stayed busy with another change" in failure.message
    assert "Try again in a minute." in failure.message


def test_an_error_that_is_not_the_databases_is_left_alone() -> None:
    """A bug is not dressed up as a disk problem: it stays an error for the log."""
    assert storage_failure(KeyError("x"), "sqlite:///x.db") is None
    assert storage_failure(sqlite3.ProgrammingError("misuse"), "sqlite:///x.db") is None


def test_a_server_that_refuses_connections_is_unreachable_and_its_password_unsaid() -> None:
    """PostgreSQL not listening: 'could not reach', the address without its password."""
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:9/test"
    failure = storage_failure(_error_of(url, "SELECT 1"), url)
    assert isinstance(failure, exceptions.DatabaseUnreachable)
    assert "Could not reach the database postgresql+psycopg://postgres:***@127.0.0.1:9/test" in (
        failure.message
    )
    assert "s3cret" not in failure.message
    assert "the connection was refused" in failure.message


def test_a_disk_full_os_error_names_the_file() -> None:
    """ENOSPC while writing a file (an export, a report) is a full disk at that file."""
    error = OSError(28, "No space left on device", "/srv/exports/plan.xlsx")
    failure = storage_failure(error)
    assert isinstance(failure, exceptions.StorageFull)
    assert "The disk holding /srv/exports/plan.xlsx is full" in failure.message


def test_an_address_is_printed_without_its_password() -> None:
    """Errors and logs name the database, never its password."""
    assert redacted("postgresql://app:pw@db/plans") == "postgresql://app:***@db/plans"
    assert redacted(None) == "the database"


@pytest.mark.postgres
def test_postgres_refusing_a_nul_or_a_long_value_says_what_was_wrong(postgres_url: str) -> None:
    """A NUL, or text longer than its column, is a refused value with the reason in words."""
    engine = sa.create_engine(postgres_url)
    with pytest.raises(sa.exc.DBAPIError) as nul, engine.connect() as connection:
        connection.execute(sa.text("SELECT :name"), {"name": "Ann\x00e"})
    engine.dispose()
    failure = storage_failure(nul.value, postgres_url)
    assert isinstance(failure, exceptions.ValueRefusedByDatabase)
    assert failure.reason == "text contains a NUL (0x00) character"
    long_text = _error_of(
        postgres_url, "CREATE TEMP TABLE t (v varchar(2))", "INSERT INTO t VALUES ('abcdef')"
    )
    failure = storage_failure(long_text, postgres_url)
    assert isinstance(failure, exceptions.ValueRefusedByDatabase)
    assert failure.reason == "a text is longer than its field allows"
    assert "Nothing was saved." in failure.message
