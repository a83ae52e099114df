"""Escalation records: opened once per level (a unique open level per action) and closed when
the action is put right; with the action's `escalation_level`, which mirrors the highest open
level so the sweep's reads skip actions already raised.

Which level to open, what to mirror and why one closes are the services' decisions. Listing
escalations with their actions is a read model (`stores.listings.escalations`).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, Escalation
from improveflow.stores.tables import insert_or_ignore, table_of

_ACTION = table_of(Action)
_ESCALATION = table_of(Escalation)


def open_escalation(
    session: Session,
    *,
    action_id: int,
    level: int,
    reason: str,
    target_date: date | None,
    raised_at: datetime,
) -> int | None:
    """Record an open escalation at `level`; its id, or None when that level is open already."""
    values = {
        "action_id": action_id,
        "level": level,
        "reason": reason,
        "target_date": target_date,
        "raised_at": raised_at,
    }
    return insert_or_ignore(session, _ESCALATION, values, _ESCALATION.c.id)


_MIRROR = sa.bindparam("mirrored", type_=sa.Integer)
_RAISE_MIRROR = (
    sa.update(_ACTION)
    .where(
        _ACTION.c.id == sa.bindparam("action_id"),
        _ACTION.c.escalation_level < sa.bindparam("below", type_=sa.Integer),
    )
    .values(
        # 0 (nothing open) gives way to any level, the 'stalled' mirror (-1) included, which as
        # a number sorts below it; otherwise only a higher level replaces the one mirrored.
        escalation_level=sa.case(
            (
                sa.or_(_ACTION.c.escalation_level == 0, _ACTION.c.escalation_level < _MIRROR),
                _MIRROR,
            ),
            else_=_ACTION.c.escalation_level,
        )
    )
)


def raise_mirror(session: Session, action_id: int, mirrored: int, *, below: int) -> None:
    """Mirror `mirrored` on an action whose `escalation_level` is under `below`, unless it
    mirrors a higher level already."""
    session.connection().execute(
        _RAISE_MIRROR, {"action_id": action_id, "mirrored": mirrored, "below": below}
    )


_SET_MIRROR = (
    sa.update(_ACTION)
    .where(_ACTION.c.id == sa.bindparam("action_id"))
    .values(escalation_level=sa.bindparam("mirrored", type_=sa.Integer))
)


def set_mirror(session: Session, action_id: int, mirrored: int) -> None:
    """Mirror `mirrored` on the action, whatever it mirrored before (0: nothing open)."""
    session.connection().execute(_SET_MIRROR, {"action_id": action_id, "mirrored": mirrored})


def mirror_highest_open(
    session: Session, action_id: int, *, stalled_level: int, only_stalled: int
) -> None:
    """Mirror the action's highest open level: 0 when none is open, `only_stalled` when the
    only open level is `stalled_level`."""
    top = sa.func.max(_ESCALATION.c.level)
    highest = (
        sa.select(sa.case((top.is_(None), 0), (top == stalled_level, only_stalled), else_=top))
        .where(_ESCALATION.c.action_id == action_id, _ESCALATION.c.closed_at.is_(None))
        .scalar_subquery()
    )
    session.connection().execute(
        sa.update(_ACTION).where(_ACTION.c.id == action_id).values(escalation_level=highest)
    )


def close_open(
    session: Session, action_id: int, now: datetime, why: str, *, reason: str | None = None
) -> list[tuple[int, int]]:
    """Close the action's open escalations (only those raised for `reason`, when given);
    the id and level of each one closed."""
    condition = sa.and_(_ESCALATION.c.action_id == action_id, _ESCALATION.c.closed_at.is_(None))
    if reason is not None:
        condition = sa.and_(condition, _ESCALATION.c.reason == reason)
    rows = session.connection().execute(
        sa.update(_ESCALATION)
        .where(condition)
        .values(closed_at=now, close_reason=why)
        .returning(_ESCALATION.c.id, _ESCALATION.c.level)
    )
    return [(int(escalation_id), int(level)) for escalation_id, level in rows]


_HEARD_FROM = (
    sa.update(_ACTION)
    .where(_ACTION.c.id == sa.bindparam("action_id"))
    .values(
        heard_from_at=sa.bindparam("now", type_=_ACTION.c.heard_from_at.type),
        quiet_since=sa.bindparam("now", type_=_ACTION.c.quiet_since.type),
    )
)


def mark_heard_from(session: Session, action_id: int, now: datetime) -> None:
    """The action's owner (or an import) gave news at `now`: its silence starts again."""
    session.connection().execute(_HEARD_FROM, {"action_id": action_id, "now": now})
