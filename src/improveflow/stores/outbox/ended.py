"""Emails that ended failed or superseded, chosen and queued again by an administrator."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from improveflow.models import Outbox, OutboxStatus
from improveflow.stores.tables import table_of

_outbox = table_of(Outbox)
_c = _outbox.c

# The statuses an email may be sent again from.
ENDED = (OutboxStatus.FAILED, OutboxStatus.SUPERSEDED)


@dataclass(frozen=True)
class EndedEmail:
    """An email as chosen to be sent again."""

    id: int
    template: str
    recipient_email: str
    status: OutboxStatus
    attempts: int
    why: str | None  # why it was superseded, or its last error


def ended(
    connection: sa.Connection,
    *,
    ids: Collection[int] | None = None,
    statuses: Collection[OutboxStatus] = ENDED,
    due_since: datetime | None = None,
) -> list[EndedEmail]:
    """Emails with one of `statuses` (those of `ids` only, due since `due_since` only), by id,
    locked until the transaction ends, so two administrators cannot queue one twice."""
    query = (
        sa.select(
            _c.id,
            _c.template,
            _c.recipient_email,
            _c.status,
            _c.attempts,
            sa.func.coalesce(_c.superseded_reason, _c.last_error),
        )
        .where(_c.status.in_([str(status) for status in statuses]))
        .order_by(_c.id)
        .with_for_update()
    )
    if ids is not None:
        query = query.where(_c.id.in_(sorted(ids)))
    if due_since is not None:
        query = query.where(_c.due_at >= due_since)
    return [
        EndedEmail(row_id, template, email, OutboxStatus(status), attempts, why)
        for row_id, template, email, status, attempts, why in connection.execute(query)
    ]


def statuses_of(connection: sa.Connection, ids: Collection[int]) -> dict[int, OutboxStatus]:
    """The status of each of `ids` that exists."""
    found = connection.execute(sa.select(_c.id, _c.status).where(_c.id.in_(sorted(ids))))
    return {row_id: OutboxStatus(status) for row_id, status in found}


_REQUEUE = (
    sa.update(_outbox)
    .where(_c.id == sa.bindparam("row_id"), _c.status.in_([str(status) for status in ENDED]))
    .values(
        status=OutboxStatus.QUEUED,
        # Due now, so it is useful for as long again, and tried afresh: no backoff carried.
        due_at=sa.bindparam("now", type_=_c.due_at.type),
        attempts=0,
        next_attempt_at=None,
        lease_until=None,
        superseded_reason=None,
        send_anyway=sa.bindparam("send_anyway"),
    )
)


def requeue(
    connection: sa.Connection, ids: Collection[int], now: datetime, send_anyway: Collection[int]
) -> int:
    """Queue `ids` again, due at `now`; those in `send_anyway` skip the relevance check. The
    last error stays until the next attempt, so it is still there to read."""
    if not ids:
        return 0
    values = [
        {"row_id": row_id, "now": now, "send_anyway": row_id in send_anyway}
        for row_id in sorted(ids)
    ]
    return int(connection.execute(_REQUEUE, values).rowcount)
