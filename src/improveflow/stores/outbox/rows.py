"""Outbox rows on their way out: queued once under a unique key, claimed under a short lease,
each outcome recorded.

A row is queued until a sender claims it by setting `lease_until`, a lease its sender renews
while it lives, so a sender that dies lets it lapse and the next run sends it. Marks only touch
rows still queued and held under the same lease, so each is idempotent and a late or repeated
mark changes nothing. These statements are built once, as Core: they are the hot path of
sending.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from improveflow.models import DeliveryFault, Outbox, OutboxStatus
from improveflow.stores.tables import table_of

_outbox = table_of(Outbox)
_c = _outbox.c

# Emails someone is waiting for at a screen go before a morning's queue of reminders, which a
# rate limit (Microsoft 365: 30 a minute) can take half an hour to clear.
WAITED_FOR = ("sign_in",)


@dataclass(frozen=True)
class OutboxRow:
    """A claimed row: everything needed to build and send its email."""

    id: int
    idempotency_key: str
    template: str
    recipient_email: str
    recipient_name: str
    person_id: int | None
    context: dict[str, Any]
    attempts: int
    due_at: datetime
    created_at: datetime | None = None
    send_anyway: bool = False  # an administrator asked for it by name: no relevance check
    lease_until: datetime | None = None  # the claim's lease when it was made


# Enqueueing -------------------------------------------------------------------------------------

_ON_CONFLICT = {
    name: dialect.insert(_outbox)
    .on_conflict_do_nothing(index_elements=[_c.idempotency_key])
    .returning(_c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_ID_OF_KEY = sa.select(_c.id).where(_c.idempotency_key == sa.bindparam("key"))


def enqueue(
    session: Session,
    *,
    key: str,
    template: str,
    recipient_email: str,
    recipient_name: str,
    person_id: int | None,
    context: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> int | None:
    """Queue one email in the caller's transaction; None when `key` is already queued or sent."""
    values = {
        "idempotency_key": key,
        "template": template,
        "recipient_email": recipient_email,
        "recipient_name": recipient_name,
        "person_id": person_id,
        "context": context,
        "status": OutboxStatus.QUEUED,
        "due_at": due_at,
        "attempts": 0,
        "created_at": now,
    }
    connection = session.connection()
    statement = _ON_CONFLICT.get(connection.dialect.name)
    if statement is not None:
        # The database settles a race between two sweeps: one insert wins, the other is a no-op.
        found = connection.execute(statement, values).first()
        return None if found is None else int(found[0])
    try:
        with session.begin_nested():
            result = connection.execute(sa.insert(_outbox), values)
    except IntegrityError:
        return None
    key_values = result.inserted_primary_key
    assert key_values is not None
    return int(key_values[0])


def id_of(connection: sa.Connection, key: str) -> int:
    """The id of the row queued under `key`."""
    return int(connection.execute(_ID_OF_KEY, {"key": key}).scalar_one())


# Claiming ---------------------------------------------------------------------------------------

_CLAIMABLE = (
    _c.status == OutboxStatus.QUEUED,
    _c.due_at <= sa.bindparam("now"),
    sa.or_(_c.next_attempt_at.is_(None), _c.next_attempt_at <= sa.bindparam("now")),
    sa.or_(_c.lease_until.is_(None), _c.lease_until < sa.bindparam("now")),
)
_ROW_COLUMNS = tuple(_c[field.name] for field in fields(OutboxRow))
_WAITED_FOR_FIRST = sa.case((_c.template.in_(WAITED_FOR), 0), else_=1)


def _claim_statement(*where: sa.ColumnElement[bool]) -> sa.Update:
    # SKIP LOCKED lets PostgreSQL workers claim disjoint rows side by side; SQLite ignores it,
    # and its write transaction (BEGIN IMMEDIATE) already lets only one claimer in at a time.
    return (
        sa.update(_outbox)
        .where(
            _c.id.in_(
                sa.select(_c.id)
                .where(*_CLAIMABLE, *where)
                .order_by(_WAITED_FOR_FIRST, _c.due_at, _c.id)
                .limit(sa.bindparam("limit"))
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
        )
        .values(lease_until=sa.bindparam("lease"))
        .returning(*_ROW_COLUMNS)
    )


_CLAIM = _claim_statement()
_CLAIM_NAMED = _claim_statement(_c.id.in_(sa.bindparam("ids", expanding=True)))
_COUNT_DUE = sa.select(sa.func.count()).select_from(_outbox).where(*_CLAIMABLE)


def claim_due(
    connection: sa.Connection,
    now: datetime,
    limit: int,
    lease: timedelta,
    *,
    only_ids: Collection[int] | None = None,
) -> list[OutboxRow]:
    """Lease up to `limit` due rows until `now + lease`, sign-in emails then the oldest first.

    With `only_ids`, only those rows are claimed. (A rate limit is the caller's: it asks
    `rate.available` for the limit in the same transaction.)
    """
    if limit <= 0 or (only_ids is not None and not only_ids):
        return []
    values: dict[str, object] = {"now": now, "limit": limit, "lease": now + lease}
    if only_ids is None:
        found = connection.execute(_CLAIM, values)
    else:
        found = connection.execute(_CLAIM_NAMED, {**values, "ids": sorted(only_ids)})
    return sorted((OutboxRow(*row) for row in found), key=_sending_order)


def _sending_order(row: OutboxRow) -> tuple[bool, datetime, int]:
    return (row.template not in WAITED_FOR, row.due_at, row.id)


def count_due(connection: sa.Connection, now: datetime) -> int:
    """Rows that could be claimed at `now` (queued, due, not waiting or leased)."""
    return int(connection.execute(_COUNT_DUE, {"now": now}).scalar_one())


_RENEW = (
    sa.update(_outbox)
    .where(
        _c.id.in_(sa.bindparam("ids", expanding=True)),
        _c.status == OutboxStatus.QUEUED,
        _c.lease_until == sa.bindparam("held", type_=_c.lease_until.type),
    )
    .values(lease_until=sa.bindparam("until", type_=_c.lease_until.type))
)


def renew(connection: sa.Connection, ids: Collection[int], held: datetime, until: datetime) -> int:
    """Extend the lease on those of `ids` still held under `held`, to `until`; how many."""
    if not ids:
        return 0
    result = connection.execute(_RENEW, {"ids": sorted(ids), "held": held, "until": until})
    return int(result.rowcount)


# Outcomes ---------------------------------------------------------------------------------------

_HELD = (_c.id == sa.bindparam("row_id"), _c.status == OutboxStatus.QUEUED)
_LEASED = (*_HELD, _c.lease_until.is_not(None))
# With the claim's own lease given, only that very claim matches.
_SAME_LEASE = (*_LEASED, _c.lease_until == sa.bindparam("held", type_=_c.lease_until.type))
_NOW = sa.bindparam("now", type_=_c.last_attempt_at.type)
# A delivered message is a fact: it is recorded even if the lease lapsed meanwhile, since
# refusing it would only make another run send a second copy.
_MARK_SENT = (
    sa.update(_outbox)
    .where(*_HELD)
    .values(
        status=OutboxStatus.SENT,
        sent_at=_NOW,
        last_attempt_at=_NOW,
        message_id=sa.bindparam("message_id"),
        attempts=_c.attempts + 1,
        lease_until=None,
        next_attempt_at=None,
    )
)
_ATTEMPT_VALUES = {
    "attempts": _c.attempts + 1,
    "last_error": sa.bindparam("error"),
    "fault": sa.bindparam("fault"),
    "last_attempt_at": _NOW,
    "lease_until": None,
}
_RETRY_VALUES = {
    **_ATTEMPT_VALUES,
    "next_attempt_at": sa.bindparam("next_attempt_at", type_=_c.next_attempt_at.type),
}
_FAILED_VALUES = {**_ATTEMPT_VALUES, "status": OutboxStatus.FAILED, "next_attempt_at": None}
# Failures only apply to a row still leased (by this very claim, when its lease is given): a
# sender whose lease lapsed must not undo the work of the sender that took the row over.
_MARK_RETRY = {
    False: sa.update(_outbox).where(*_LEASED).values(_RETRY_VALUES),
    True: sa.update(_outbox).where(*_SAME_LEASE).values(_RETRY_VALUES),
}
_MARK_FAILED = {
    False: sa.update(_outbox).where(*_LEASED).values(_FAILED_VALUES),
    True: sa.update(_outbox).where(*_SAME_LEASE).values(_FAILED_VALUES),
}
_MARK_SUPERSEDED = (
    sa.update(_outbox)
    .where(*_SAME_LEASE)
    .values(
        status=OutboxStatus.SUPERSEDED,
        superseded_reason=sa.bindparam("reason"),
        next_attempt_at=None,
        lease_until=None,
    )
)
_RELEASE = sa.update(_outbox).where(*_SAME_LEASE).values(lease_until=None)


def mark_sent(
    connection: sa.Connection, sent: Sequence[tuple[int, str | None]], now: datetime
) -> int:
    """Record deliveries (row id, Message-ID); how many rows were still queued to mark."""
    if not sent:
        return 0
    values = [{"row_id": row_id, "now": now, "message_id": mid} for row_id, mid in sent]
    return int(connection.execute(_MARK_SENT, values).rowcount)


def mark_retry(
    connection: sa.Connection,
    retries: Sequence[tuple[int, datetime]],
    now: datetime,
    error: str,
    *,
    fault: DeliveryFault,
    lease_until: datetime | None = None,
) -> int:
    """Count a failed attempt on each row (row id, next attempt) and hand it back, not to be
    tried before its next attempt; how many. `lease_until` (the claim's lease) restricts the
    mark to that very claim."""
    if not retries:
        return 0
    values = [
        {
            "row_id": row_id,
            "error": error,
            "fault": fault,
            "now": now,
            "next_attempt_at": max(next_attempt_at, now),
            "held": lease_until,
        }
        for row_id, next_attempt_at in retries
    ]
    return int(connection.execute(_MARK_RETRY[lease_until is not None], values).rowcount)


def mark_failed(
    connection: sa.Connection,
    row_id: int,
    now: datetime,
    error: str,
    *,
    fault: DeliveryFault,
    lease_until: datetime | None = None,
) -> bool:
    """Give up on the row for good; it stays in the table, failed, with `error` to show why."""
    values = {"row_id": row_id, "error": error, "fault": fault, "now": now, "held": lease_until}
    return bool(connection.execute(_MARK_FAILED[lease_until is not None], values).rowcount == 1)


def mark_superseded(
    connection: sa.Connection, reasons: Mapping[int, str], lease_until: datetime
) -> int:
    """Set aside claimed rows that no longer matter, each with the reason; how many."""
    if not reasons:
        return 0
    values = [
        {"row_id": row_id, "reason": reason, "held": lease_until}
        for row_id, reason in reasons.items()
    ]
    return int(connection.execute(_MARK_SUPERSEDED, values).rowcount)


def release(connection: sa.Connection, ids: Collection[int], lease_until: datetime) -> int:
    """Hand back claimed rows that were never attempted, untouched, for the next run."""
    if not ids:
        return 0
    values = [{"row_id": row_id, "held": lease_until} for row_id in sorted(ids)]
    return int(connection.execute(_RELEASE, values).rowcount)
