"""Notices: one thing to tell one person, decided once under a unique key, and later put in
an email (an outbox row) by bundling."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Notice
from improveflow.stores.tables import insert_or_ignore, table_of

_NOTICE = table_of(Notice)


@dataclass(frozen=True)
class PendingNotice:
    """A due notice not yet in an email."""

    id: int
    kind: str
    person_id: int
    action_id: int | None
    request_id: int | None
    data: dict[str, Any]


def add_notice(session: Session, values: dict[str, object]) -> int | None:
    """Record a notice (the Notice columns in `values`) unless its key exists; its id or None."""
    return insert_or_ignore(session, _NOTICE, values, _NOTICE.c.id)


_DUE_NOTICES = (
    sa.select(
        _NOTICE.c.id,
        _NOTICE.c.kind,
        _NOTICE.c.person_id,
        _NOTICE.c.action_id,
        _NOTICE.c.request_id,
        _NOTICE.c.data,
    )
    .where(_NOTICE.c.outbox_id.is_(None), _NOTICE.c.due_at <= sa.bindparam("now"))
    .order_by(_NOTICE.c.person_id, _NOTICE.c.id)
    .limit(sa.bindparam("limit"))
)
_DUE_NOTICES_LOCKED = _DUE_NOTICES.with_for_update(skip_locked=True)


def due_notices(connection: sa.Connection, now: datetime, limit: int) -> list[PendingNotice]:
    """Up to `limit` notices due by `now` and in no email yet, by person; on PostgreSQL locked
    for the transaction, passing over those another bundler holds."""
    locked = connection.dialect.name == "postgresql"
    query = _DUE_NOTICES_LOCKED if locked else _DUE_NOTICES
    return [PendingNotice(*row) for row in connection.execute(query, {"now": now, "limit": limit})]


def put_in_email(connection: sa.Connection, notice_ids: Collection[int], outbox_id: int) -> None:
    """Record that the notices `notice_ids` go in the outbox row `outbox_id`."""
    connection.execute(
        sa.update(_NOTICE).where(_NOTICE.c.id.in_(sorted(notice_ids))).values(outbox_id=outbox_id)
    )
