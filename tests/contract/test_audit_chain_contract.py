"""The audit chain store's contract, held by the in-memory fake, SQLite and PostgreSQL: events
are appended in order, the head follows the newest, and they read back exactly as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contract_backends import Backend

from improveflow.stores import audit
from improveflow.stores.protocols import AuditChainStore
from improveflow.testing.fakes import FakeAuditChain

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
GENESIS = "0" * 64


@pytest.fixture
def store(backend: Backend) -> AuditChainStore:
    return FakeAuditChain() if backend.is_fake else audit


def event(seq: int, **changes: Any) -> dict[str, Any]:
    """A chained row as the audit log writes it (the hashes need not be real here)."""
    return {
        "seq": seq,
        "at": NOW + timedelta(minutes=seq),
        "event": "state_changed",
        "action_id": 10 + seq,
        "request_id": None,
        "actor_id": 1,
        "from_state": "draft",
        "to_state": "in_progress",
        "comment": f"Step {seq}",
        "data": "{}",
        "prev_hash": f"{seq - 1:064x}",
        "hash": f"{seq:064x}",
        "hash_scheme": "sha256",
    } | changes


def as_written(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without the store's own id."""
    return [{key: value for key, value in row.items() if key != "id"} for row in rows]


def tip(backend: Backend, store: AuditChainStore) -> int:
    """The seq of the newest event so far (setting up the people is audited on a database)."""
    with backend.connection() as connection:
        return store.lock_head(connection)[0]


def test_the_head_is_the_newest_event_and_nothing_lies_beyond_it(
    backend: Backend, store: AuditChainStore
) -> None:
    """The head names the newest stored event (the genesis hash when there is none), and
    nothing reads back after it."""
    with backend.connection() as connection:
        seq, hash_ = store.lock_head(connection)
        assert store.hash_at(connection, seq) == (hash_ if seq else None)
        assert hash_ != GENESIS or seq == 0
        assert store.events_from(connection, seq + 1) == []
        assert store.hash_at(connection, seq + 1) is None


def test_the_head_follows_the_newest_event(backend: Backend, store: AuditChainStore) -> None:
    """After each batch of events the head is the last one's seq and hash."""
    n = tip(backend, store)
    with backend.connection() as connection:
        store.insert_events(connection, [event(n + 1), event(n + 2)])
        assert store.lock_head(connection) == (n + 2, event(n + 2)["hash"])
    with backend.connection() as connection:
        store.insert_events(connection, [event(n + 3, hash_scheme="hmac-sha256")])
    with backend.connection() as connection:
        assert store.lock_head(connection) == (n + 3, event(n + 3)["hash"])


def test_events_read_back_in_order_exactly_as_written(
    backend: Backend, store: AuditChainStore
) -> None:
    """Every column written comes back unchanged, from the seq asked for onwards."""
    n = tip(backend, store)
    written = [
        event(n + 1),
        event(n + 2, comment=None, actor_id=None),
        event(n + 3, data='{"why":"late"}'),
    ]
    with backend.connection() as connection:
        store.insert_events(connection, written)

    with backend.connection() as connection:
        assert as_written(store.events_from(connection, n + 2)) == written[1:]
        assert as_written(store.events_from(connection, n + 1)) == written
        assert store.hash_at(connection, n + 2) == written[1]["hash"]
        assert store.hash_at(connection, n + 4) is None
