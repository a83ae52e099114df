"""What someone with direct write access to the database can do to the audit log, for tests.

Each function does what an administrator of the database could do by hand: remove the
triggers that keep the log append-only, edit or delete events, recompute the hashes after
them, move the head and put the triggers back, so that nothing in the database looks wrong.
Tests use them to prove that the keyed chain and checkpoints still catch it. Reading goes
through the audit store; the edits are here alone, since the application never makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from improveflow import audit
from improveflow.audit_key import AuditKey
from improveflow.models import AuditEvent, AuditHead
from improveflow.stores import audit as audit_store
from improveflow.stores.tables import table_of

_events = table_of(AuditEvent)
_head = table_of(AuditHead)


def lift_append_only(connection: sa.Connection) -> None:
    """Drop the triggers that refuse UPDATE and DELETE on the audit log."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
    else:
        connection.exec_driver_sql("DROP TRIGGER audit_event_append_only ON audit_event")


def restore_append_only(connection: sa.Connection) -> None:
    """Create the triggers again exactly as the first migration did, leaving no trace."""
    if connection.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
    else:
        connection.exec_driver_sql(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
        )


def _move_head(connection: sa.Connection, seq: int, hash_: str) -> None:
    connection.execute(sa.update(_head).where(_head.c.id == 1).values(seq=seq, hash=hash_))


def _recomputed(row: Mapping[str, Any], prev_hash: str, guessed_key: AuditKey | None) -> str:
    return audit.event_hash(
        seq=row["seq"],
        at=row["at"],
        event=row["event"],
        action_id=row["action_id"],
        request_id=row["request_id"],
        actor_id=row["actor_id"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        comment=row["comment"],
        data=row["data"],
        prev_hash=prev_hash,
        key=guessed_key,
    )


def rechain(
    connection: sa.Connection,
    *,
    seq: int,
    comment: str,
    guessed_key: AuditKey | None = None,
    mark_unkeyed: bool = False,
) -> None:
    """Change event `seq`'s comment, recompute every hash from it on and move the head.

    The attacker does not hold the audit key: they recompute with plain SHA-256, or with
    `guessed_key`, and may also mark the rewritten events unkeyed (`mark_unkeyed`).
    """
    rows = audit_store.events_from(connection, seq)
    if not rows:
        raise ValueError(f"there is no audit event #{seq}")
    rows[0]["comment"] = comment
    prev_hash = rows[0]["prev_hash"]
    lift_append_only(connection)
    for row in rows:
        new_hash = _recomputed(row, prev_hash, guessed_key)
        values: dict[str, Any] = {
            "comment": row["comment"],
            "prev_hash": prev_hash,
            "hash": new_hash,
        }
        if mark_unkeyed:
            values["hash_scheme"] = audit.HashScheme.SHA256
        connection.execute(sa.update(_events).where(_events.c.id == row["id"]).values(**values))
        prev_hash = new_hash
    _move_head(connection, rows[-1]["seq"], prev_hash)
    restore_append_only(connection)


def truncate(connection: sa.Connection, *, keep: int) -> None:
    """Delete every event after #`keep` and move the head back to #`keep`."""
    kept = audit_store.hash_at(connection, keep)
    lift_append_only(connection)
    connection.execute(sa.delete(_events).where(_events.c.seq > keep))
    _move_head(connection, keep, kept if kept is not None else audit.GENESIS_HASH)
    restore_append_only(connection)
