"""The append-only, hash-chained audit log.

Each event's hash covers its own fields and the previous event's hash, so editing, removing or
reordering any stored event breaks the chain from that point on. Writers lock the single
`audit_head` row, which serialises appends across processes and keeps the chain linear.

With IMPROVEFLOW_AUDIT_KEY set, each hash is an HMAC keyed with it, so someone who can write to
the database but does not hold the key cannot recompute the chain after an edit. Events written
before the key was set stay plain SHA-256 and still verify; each event records which it is,
and a keyed event is never followed by an unkeyed one. Neither kind shows events removed from
the end with the head moved back, nor a chain recomputed by someone holding the key: signed
checkpoints kept outside the database (`audit_checkpoint`) do.

Here are the hashing, the keys and what a broken chain means; the rows are read and written by
`stores.audit`, and the events themselves are typed records (`audit_events`), stored with
`record`: nothing writes an event that is not one.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from improveflow import exceptions
from improveflow.audit_checkpoint import Checkpoint
from improveflow.audit_events import Event
from improveflow.audit_key import AuditKey
from improveflow.models import AuditEvent
from improveflow.stores import audit as stores_audit

GENESIS_HASH = "0" * 64
_VERIFY_BATCH = 1000


class HashScheme(StrEnum):
    """How an event's hash was made (stored on each event)."""

    SHA256 = "sha256"  # unkeyed: anyone who can write to the database can recompute it
    HMAC_SHA256 = "hmac-sha256"  # keyed with IMPROVEFLOW_AUDIT_KEY


# One encoder for every event: json.dumps would build its like for each call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)


def canonical_json(data: Mapping[str, Any]) -> str:
    return _CANONICAL.encode(data)


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
    key: AuditKey | None = None,
) -> str:
    """The event's hash: HMAC-SHA256 with `key`, plain SHA-256 without one."""
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
    ).encode("utf-8")
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return key.chain_digest(body)


@dataclass
class _Pending:
    """The chain's tip, locked for this transaction, and the events not yet written."""

    seq: int
    hash: str
    key: AuditKey | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def _pending(session: Session) -> _Pending:
    pending = session.info.get("audit_pending")
    if isinstance(pending, _Pending):
        return pending
    # Database.writing() puts the installation's audit key (or None) on every write session.
    key = session.info.get("audit_key")
    if not isinstance(key, AuditKey):
        key = None
    # The head stays locked until commit, so concurrent writers chain one at a time.
    connection = session.connection()
    if key is not None:
        seq, tip_hash = stores_audit.lock_head(connection)
    else:
        seq, tip_hash, tip_scheme = stores_audit.lock_head_with_tip_scheme(connection)
        if tip_scheme not in (None, HashScheme.SHA256):
            raise exceptions.ConfigurationError(
                f"IMPROVEFLOW_AUDIT_KEY is not set, but the audit log's newest event (#{seq}) "
                "is keyed with it, and an unkeyed event may never follow a keyed one: set "
                "IMPROVEFLOW_AUDIT_KEY to this installation's audit key to record changes"
            )
    pending = _Pending(seq=seq, hash=tip_hash, key=key)
    session.info["audit_pending"] = pending
    session.info.setdefault("before_commit", []).append(_write_pending)
    return pending


def _write_pending(session: Session) -> None:
    """Write the transaction's events in one statement, before commit."""
    pending = session.info.pop("audit_pending", None)
    if not isinstance(pending, _Pending) or not pending.rows:
        return
    stores_audit.insert_events(session.connection(), pending.rows)


def record(session: Session, event: Event, *, at: datetime) -> int:
    """Add one typed event to the chain, written when the caller's transaction commits.

    The session must come from `Database.writing()`, which writes the events before commit and
    carries the audit key. Returns the event's sequence number.
    """
    return _append(session, at=at, event=event.kind.value, data=event.payload(), **event.columns())


def _append(
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
    """Chain one event's stored fields: its kind, columns and payload as `record` gives them."""
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
    digest = event_hash(**row, key=pending.key)
    row["hash"] = digest
    row["hash_scheme"] = HashScheme.SHA256 if pending.key is None else HashScheme.HMAC_SHA256
    pending.rows.append(row)
    pending.seq, pending.hash = seq, digest
    return seq


# Verifying --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    """What a verification walked and matched; `audit_assurance` says what that proves."""

    events: int
    head_hash: str
    key_set: bool
    # The first keyed event: every event from it on is keyed, every one before it is not.
    keyed_from: int | None = None
    checkpoints: tuple[Checkpoint, ...] = ()

    @property
    def unkeyed_events(self) -> int:
        return self.events if self.keyed_from is None else self.keyed_from - 1

    @property
    def newest_checkpoint(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.seq, default=None)


def verify(
    session: Session, key: AuditKey | None = None, checkpoints: Sequence[Checkpoint] = ()
) -> VerifyReport:
    """Recompute the whole chain and match it against each (already signature-checked)
    checkpoint.

    Raises AuditChainBroken naming the first bad event or the checkpoint the log no longer
    matches, and AuditNotVerifiable when keyed events meet a missing key.
    """
    at_seq: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        at_seq[checkpoint.seq].append(checkpoint)
    _match_checkpoints(at_seq.pop(0, []), GENESIS_HASH, "the empty log")
    expected_prev = GENESIS_HASH
    expected_seq = 0
    keyed_from: int | None = None
    for stored in stores_audit.events_in_order(session, _VERIFY_BATCH):
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
        keyed_from = _check_scheme(stored, where, keyed_from, key)
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
            key=key if stored.hash_scheme == HashScheme.HMAC_SHA256 else None,
        )
        if recomputed != stored.hash:
            if stored.hash_scheme == HashScheme.HMAC_SHA256:
                raise exceptions.AuditChainBroken(
                    f"{where}: its keyed hash does not match: its contents were changed after "
                    "writing (and the chain recomputed by someone without the audit key), or "
                    "IMPROVEFLOW_AUDIT_KEY here is not the key it was written with"
                )
            raise exceptions.AuditChainBroken(f"{where}: its contents were changed after writing")
        _match_checkpoints(at_seq.pop(stored.seq, []), stored.hash, where)
        expected_prev = stored.hash
    if at_seq:
        seq = min(at_seq)
        beyond = at_seq[seq][0]
        raise exceptions.AuditChainBroken(
            f"{beyond.describe()} records {beyond.events} events, up to #{seq}, but the log "
            f"now ends at #{expected_seq}: {_removed(expected_seq + 1, seq)} from the end"
        )
    head = stores_audit.head(session)
    if head.seq != expected_seq or head.hash != expected_prev:
        raise exceptions.AuditChainBroken(
            f"the audit log ends at #{expected_seq} but its head records #{head.seq}; "
            "events were removed from the end"
        )
    return VerifyReport(
        events=expected_seq,
        head_hash=expected_prev,
        key_set=key is not None,
        keyed_from=keyed_from,
        checkpoints=tuple(sorted(checkpoints, key=lambda c: (c.seq, c.made_at))),
    )


def _check_scheme(
    stored: AuditEvent, where: str, keyed_from: int | None, key: AuditKey | None
) -> int | None:
    """The first keyed event so far, after checking this event's scheme may come here."""
    if stored.hash_scheme == HashScheme.SHA256:
        if keyed_from is not None:
            raise exceptions.AuditChainBroken(
                f"{where}: is unkeyed, yet keyed events began at #{keyed_from}, and a keyed "
                "event is never followed by an unkeyed one: the log was rewritten from here on "
                "by someone without the audit key"
            )
        return None
    if stored.hash_scheme != HashScheme.HMAC_SHA256:
        raise exceptions.AuditChainBroken(
            f"{where}: names a way of hashing improveflow does not know ({stored.hash_scheme!r})"
        )
    if key is None:
        raise exceptions.AuditNotVerifiable(
            f"The audit log's events from #{stored.seq} on are keyed with "
            "IMPROVEFLOW_AUDIT_KEY, which is not set here, so they cannot be checked and "
            "nothing has been verified: set IMPROVEFLOW_AUDIT_KEY to this installation's "
            "audit key and verify again"
        )
    return stored.seq if keyed_from is None else keyed_from


def _match_checkpoints(checkpoints: list[Checkpoint], stored_hash: str, where: str) -> None:
    for checkpoint in checkpoints:
        if checkpoint.head_hash != stored_hash:
            raise exceptions.AuditChainBroken(
                f"{where} is not the event {checkpoint.describe()} recorded as #{checkpoint.seq} "
                f"(its hash was {checkpoint.head_hash[:16]}…, now {stored_hash[:16]}…): the log "
                f"at or before #{checkpoint.seq} has been rewritten since"
            )


def _removed(first: int, last: int) -> str:
    if first == last:
        return f"event #{first} has been removed"
    return f"events #{first} to #{last} have been removed"


def _describe(event: AuditEvent) -> str:
    return f"audit event {event.id} (#{event.seq}, '{event.event}' at {event.at:%Y-%m-%d %H:%M})"
