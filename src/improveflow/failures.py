"""Failures a person meets but did not cause in improveflow: a full disk, a database that is
down, busy, read-only or damaged, a value the database refuses.

`storage_failure` turns the driver's error into one of `exceptions.StorageFailure`'s kinds,
with a sentence for whoever ran the command: what happened, that nothing was half-written (every
change is one transaction, so a failed one is undone whole) and what to do. Pages word it for
their own readers from the kind (see `web/errors.py`). Anything it does not recognise stays a
plain error for the log.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from improveflow import exceptions

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_TOOBIG = 18
_SQLITE_NOTADB = 26

# A disk with less than this free is taken to be full when SQLite reports only "disk I/O error".
_NEARLY_FULL_BYTES = 1 << 20

_UNDONE = "Nothing was half-written: the change that failed was undone."


def storage_failure(
    error: BaseException, database_url: str | None = None
) -> exceptions.StorageFailure | None:
    """The failure `error` stands for, worded for the person who ran the command; None when
    `error` is not a failure of the disk or the database."""
    if isinstance(error, exceptions.StorageFailure):
        return error
    where = _where(database_url)
    cause: BaseException = error
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        cause = error.orig
    if isinstance(cause, sqlite3.Error):
        return _sqlite_failure(cause, where, database_url)
    sqlstate = getattr(cause, "sqlstate", None)
    if _is_psycopg_error(cause):
        return _postgres_failure(cause, sqlstate, where, error)
    if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
        return _full(cause.filename or where)
    return None


def redacted(database_url: str | None) -> str:
    """The database's address as it is safe to print: never its password."""
    if not database_url:
        return "the database"
    try:
        return sa.make_url(database_url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "the database"


def _where(database_url: str | None) -> str:
    if database_url and database_url.startswith("sqlite"):
        path = _sqlite_path(database_url)
        return str(path) if path is not None else redacted(database_url)
    return redacted(database_url)


def _sqlite_path(database_url: str) -> Path | None:
    try:
        database = sa.make_url(database_url).database
    except sa.exc.ArgumentError:
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _full(where: object) -> exceptions.StorageFull:
    return exceptions.StorageFull(
        f"The disk holding {where} is full, so the change was not saved. {_UNDONE} "
        "Free some space on that disk, then try again."
    )


def _unreachable(where: str, reason: str) -> exceptions.DatabaseUnreachable:
    return exceptions.DatabaseUnreachable(
        f"Could not reach the database {where} ({reason}), so nothing was read or changed. "
        "Check that the database server is running and that IMPROVEFLOW_DATABASE_URL (or "
        "--db) names it, then try again."
    )


def _busy(where: str) -> exceptions.DatabaseBusy:
    return exceptions.DatabaseBusy(
        f"The database {where} stayed busy with another change, so this one was not saved. "
        f"{_UNDONE} Try again in a minute."
    )


def _refused(reason: str) -> exceptions.ValueRefusedByDatabase:
    refused = exceptions.ValueRefusedByDatabase(
        f"The database refused a value: {reason}. Nothing was saved. Remove unusual "
        "characters or shorten very long text in what you gave, then try again."
    )
    refused.reason = reason
    return refused


def _damaged(where: str) -> exceptions.DatabaseDamaged:
    return exceptions.DatabaseDamaged(
        f"{where} is damaged or is not an improveflow database, so nothing was read or "
        "changed. Restore it from your latest backup, or point IMPROVEFLOW_DATABASE_URL (or "
        "--db) at the right file."
    )


def _sqlite_failure(
    cause: sqlite3.Error, where: str, database_url: str | None
) -> exceptions.StorageFailure | None:
    code = getattr(cause, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL:
        return _full(where)
    if primary == _SQLITE_IOERR:
        path = _sqlite_path(database_url) if database_url else None
        if path is not None and _nearly_full(path):
            return _full(where)
        return exceptions.StorageFailure(
            f"The disk holding {where} reported an error while writing, so the change was not "
            f"saved. {_UNDONE} Check the disk (its space, its health), then try again."
        )
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return _busy(where)
    if primary == _SQLITE_READONLY:
        return exceptions.DatabaseReadOnly(
            f"{where} cannot be written to by this user, so nothing was saved. Let the user "
            "that runs improveflow write the file and its folder, then try again."
        )
    if primary == _SQLITE_CANTOPEN:
        return exceptions.DatabaseUnreachable(
            f"Could not open the database file {where}, so nothing was read or changed. Check "
            "that its folder exists and this user may write it, or run 'improveflow init'."
        )
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return _damaged(where)
    if primary == _SQLITE_TOOBIG:
        return _refused("a text or file is larger than the database accepts")
    return None


def _nearly_full(path: Path) -> bool:
    folder = path.parent if path.parent.exists() else Path.cwd()
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def _is_psycopg_error(cause: BaseException) -> bool:
    return type(cause).__module__.startswith("psycopg")


def _postgres_failure(
    cause: BaseException, sqlstate: object, where: str, error: BaseException
) -> exceptions.StorageFailure | None:
    state = sqlstate if isinstance(sqlstate, str) else ""
    message = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    if state == "53100":
        return _full(where)
    if state.startswith(("08", "57P")) or (
        not state and type(cause).__name__ == "OperationalError"
    ):
        return _unreachable(where, _short_reason(message))
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return _unreachable(where, "the connection was lost")
    if state.startswith("53"):
        return exceptions.StorageFailure(
            f"The database server {where} ran out of resources ({_short_reason(message)}), so "
            f"the change was not saved. {_UNDONE} Try again later; if it keeps happening, tell "
            "whoever runs the database server."
        )
    if state in ("40001", "40P01", "55P03", "57014"):
        return _busy(where)
    if state == "25006":
        return exceptions.DatabaseReadOnly(
            f"The database {where} accepts no changes (it is read-only, perhaps a standby), so "
            "nothing was saved. Point IMPROVEFLOW_DATABASE_URL at the primary server."
        )
    if state.startswith("22") or (not state and "NUL" in message):
        return _refused(_value_reason(state, message))
    return None


def _short_reason(message: str) -> str:
    lowered = message.lower()
    if "connection refused" in lowered:
        return "the connection was refused"
    if "timeout" in lowered or "timed out" in lowered:
        return "it did not answer in time"
    if "name or service not known" in lowered or "could not translate host" in lowered:
        return "its host name is not known"
    if "password authentication failed" in lowered:
        return "the password was refused"
    if "does not exist" in lowered:
        return message.split("FATAL:")[-1].strip()
    if "terminating connection" in lowered or "shutting down" in lowered:
        return "the server is shutting down or restarting"
    return message[:200]


def _value_reason(state: str, message: str) -> str:
    if "NUL" in message:
        return "text contains a NUL (0x00) character"
    if state == "22001":
        return "a text is longer than its field allows"
    if state in ("22021", "22P05"):
        return "a text contains a character the database cannot store"
    if state == "22003":
        return "a number is out of range"
    return message[:200]
