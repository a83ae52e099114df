"""The sweep's transactions: a new one after every so many notices, at a point a rule says
is whole, so the write lock is held for a batch and not the whole run.

Every notice has a unique key and is written with its audit event, so a batch committed by
a run that then dies is simply found taken by the next run, which records the rest. A dry
run keeps one transaction, which it rolls back.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType

from sqlmodel import Session

from improveflow.db import Database

# About a third of a second of writing on SQLite: long enough that commits cost little, short
# enough that a person saving progress while the scheduler sends 1,500 reminders waits at most
# that long for the lock.
NOTICES_PER_TRANSACTION = 100


class SweepTransactions:
    """The open write transaction of a sweep, renewed once `batch` notices are recorded in it
    (`None`: never renewed)."""

    def __init__(self, database: Database, batch: int | None) -> None:
        self._database, self._batch = database, batch
        self._stack = ExitStack()
        self._session: Session | None = None
        self._recorded = 0

    def __enter__(self) -> SweepTransactions:
        self._session = self._stack.enter_context(self._database.writing())
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        self._session = None
        return bool(self._stack.__exit__(kind, error, trace))

    @property
    def session(self) -> Session:
        assert self._session is not None, "used outside its `with` block"
        return self._session

    def recorded(self) -> None:
        """Count a notice written in the open transaction."""
        self._recorded += 1

    def settle(self) -> None:
        """Commit and begin again once the batch is full. Call it only where what the rule
        has written so far is whole (an escalation with all its notices, a prompt with the
        silence it restarts)."""
        if self._batch is None or self._recorded < self._batch:
            return
        self._stack.close()
        self._recorded = 0
        self._stack = ExitStack()
        self._session = self._stack.enter_context(self._database.writing())
