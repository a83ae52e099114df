"""The sweep's escalation step: levels reached by lateness or a red RAG, and actions quiet for
too long, each raised once and told to whom its level names, in the role each holds.

An action without news for a while is recorded like a level below the ladder (the dashboard
counts it), but it is told as what it is, a no-progress notice: never an escalation, never a
slip, never a level. The sweep runs this step only in working hours of a working day of the
workflow's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, Role
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL, ReachedLevel, SweepPlanner
from improveflow.services import escalations, notices
from improveflow.store import table_of
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

__all__ = ["BODY", "raise_due"]

BODY = "body"  # the audience of a notice told to a body's members
_ACTION = table_of(Action)


class _Report(Protocol):
    escalations_raised: int


class _Sweep(Protocol):
    """What this step uses of the sweep it runs in."""

    session: Session
    planner: SweepPlanner
    now: datetime
    send_at: datetime

    @property
    def report(self) -> _Report: ...

    def pages(self, condition: sa.ColumnElement[bool]) -> list[Any]: ...

    def people(self, group: str, organisation: str | None) -> list[int]: ...

    def notice(
        self,
        kind: str,
        key: str,
        person_id: int,
        why: str,
        *,
        due_at: datetime,
        action_id: int | None = None,
        escalation_id: int | None = None,
        data: dict[str, object] | None = None,
    ) -> bool: ...


@dataclass(frozen=True)
class _Recipient:
    """Someone a level tells, and as what: the owner, a body's member, a lead or an admin."""

    person_id: int
    audience: str
    body: str | None = None

    def data(self) -> dict[str, object]:
        return {"audience": self.audience, "body": self.body}


def raise_due(sweep: _Sweep) -> None:
    """Raise every level reached now, and every no-progress notice, that is not open yet."""
    planner, now = sweep.planner, sweep.now
    for level, threshold in planner.overdue_thresholds(now):
        lower = list(range(ONLY_STALLED, level.level))
        condition = sa.and_(
            _ACTION.c.escalation_level.in_(lower), _ACTION.c.target_date <= threshold
        )
        _raise_all(sweep, condition)
    for level in planner.rag_levels():
        condition = sa.and_(
            _ACTION.c.rag == level.on_rag,
            _ACTION.c.escalation_level.in_(list(range(ONLY_STALLED, level.level))),
        )
        _raise_all(sweep, condition)
    if planner.workflow.escalation.levels:
        condition = sa.and_(
            _ACTION.c.escalation_level == 0,
            _ACTION.c.heard_from_at <= planner.stalled_since(now),
        )
        _raise_all(sweep, condition)


def _raise_all(sweep: _Sweep, condition: sa.ColumnElement[bool]) -> None:
    for row in sweep.pages(condition):
        for reached in sweep.planner.levels_reached(
            target=row.target_date, rag=row.rag, heard_from_at=row.heard_from_at, now=sweep.now
        ):
            if reached.level != STALLED_LEVEL and reached.level <= row.escalation_level:
                continue
            if reached.level == STALLED_LEVEL and row.escalation_level != 0:
                continue
            escalation_id = escalations.raise_level(
                sweep.session,
                action_id=row.id,
                level=reached.level,
                reason=reached.reason,
                target_date=row.target_date,
                now=sweep.now,
            )
            if escalation_id is None:
                continue
            if reached.level == STALLED_LEVEL:
                _tell_no_progress(sweep, row, reached, escalation_id)
            else:
                sweep.report.escalations_raised += 1
                _tell_escalation(sweep, row, reached, escalation_id)


def _tell_escalation(sweep: _Sweep, row: Any, reached: ReachedLevel, escalation_id: int) -> None:
    overdue = (
        sweep.planner.working_days_overdue(row.target_date, sweep.now) if row.target_date else 0
    )
    why = f"level {reached.level} ({reached.reason.replace('_', ' ')}"
    why += f", {overdue} working days overdue)" if overdue else ")"
    for recipient in _recipients(sweep, reached.notify, row):
        sweep.notice(
            notices.ESCALATION,
            f"escalation:{escalation_id}:{recipient.person_id}",
            recipient.person_id,
            why,
            action_id=row.id,
            escalation_id=escalation_id,
            data={"level": reached.level, "reason": reached.reason, **recipient.data()},
            due_at=sweep.send_at,
        )


def _tell_no_progress(sweep: _Sweep, row: Any, reached: ReachedLevel, escalation_id: int) -> None:
    quiet = sweep.now - row.heard_from_at
    why = "no progress update for " + (
        f"{quiet.days // 7} weeks" if quiet.days >= 14 else f"{quiet.days} days"
    )
    for recipient in _recipients(sweep, reached.notify, row):
        sweep.notice(
            notices.NO_PROGRESS,
            f"no_progress:{escalation_id}:{recipient.person_id}",
            recipient.person_id,
            why,
            action_id=row.id,
            escalation_id=escalation_id,
            data={"heard_from_at": row.heard_from_at.isoformat(), **recipient.data()},
            due_at=sweep.send_at,
        )


def _recipients(sweep: _Sweep, notify: tuple[str, ...], row: Any) -> list[_Recipient]:
    """Who `notify` names for the action `row`, each once, as the first of its entries that
    names them: leads, administrators and members are those of the plan's council."""
    chosen: dict[int, _Recipient] = {}
    for who in notify:
        if who == OWNER:
            if row.owner_id is not None:
                chosen.setdefault(row.owner_id, _Recipient(row.owner_id, OWNER))
        elif who in (LEAD, ADMIN):
            role = Role.PEER_CHALLENGE_LEAD if who == LEAD else Role.ADMIN
            for person_id in sweep.people(f"role:{role}", row.organisation):
                chosen.setdefault(person_id, _Recipient(person_id, who))
        else:
            for person_id in sweep.people(f"body:{who}", row.organisation):
                chosen.setdefault(person_id, _Recipient(person_id, BODY, who))
    return list(chosen.values())
