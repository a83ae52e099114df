"""Raising and closing escalations, inside the caller's transaction.

An escalation is a level an action has reached. It stays open until the action is complete,
deferred or given a new approved target date (a 'stalled' one also closes when the owner
gives news), and `action.escalation_level` mirrors the highest open level so the sweep's
queries skip actions already raised.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import audit
from improveflow.models import Action, Escalation
from improveflow.reminders import ONLY_STALLED, STALLED, STALLED_LEVEL
from improveflow.store import insert_or_ignore, table_of

_ACTION = table_of(Action)
_ESCALATION = table_of(Escalation)


def raise_level(
    session: Session,
    *,
    action_id: int,
    level: int,
    reason: str,
    target_date: date | None,
    now: datetime,
) -> int | None:
    """Open an escalation at `level`; None when that level is already open for the action."""
    values = {
        "action_id": action_id,
        "level": level,
        "reason": reason,
        "target_date": target_date,
        "raised_at": now,
    }
    escalation_id = insert_or_ignore(session, _ESCALATION, values, _ESCALATION.c.id)
    if escalation_id is None:
        return None
    mirrored = ONLY_STALLED if level == STALLED_LEVEL else level
    session.connection().execute(
        sa.update(_ACTION)
        .where(_ACTION.c.id == action_id, _ACTION.c.escalation_level < max(mirrored, 1))
        .values(
            escalation_level=sa.case(
                (_ACTION.c.escalation_level < mirrored, mirrored), else_=_ACTION.c.escalation_level
            )
        )
    )
    audit.append(
        session,
        at=now,
        event="escalated",
        action_id=action_id,
        data={"escalation_id": escalation_id, "level": level, "reason": reason},
    )
    return escalation_id


def close_all(session: Session, action_id: int, now: datetime, why: str) -> int:
    """Close every open escalation of the action (complete, deferred or a new target date)."""
    closed = _close(session, action_id, now, why, only_reason=None)
    if closed:
        session.connection().execute(
            sa.update(_ACTION).where(_ACTION.c.id == action_id).values(escalation_level=0)
        )
    return closed


def close_stalled(session: Session, action_id: int, now: datetime) -> int:
    """The owner gave news: a 'stalled' escalation is answered."""
    closed = _close(session, action_id, now, "progress recorded", only_reason=STALLED)
    if closed:
        _recompute_level(session, action_id)
    return closed


def heard_from(session: Session, action_id: int, now: datetime) -> None:
    """The owner (or an import) gave news of the action now."""
    session.connection().execute(
        sa.update(_ACTION)
        .where(_ACTION.c.id == action_id)
        .values(heard_from_at=now, quiet_since=now)
    )
    close_stalled(session, action_id, now)


def _close(
    session: Session, action_id: int, now: datetime, why: str, only_reason: str | None
) -> int:
    condition = sa.and_(_ESCALATION.c.action_id == action_id, _ESCALATION.c.closed_at.is_(None))
    if only_reason is not None:
        condition = sa.and_(condition, _ESCALATION.c.reason == only_reason)
    rows = (
        session.connection()
        .execute(
            sa.update(_ESCALATION)
            .where(condition)
            .values(closed_at=now, close_reason=why)
            .returning(_ESCALATION.c.id, _ESCALATION.c.level)
        )
        .all()
    )
    for escalation_id, level in rows:
        audit.append(
            session,
            at=now,
            event="escalation_closed",
            action_id=action_id,
            comment=why,
            data={"escalation_id": escalation_id, "level": level},
        )
    return len(rows)


def _recompute_level(session: Session, action_id: int) -> None:
    top = sa.func.max(_ESCALATION.c.level)
    highest = (
        sa.select(sa.case((top.is_(None), 0), (top == STALLED_LEVEL, ONLY_STALLED), else_=top))
        .where(_ESCALATION.c.action_id == action_id, _ESCALATION.c.closed_at.is_(None))
        .scalar_subquery()
    )
    session.connection().execute(
        sa.update(_ACTION).where(_ACTION.c.id == action_id).values(escalation_level=highest)
    )
