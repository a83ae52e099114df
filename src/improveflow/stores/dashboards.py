"""A plan's dashboard: its counts, its most escalated actions, and the changes behind its chart.

Counts are aggregated in SQL in one pass over the plan's entries in ix_action_plan_counts. The
chart of actions by state over time is built from the audit log, which is append-only and
numbered, so its reader asks only for the state changes between two sequence numbers, grouped
by hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.audit_events.kinds import EventKind
from improveflow.models import Action, AuditEvent, AuditHead, Escalation, Person
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL
from improveflow.stores.tables import table_of

_action = table_of(Action)
_person = table_of(Person)
_escalation = table_of(Escalation)
_audit = table_of(AuditEvent)
_head = table_of(AuditHead)

_COUNTS = (
    sa.select(_action.c.state, _action.c.rag, _action.c.escalation_level, sa.func.count())
    .where(_action.c.plan_id == sa.bindparam("plan_id"))
    .group_by(_action.c.escalation_level, _action.c.state, _action.c.rag)
)


def plan_counts(session: Session, plan_id: int) -> list[tuple[str, str | None, int, int]]:
    """(state, RAG, escalation level, number of actions) for each combination in the plan.

    The level is Action.escalation_level as stored: -1 when only 'stalled' is open.
    """
    rows = session.connection().execute(_COUNTS, {"plan_id": plan_id})
    return [(row[0], row[1], row[2], row[3]) for row in rows]


@dataclass(frozen=True)
class EscalatedAction:
    """An action at its highest open escalation, with that escalation."""

    action_id: int
    description: str
    owner: str | None
    level: int  # STALLED_LEVEL when only 'stalled' is open
    reason: str
    target_date: date | None  # the date it slipped against
    raised_at: datetime


_LEVEL = sa.case((_action.c.escalation_level == ONLY_STALLED, STALLED_LEVEL),
                 else_=_action.c.escalation_level)  # fmt: skip
_TOP = _escalation.alias("top")
_MOST_ESCALATED = (
    sa.select(
        _action.c.id,
        _action.c.description,
        _person.c.name,
        _LEVEL,
        _TOP.c.reason,
        _TOP.c.target_date,
        _TOP.c.raised_at,
    )
    .select_from(
        _action.join(
            _TOP,
            (_TOP.c.action_id == _action.c.id)
            & (_TOP.c.level == _LEVEL)
            & _TOP.c.closed_at.is_(None),
        ).outerjoin(_person, _person.c.id == _action.c.owner_id)
    )
    # Two ranges of ix_action_plan_counts, read highest level first.
    .where(
        _action.c.plan_id == sa.bindparam("plan_id"),
        sa.or_(_action.c.escalation_level > 0, _action.c.escalation_level < 0),
    )
    .order_by(_action.c.escalation_level.desc(), _TOP.c.target_date, _TOP.c.raised_at)
    .limit(sa.bindparam("shown"))
)


def most_escalated(session: Session, plan_id: int, shown: int) -> list[EscalatedAction]:
    """The `shown` most escalated actions of the plan, each once, at its highest open level.

    Action.escalation_level mirrors that level (-1 when only 'stalled' is open), so this reads
    the escalation rows of those few actions only.
    """
    rows = session.connection().execute(_MOST_ESCALATED, {"plan_id": plan_id, "shown": shown})
    return [EscalatedAction(*row) for row in rows]


# The chart's state changes ----------------------------------------------------------------------

# Audit events that move an action into a state (and, for transitions, out of one).
_STATE_EVENTS = tuple(
    kind.value
    for kind in (EventKind.ACTION_CREATED, EventKind.ACTION_IMPORTED, EventKind.TRANSITION_APPLIED)
)
_AUDIT_SEQ = sa.select(_head.c.seq).where(_head.c.id == 1)


def audit_seq(session: Session) -> int:
    """The number of the newest audit event: every event up to it is committed and readable."""
    return int(session.connection().execute(_AUDIT_SEQ).scalar_one())


# Grouped by hour in SQL, so a plan's whole history arrives as a few rows per day. Moments are
# stored in UTC and a London day is a run of whole UTC hours in either season, so the reader
# can put each hour on its London day (SQLite knows no time zones).
def _state_changes(hour: sa.ColumnElement[Any]) -> sa.Select[Any]:
    return (
        sa.select(hour, _audit.c.event, _audit.c.from_state, _audit.c.to_state, sa.func.count())
        .select_from(_audit.join(_action, _action.c.id == _audit.c.action_id))
        .where(
            _audit.c.seq > sa.bindparam("after"),
            _audit.c.seq <= sa.bindparam("upto"),
            _audit.c.event.in_(_STATE_EVENTS),
            _action.c.plan_id == sa.bindparam("plan_id"),
        )
        .group_by(hour, _audit.c.event, _audit.c.from_state, _audit.c.to_state)
    )


_STATE_CHANGES = {
    "postgresql": _state_changes(sa.func.date_trunc("hour", sa.func.timezone("UTC", _audit.c.at))),
    "sqlite": _state_changes(sa.func.strftime("%Y-%m-%d %H:00:00", _audit.c.at)),
}


@dataclass(frozen=True)
class StateChanges:
    """How many actions of a plan an event moved within one hour."""

    hour: datetime  # its start, in UTC
    event: EventKind  # the action created, imported, or moved by a transition
    from_state: str | None
    to_state: str | None
    actions: int


def state_changes(session: Session, plan_id: int, after: int, upto: int) -> list[StateChanges]:
    """The plan's actions' state changes in audit events after `after` up to `upto`, by hour."""
    connection = session.connection()
    rows = connection.execute(
        _STATE_CHANGES[connection.dialect.name],
        {"after": after, "upto": upto, "plan_id": plan_id},
    )
    return [
        StateChanges(_utc_hour(row[0]), EventKind(row[1]), row[2], row[3], row[4]) for row in rows
    ]


def _utc_hour(hour: datetime | str) -> datetime:
    moment = hour if isinstance(hour, datetime) else datetime.fromisoformat(hour)
    return moment.replace(tzinfo=UTC)
