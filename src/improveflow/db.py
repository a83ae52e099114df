"""Database connections: one engine per process, SQLite tuned for a small shared workload.

Services open units of work with `Database.writing()` / `Database.reading()`; nothing else
commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

if TYPE_CHECKING:
    from improveflow.audit_key import AuditKey

# How long a SQLite writer waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def create_database_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and explicit write locking."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            # WAL lets readers (web pages) run beside the one writer.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A write unit takes the write lock up front: a reader upgrading to a writer in WAL
        # mode fails at once instead of waiting, so writers must never start as readers.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The process's engine and its units of work.

    `audit_key` (IMPROVEFLOW_AUDIT_KEY, or None) travels with every write session, so the
    audit log keys the events a service appends without each caller passing it along.
    """

    def __init__(
        self, url: str, *, audit_key: AuditKey | None = None, **engine_kwargs: Any
    ) -> None:
        self.url = url
        self.audit_key = audit_key
        self.engine = create_database_engine(url, **engine_kwargs)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # SQLite's busy handler makes a waiting writer sleep and retry, so one that commits and
        # begins again at once keeps winning over requests that have waited longer, and each
        # waiting writer holds a pooled connection that page loads then lack. This process's
        # writers take turns here instead (first come, first served); other processes still
        # wait in SQLite. PostgreSQL queues writers itself, row by row.
        self._write_turn: AbstractContextManager[Any] = (
            threading.RLock() if is_sqlite(self.engine) else nullcontext()
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One transaction that commits when the block ends, or rolls back on any error.

        Callables in `session.info["before_commit"]` run just before the commit, inside the
        transaction (the audit log writes its buffered events there). `session.info["audit_key"]`
        is the key the audit log hashes this transaction's events with.
        """
        # The session joins a transaction begun on the connection: cheaper than letting the
        # session manage its own, which matters on the approval hot path.
        with (
            self._write_turn,
            self._writer.begin() as connection,
            Session(bind=connection, expire_on_commit=False) as session,
        ):
            session.info["audit_key"] = self.audit_key
            yield session
            session.flush()
            for hook in session.info.pop("before_commit", []):
                hook(session)

    def writer_connection(self) -> sa.Connection:
        """A connection to keep for many short write transactions (`with connection.begin():`).

        For a loop of small writes, where taking a connection from the pool and a session for
        each costs more than the write itself. The caller closes it.
        """
        return self._writer.connect()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
