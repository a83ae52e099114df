"""Notices: one thing to tell one person, decided once, bundled into emails later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Membership, Notice
from improveflow.store import insert_or_ignore, table_of

_NOTICE = table_of(Notice)
_MEMBERSHIP = table_of(Membership)

REMINDER = "reminder"
PROGRESS_PROMPT = "progress_prompt"
ESCALATION = "escalation"
APPROVAL_NEEDED = "approval_needed"
APPROVAL_REMINDER = "approval_reminder"
APPROVAL_CHASE = "approval_chase"
DECISION = "decision"

# Kinds merged into one email per person (a digest); the others get an email each.
BUNDLED_KINDS = (REMINDER, PROGRESS_PROMPT, ESCALATION)


def add(
    session: Session,
    *,
    key: str,
    kind: str,
    person_id: int,
    due_at: datetime,
    now: datetime,
    action_id: int | None = None,
    request_id: int | None = None,
    escalation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int | None:
    """Record a notice unless one with the same key exists; its id, or None if not new."""
    return insert_or_ignore(
        session,
        _NOTICE,
        {
            "idempotency_key": key,
            "kind": kind,
            "person_id": person_id,
            "action_id": action_id,
            "request_id": request_id,
            "escalation_id": escalation_id,
            "data": data or {},
            "due_at": due_at,
            "created_at": now,
        },
        _NOTICE.c.id,
    )


_TELL_MEMBERS = sa.insert(_NOTICE).from_select(
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
        sa.literal(f"{APPROVAL_NEEDED}:")
        + sa.cast(sa.bindparam("request_id", type_=sa.Integer), sa.String)
        + sa.literal(":")
        + sa.cast(_MEMBERSHIP.c.person_id, sa.String),
        sa.literal(APPROVAL_NEEDED),
        _MEMBERSHIP.c.person_id,
        sa.bindparam("action_id", type_=sa.Integer),
        sa.bindparam("request_id", type_=sa.Integer),
        sa.literal({}, type_=_NOTICE.c.data.type),
        sa.bindparam("due_at", type_=_NOTICE.c.due_at.type),
        sa.bindparam("created_at", type_=_NOTICE.c.created_at.type),
    ).where(
        _MEMBERSHIP.c.body == sa.bindparam("body"),
        _MEMBERSHIP.c.person_id != sa.bindparam("requester_id", type_=sa.Integer),
    ),
)


def tell_members(
    session: Session,
    *,
    body: str,
    request_id: int,
    action_id: int,
    requester_id: int,
    now: datetime,
) -> None:
    """An approval_needed notice for every member of `body` but the requester, in one statement."""
    session.connection().execute(
        _TELL_MEMBERS,
        {
            "body": body,
            "request_id": request_id,
            "action_id": action_id,
            "requester_id": requester_id,
            "due_at": now,
            "created_at": now,
        },
    )
