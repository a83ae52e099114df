"""The chart of actions by state over time: per plan, kept up to date from the audit log.

The log is append-only and numbered, so each plan's daily changes are kept in memory and only
events newer than the last ones read are fetched.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.calendar import as_london
from improveflow.models import Action, AuditEvent, AuditHead
from improveflow.store import table_of

_ACTION = table_of(Action)
_AUDIT = table_of(AuditEvent)
_HEAD = table_of(AuditHead)

# Audit events that move an action into a state (and, for transitions, out of one).
_STATE_EVENTS = ("action_created", "imported", "transition")


@dataclass
class _PlanHistory:
    seq: int = 0  # audit events up to here are counted
    deltas: dict[date, Counter[str]] = field(default_factory=dict)


# Grouped by hour in SQL, so a plan's whole history arrives as a few rows per day. Moments are
# stored in UTC and a London day is a run of whole UTC hours in either season, so each hour
# is then put on its London day here (SQLite knows no time zones).
def _state_changes(hour: sa.ColumnElement[Any]) -> sa.Select[Any]:
    return (
        sa.select(hour, _AUDIT.c.event, _AUDIT.c.from_state, _AUDIT.c.to_state, sa.func.count())
        .select_from(_AUDIT.join(_ACTION, _ACTION.c.id == _AUDIT.c.action_id))
        .where(
            _AUDIT.c.seq > sa.bindparam("after"),
            _AUDIT.c.seq <= sa.bindparam("upto"),
            _AUDIT.c.event.in_(_STATE_EVENTS),
            _ACTION.c.plan_id == sa.bindparam("plan_id"),
        )
        .group_by(hour, _AUDIT.c.event, _AUDIT.c.from_state, _AUDIT.c.to_state)
    )


_STATE_CHANGES = {
    "postgresql": _state_changes(sa.func.date_trunc("hour", sa.func.timezone("UTC", _AUDIT.c.at))),
    "sqlite": _state_changes(sa.func.strftime("%Y-%m-%d %H:00:00", _AUDIT.c.at)),
}


def _london_day(utc_hour: datetime | str) -> date:
    moment = utc_hour if isinstance(utc_hour, datetime) else datetime.fromisoformat(utc_hour)
    return as_london(moment.replace(tzinfo=UTC)).date()


class StateHistory:
    """Actions by state at the end of each day, per plan, from the audit log.

    The log is append-only and numbered, so each plan's daily changes are kept in memory and
    only events newer than the last ones read are fetched: the first look at a plan reads its
    history once, later looks read what happened since.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[int, _PlanHistory] = {}

    def series(self, session: Session, plan_id: int) -> list[tuple[date, dict[str, int]]]:
        connection = session.connection()
        head = int(connection.execute(sa.select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar_one())
        with self._lock:
            known = self._plans.setdefault(plan_id, _PlanHistory())
            if head > known.seq:
                changes = connection.execute(
                    _STATE_CHANGES[connection.dialect.name],
                    {"after": known.seq, "upto": head, "plan_id": plan_id},
                )
                for hour, event, from_state, to_state, n in changes:
                    delta = known.deltas.setdefault(_london_day(hour), Counter())
                    if event == "transition" and from_state:
                        delta[from_state] -= n
                    if to_state:
                        delta[to_state] += n
                known.seq = head
            running: Counter[str] = Counter()
            series = []
            for day in sorted(known.deltas):
                running.update(known.deltas[day])
                series.append((day, {state: n for state, n in running.items() if n}))
            return series
