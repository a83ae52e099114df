"""Replies by email, as stored: each message received, once by its Message-ID, and the email
a reply answered (its person, template and context, which name the actions it was about)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from improveflow.models import InboundReply, Outbox
from improveflow.stores.tables import table_of

_reply = table_of(InboundReply)
_outbox = table_of(Outbox)


def _keep_statement(dialect: str) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_reply)
        .values(
            message_id=sa.bindparam("message_id"),
            sender=sa.bindparam("sender"),
            person_id=sa.bindparam("person_id"),
            email_id=sa.bindparam("email_id"),
            action_id=sa.bindparam("action_id"),
            outcome=sa.bindparam("outcome"),
            reason=sa.bindparam("reason"),
            received_at=sa.bindparam("received_at", type_=_reply.c.received_at.type),
        )
        .on_conflict_do_nothing(index_elements=[_reply.c.message_id])
        .returning(_reply.c.id)
    )


_KEEP = {name: _keep_statement(name) for name in ("sqlite", "postgresql")}
_SEEN = sa.select(_reply.c.outcome).where(_reply.c.message_id == sa.bindparam("message_id"))
_REFUSED_SINCE = (
    sa.select(sa.func.count())
    .select_from(_reply)
    .where(
        _reply.c.person_id == sa.bindparam("person_id"),
        _reply.c.outcome == "refused",
        _reply.c.received_at >= sa.bindparam("since", type_=_reply.c.received_at.type),
    )
)
_EMAIL = sa.select(_outbox.c.id, _outbox.c.person_id, _outbox.c.template, _outbox.c.context).where(
    _outbox.c.id == sa.bindparam("id")
)


def keep(
    session: Session,
    *,
    message_id: str,
    sender: str,
    person_id: int | None,
    email_id: int | None,
    action_id: int | None,
    outcome: str,
    reason: str | None,
    now: datetime,
) -> bool:
    """Record a received message; False when its Message-ID was recorded before (the database
    settles a race between two workers)."""
    connection = session.connection()
    found = connection.execute(
        _KEEP[connection.dialect.name],
        {
            "message_id": message_id,
            "sender": sender[:320],
            "person_id": person_id,
            "email_id": email_id,
            "action_id": action_id,
            "outcome": outcome,
            "reason": reason,
            "received_at": now,
        },
    )
    return found.first() is not None


def outcome_of(session: Session, message_id: str) -> str | None:
    """What became of the message with this Message-ID, or None if it was never received."""
    found = session.connection().execute(_SEEN, {"message_id": message_id}).first()
    return None if found is None else str(found[0])


def refused_since(session: Session, person_id: int, since: datetime) -> int:
    """How many of the person's messages were refused since `since`."""
    found = (
        session.connection()
        .execute(_REFUSED_SINCE, {"person_id": person_id, "since": since})
        .scalar_one()
    )
    return int(found)


@dataclass(frozen=True)
class AnsweredEmail:
    """The email a reply answered: for whom it was, and what it said (its template's context)."""

    id: int
    person_id: int | None
    template: str
    context: dict[str, Any]


def answered_email(session: Session, email_id: int) -> AnsweredEmail | None:
    """Outbox row `email_id`, or None when there is none."""
    row = session.connection().execute(_EMAIL, {"id": email_id}).first()
    if row is None:
        return None
    return AnsweredEmail(id=row[0], person_id=row[1], template=row[2], context=dict(row[3]))
