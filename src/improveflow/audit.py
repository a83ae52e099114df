"""The append-only, hash-chained audit log.

Each event's hash covers its own fields and the previous event's hash, so editing, removing or
reordering any stored event breaks the chain from that point on. Writers lock the single
`audit_head` row, which serialises appends across processes and keeps the chain linear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow import exceptions
from improveflow.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
_VERIFY_BATCH = 1000


def canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    *,
    seq: int,
    at: datetime,
    event: str,
    action_id: int | None,
    request_id: int | None,
    actor_id: int | None,
    from_state: str | None,
    to_state: str | None,
    comment: str | None,
    data: str,
    prev_hash: str,
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "event": event,
            "action_id": action_id,
            "request_id": request_id,
            "actor_id": actor_id,
            "from_state": from_state,
            "to_state": to_state,
            "comment": comment,
            "data": data,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_HEAD_FOR_UPDATE = (
    sa.select(col(AuditHead.seq), col(AuditHead.hash))
    .where(col(AuditHead.id) == 1)
    .with_for_update()
)
# A database trigger (migration 0002) moves the head to each inserted event.
_INSERT_EVENTS = sa.insert(AuditEvent)


@dataclass
class _Pending:
    """The chain's tip, locked for this transaction, and the events not yet written."""

    seq: int
    hash: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def _pending(session: Session) -> _Pending:
    pending = session.info.get("audit_pending")
    if isinstance(pending, _Pending):
        return pending
    # Locks the head row (PostgreSQL) until commit, so concurrent writers chain one at a time;
    # SQLite write transactions already hold the database's write lock.
    row = session.connection().execute(_HEAD_FOR_UPDATE).one()
    pending = _Pending(seq=row.seq, hash=row.hash)
    session.info["audit_pending"] = pending
    session.info.setdefault("before_commit", []).append(_write_pending)
    return pending


def _write_pending(session: Session) -> None:
    """Write the transaction's events in one statement, before commit."""
    pending = session.info.pop("audit_pending", None)
    if not isinstance(pending, _Pending) or not pending.rows:
        return
    session.connection().execute(_INSERT_EVENTS, pending.rows)


def append(
    session: Session,
    *,
    at: datetime,
    event: str,
    action_id: int | None = None,
    request_id: int | None = None,
    actor_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> int:
    """Add one event to the chain, written when the caller's transaction commits.

    The session must come from `Database.writing()`, which writes the events before commit.
    Returns the event's sequence number.
    """
    pending = _pending(session)
    at = at.astimezone(UTC)
    seq = pending.seq + 1
    stored_data = canonical_json(data or {})
    row: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "event": event,
        "action_id": action_id,
        "request_id": request_id,
        "actor_id": actor_id,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
        "data": stored_data,
        "prev_hash": pending.hash,
    }
    digest = event_hash(**row)
    row["hash"] = digest
    pending.rows.append(row)
    pending.seq, pending.hash = seq, digest
    return seq


@dataclass(frozen=True)
class VerifyReport:
    events: int
    head_hash: str


def _stored_events(session: Session) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > last)
            .order_by(col(AuditEvent.seq))
            .limit(_VERIFY_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyReport:
    """Recompute the whole chain; raise AuditChainBroken naming the first bad event."""
    expected_prev = GENESIS_HASH
    expected_seq = 0
    for stored in _stored_events(session):
        expected_seq += 1
        where = _describe(stored)
        if stored.seq != expected_seq:
            raise exceptions.AuditChainBroken(
                f"{where}: expected #{expected_seq} next; events are missing"
            )
        if stored.prev_hash != expected_prev:
            raise exceptions.AuditChainBroken(
                f"{where}: does not follow the event before it; the log was reordered or cut"
            )
        recomputed = event_hash(
            seq=stored.seq,
            at=stored.at,
            event=stored.event,
            action_id=stored.action_id,
            request_id=stored.request_id,
            actor_id=stored.actor_id,
            from_state=stored.from_state,
            to_state=stored.to_state,
            comment=stored.comment,
            data=stored.data,
            prev_hash=stored.prev_hash,
        )
        if recomputed != stored.hash:
            raise exceptions.AuditChainBroken(f"{where}: its contents were changed after writing")
        expected_prev = stored.hash
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.seq != expected_seq or head.hash != expected_prev:
        raise exceptions.AuditChainBroken(
            f"the audit log ends at #{expected_seq} but its head records #{head.seq}; "
            "events were removed from the end"
        )
    return VerifyReport(events=expected_seq, head_hash=expected_prev)


def _describe(event: AuditEvent) -> str:
    return f"audit event {event.id} (#{event.seq}, '{event.event}' at {event.at:%Y-%m-%d %H:%M})"
