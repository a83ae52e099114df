"""What the outbox holds, for people: the newest rows listed, and the numbers that tell
whether email is getting out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from improveflow.models import DeliveryFault, Outbox, OutboxStatus
from improveflow.stores.tables import table_of

_outbox = table_of(Outbox)
_c = _outbox.c
_ENDED = (OutboxStatus.FAILED, OutboxStatus.SUPERSEDED)


# Everything but the template's context (large, and shown by no listing).
_LIST_COLUMNS = tuple(column for column in _c if column.name != "context")


def newest(
    connection: sa.Connection, limit: int, status: OutboxStatus | None = None
) -> list[dict[str, Any]]:
    """The newest rows (with `status` only) as JSON-ready dicts: moments in ISO 8601, and
    `why`: the reason a row was superseded, or else its last error."""
    query = sa.select(*_LIST_COLUMNS).order_by(_c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(_c.status == status)
    return [
        {
            **{
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in row.items()
            },
            "why": row["superseded_reason"] or row["last_error"],
        }
        for row in connection.execute(query).mappings()
    ]


@dataclass(frozen=True)
class QueueFacts:
    """The outbox's numbers at `now`, for telling whether email is getting out."""

    queued: int  # waiting to go, due or not
    due: int  # of those, due now
    retrying: int  # of those, tried before
    failing: int  # of those, tried before and last refused by the mail server itself
    oldest_due_at: datetime | None
    oldest_untried_at: datetime | None  # the longest-waiting due row never tried
    last_sent_at: datetime | None
    last_error: str | None  # the newest failed attempt's reason, of rows not since sent
    last_error_at: datetime | None
    last_error_fault: DeliveryFault | None
    last_error_count: int  # rows not sent whose latest attempt failed with that reason
    failed: int
    superseded: int


_IS_DUE = _c.due_at <= sa.bindparam("now", type_=_c.due_at.type)
_TRIED = _c.attempts > 0


def _count(*condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*condition), 1), else_=0)), 0)


_QUEUE = sa.select(
    sa.func.count(),
    _count(_IS_DUE),
    _count(_TRIED),
    _count(_TRIED, _c.fault == DeliveryFault.SERVER),
    sa.func.min(sa.case((_IS_DUE, _c.due_at))),
    sa.func.min(sa.case((sa.and_(_IS_DUE, _c.attempts == 0), _c.due_at))),
).where(_c.status == OutboxStatus.QUEUED)
_ENDED_COUNTS = (
    sa.select(_c.status, sa.func.count()).where(_c.status.in_(_ENDED)).group_by(_c.status)
)
_LAST_SENT = sa.select(sa.func.max(_c.sent_at))
_NOT_SENT = _c.status.in_([OutboxStatus.QUEUED, OutboxStatus.FAILED])
_LAST_ERROR = (
    sa.select(_c.last_error, _c.last_attempt_at, _c.fault)
    .where(_NOT_SENT, _c.last_error.is_not(None), _c.last_attempt_at.is_not(None))
    .order_by(_c.last_attempt_at.desc(), _c.id.desc())
    .limit(1)
)
_SAME_ERROR = sa.select(sa.func.count()).where(_NOT_SENT, _c.last_error == sa.bindparam("text"))


def queue_facts(connection: sa.Connection, now: datetime) -> QueueFacts:
    """The facts at `now`; run them in one transaction so they agree with each other."""
    queued, due, retrying, failing, oldest_due, oldest_untried = connection.execute(
        _QUEUE, {"now": now}
    ).one()
    ended_counts = {str(status): int(n) for status, n in connection.execute(_ENDED_COUNTS)}
    error = connection.execute(_LAST_ERROR).first()
    last_error, last_error_at, fault = error if error is not None else (None, None, None)
    count = 0
    if last_error is not None:
        count = int(connection.execute(_SAME_ERROR, {"text": last_error}).scalar_one())
    return QueueFacts(
        queued=int(queued),
        due=int(due),
        retrying=int(retrying),
        failing=int(failing),
        oldest_due_at=_aware(oldest_due),
        oldest_untried_at=_aware(oldest_untried),
        last_sent_at=_aware(connection.execute(_LAST_SENT).scalar_one()),
        last_error=last_error,
        last_error_at=_aware(last_error_at),
        last_error_fault=DeliveryFault(fault) if fault else None,
        last_error_count=count,
        failed=ended_counts.get(OutboxStatus.FAILED, 0),
        superseded=ended_counts.get(OutboxStatus.SUPERSEDED, 0),
    )


def _aware(value: datetime | None) -> datetime | None:
    """A moment as the outbox's columns give it: aware, in UTC (aggregates keep their type)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
