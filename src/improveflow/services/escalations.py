"""Raising and closing escalations, inside the caller's transaction.

An escalation is a level an action has reached. It stays open until the action is complete,
deferred or given a new approved target date (a 'stalled' one also closes when the owner
gives news), and `action.escalation_level` mirrors the highest open level so the sweep's
queries skip actions already raised.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit
from improveflow import audit_events as recorded
from improveflow.reminders import ONLY_STALLED, STALLED, STALLED_LEVEL
from improveflow.stores import escalations as records


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
    escalation_id = records.open_escalation(
        session,
        action_id=action_id,
        level=level,
        reason=reason,
        target_date=target_date,
        raised_at=now,
    )
    if escalation_id is None:
        return None
    mirrored = ONLY_STALLED if level == STALLED_LEVEL else level
    records.raise_mirror(session, action_id, mirrored, below=max(mirrored, 1))
    raised = recorded.EscalationRaised(
        action_id=action_id,
        escalation_id=escalation_id,
        level=level,
        reason=recorded.EscalationCause(reason),
    )
    audit.record(session, raised, at=now)
    return escalation_id


def close_all(session: Session, action_id: int, now: datetime, why: str) -> int:
    """Close every open escalation of the action (complete, deferred or a new target date)."""
    closed = _close(session, action_id, now, why, only_reason=None)
    if closed:
        records.set_mirror(session, action_id, 0)
    return closed


def close_stalled(session: Session, action_id: int, now: datetime) -> int:
    """The owner gave news: a 'stalled' escalation is answered."""
    closed = _close(session, action_id, now, "progress recorded", only_reason=STALLED)
    if closed:
        records.mirror_highest_open(
            session, action_id, stalled_level=STALLED_LEVEL, only_stalled=ONLY_STALLED
        )
    return closed


def heard_from(session: Session, action_id: int, now: datetime) -> None:
    """The owner (or an import) gave news of the action now."""
    records.mark_heard_from(session, action_id, now)
    close_stalled(session, action_id, now)


def _close(
    session: Session, action_id: int, now: datetime, why: str, only_reason: str | None
) -> int:
    closed = records.close_open(session, action_id, now, why, reason=only_reason)
    for escalation_id, level in closed:
        closing = recorded.EscalationClosed(
            action_id=action_id, escalation_id=escalation_id, level=level, why=why
        )
        audit.record(session, closing, at=now)
    return len(closed)
