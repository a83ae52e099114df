"""Notices: one thing to tell one person, decided once under a unique key, and later put in
an email (an outbox row) by bundling."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from improveflow.models import Action, Membership, Notice, Plan
from improveflow.stores.people import people_of
from improveflow.stores.tables import insert_or_ignore, table_of

_NOTICE = table_of(Notice)
_MEMBERSHIP = table_of(Membership)
_ACTION = table_of(Action)
_PLAN = table_of(Plan)


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


def _for_members_statement(dialect: str) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    kind = sa.bindparam("kind", type_=sa.String)
    action_id = sa.bindparam("action_id", type_=sa.Integer)
    request_id = sa.bindparam("request_id", type_=sa.Integer)
    organisation = (
        sa.select(_PLAN.c.organisation)
        .select_from(_ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id))
        .where(_ACTION.c.id == action_id)
        .scalar_subquery()
    )
    return (
        insert(_NOTICE)
        .from_select(
            [
                "idempotency_key",
                "kind",
                "person_id",
                "action_id",
                "request_id",
                "data",
                "due_at",
                "created_at",
            ],
            sa.select(
                kind
                + sa.literal(":")
                + sa.cast(request_id, sa.String)
                + sa.literal(":")
                + sa.cast(_MEMBERSHIP.c.person_id, sa.String),
                kind,
                _MEMBERSHIP.c.person_id,
                action_id,
                request_id,
                sa.literal({}, type_=_NOTICE.c.data.type),
                sa.bindparam("due_at", type_=_NOTICE.c.due_at.type),
                sa.bindparam("created_at", type_=_NOTICE.c.created_at.type),
            ).where(
                _MEMBERSHIP.c.body == sa.bindparam("body"),
                _MEMBERSHIP.c.person_id != sa.bindparam("requester_id", type_=sa.Integer),
                # Members of the body in the plan's council (or of none): never another's.
                people_of(organisation, _MEMBERSHIP.c.person_id),
            ),
        )
        .on_conflict_do_nothing()
    )


_FOR_MEMBERS = {name: _for_members_statement(name) for name in ("sqlite", "postgresql")}


def add_for_members(
    session: Session,
    *,
    kind: str,
    body: str,
    request_id: int,
    action_id: int,
    requester_id: int,
    now: datetime,
) -> None:
    """A `kind` notice about the request for every member of `body` but the requester who
    belongs with the action's plan (`people.people_of`), in one statement; each keyed
    "kind:request:person", so a member already told is not told again."""
    connection = session.connection()
    connection.execute(
        _FOR_MEMBERS[connection.dialect.name],
        {
            "kind": kind,
            "body": body,
            "request_id": request_id,
            "action_id": action_id,
            "requester_id": requester_id,
            "due_at": now,
            "created_at": now,
        },
    )


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
