"""The audit log's rows: lock the chain's head, append events, and read them back in order.

Hashing, keys and what a broken chain means live in `improveflow.audit`; here is only how the
rows are stored. Events are only ever inserted: the database refuses to change or delete them.
The read models that show events (a request's story, an action's listing, an export) select
`STORED_COLUMNS` and hand back `StoredEvent`s, which services read with
`audit_events.from_row`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow.models import AuditEvent, AuditHead
from improveflow.stores.bulk import insert_prepared, prepares_values
from improveflow.stores.tables import table_of

_EVENTS = table_of(AuditEvent)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event's row as stored, with no meaning given to its payload (see `from_row`)."""

    seq: int
    at: datetime
    event: str
    action_id: int | None
    request_id: int | None
    actor_id: int | None
    from_state: str | None
    to_state: str | None
    comment: str | None
    data: str


# The columns a StoredEvent is made of, in its order: select these, then `stored_event(row)`.
STORED_COLUMNS = tuple(
    _EVENTS.c[name]
    for name in (
        "seq", "at", "event", "action_id", "request_id", "actor_id",
        "from_state", "to_state", "comment", "data",
    )
)  # fmt: skip


def stored_event(row: Sequence[Any]) -> StoredEvent:
    """The StoredEvent of a row whose first columns are STORED_COLUMNS."""
    return StoredEvent(*row[: len(STORED_COLUMNS)])


_HEAD_FOR_UPDATE = (
    sa.select(col(AuditHead.seq), col(AuditHead.hash))
    .where(col(AuditHead.id) == 1)
    .with_for_update()
)
# Without a key, the writer must also know how the newest event was hashed: after a keyed
# event only keyed ones may follow.
_HEAD_AND_TIP_SCHEME_FOR_UPDATE = (
    sa.select(
        col(AuditHead.seq),
        col(AuditHead.hash),
        sa.select(col(AuditEvent.hash_scheme))
        .where(col(AuditEvent.seq) == col(AuditHead.seq))
        .scalar_subquery()
        .label("tip_scheme"),
    )
    .where(col(AuditHead.id) == 1)
    .with_for_update(of=AuditHead)
)
# A database trigger (migration 0002) moves the head to each inserted event.
_INSERT_EVENTS = sa.insert(AuditEvent)
_HEAD = select(AuditHead).where(AuditHead.id == 1)


def lock_head(connection: sa.Connection) -> tuple[int, str]:
    """The chain's tip (seq, hash), locked until the transaction ends.

    On PostgreSQL the row lock makes concurrent writers chain one at a time; an SQLite write
    transaction already holds the database's write lock.
    """
    seq, hash_ = connection.execute(_HEAD_FOR_UPDATE).one()
    return seq, hash_


def lock_head_with_tip_scheme(connection: sa.Connection) -> tuple[int, str, str | None]:
    """As `lock_head`, and how the newest event was hashed (None when the log is empty)."""
    seq, hash_, tip_scheme = connection.execute(_HEAD_AND_TIP_SCHEME_FOR_UPDATE).one()
    return seq, hash_, tip_scheme


def insert_events(connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the chained rows (every column but `id`) in as few statements as allowed."""
    if not rows:
        return
    if prepares_values(connection.dialect):
        # An import's thousands of events share their moment: each is converted once.
        insert_prepared(connection, _EVENTS, rows)
    else:
        connection.execute(_INSERT_EVENTS, rows)


def head(session: Session) -> AuditHead:
    """The chain's recorded tip."""
    return session.exec(_HEAD).one()


def events_in_order(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event, oldest first, read `batch` at a time so a long log never fills memory."""
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > last)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        # Read rows need not stay in the session: the walk holds one batch at a time.
        session.expunge_all()


def events_of_action(session: Session, action_id: int) -> Sequence[AuditEvent]:
    """The action's events, oldest first."""
    return session.exec(
        select(AuditEvent).where(AuditEvent.action_id == action_id).order_by(col(AuditEvent.seq))
    ).all()


def events_from(connection: sa.Connection, seq: int) -> list[dict[str, Any]]:
    """Event `seq` and every later one, oldest first, as plain rows."""
    return [
        dict(row)
        for row in connection.execute(
            sa.select(_EVENTS).where(_EVENTS.c.seq >= seq).order_by(_EVENTS.c.seq)
        ).mappings()
    ]


def hash_at(connection: sa.Connection, seq: int) -> str | None:
    """The stored hash of event `seq`, or None when there is none."""
    found = connection.execute(sa.select(_EVENTS.c.hash).where(_EVENTS.c.seq == seq)).scalar()
    return str(found) if found is not None else None
