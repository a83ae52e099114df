"""The chart of actions by state over time: per plan, kept up to date from the audit log.

The log is append-only and numbered, so each plan's daily changes are kept in memory and only
events newer than the last ones read are fetched.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from improveflow.audit_events import EventKind
from improveflow.calendar import as_london
from improveflow.stores import dashboards


@dataclass
class _PlanHistory:
    seq: int = 0  # audit events up to here are counted
    deltas: dict[date, Counter[str]] = field(default_factory=dict)


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
        head = dashboards.audit_seq(session)
        with self._lock:
            known = self._plans.setdefault(plan_id, _PlanHistory())
            if head > known.seq:
                # Each change comes by the UTC hour; a London day is a run of whole UTC hours.
                for change in dashboards.state_changes(session, plan_id, known.seq, head):
                    delta = known.deltas.setdefault(as_london(change.hour).date(), Counter())
                    if change.event is EventKind.TRANSITION_APPLIED and change.from_state:
                        delta[change.from_state] -= change.actions
                    if change.to_state:
                        delta[change.to_state] += change.actions
                known.seq = head
            running: Counter[str] = Counter()
            series = []
            for day in sorted(known.deltas):
                running.update(known.deltas[day])
                series.append((day, {state: n for state, n in running.items() if n}))
            return series
