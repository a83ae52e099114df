"""The sweep's escalation ladder: levels reached by lateness or a red RAG, and actions quiet
for too long, each raised once and told to whom its level names, in the role each holds.

An action without news for a while is recorded like a level below the ladder (the dashboard
counts it), but it is told as what it is, a no-progress notice: never an escalation, never a
slip, never a level. The sweep runs this rule only in working hours of a working day of the
workflow's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

from improveflow.models import Role
from improveflow.reminders import STALLED_LEVEL, ReachedLevel
from improveflow.reminders.escalation_ladder import levels_below, not_yet_raised
from improveflow.services import escalations, notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import sweep as sweep_store
from improveflow.stores.sweep import Rung
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

__all__ = ["BODY", "raise_due"]

BODY = "body"  # the audience of a notice told to a body's members


@dataclass(frozen=True)
class _Recipient:
    """Someone a level tells, and as what: the owner, a body's member, a lead or an admin."""

    person_id: int
    audience: str
    body: str | None = None

    def data(self) -> dict[str, object]:
        return {"audience": self.audience, "body": self.body}


def raise_due(sweep: WorkflowPass) -> None:
    """Raise every level reached now, and every no-progress notice, that is not open yet."""
    planner, now, session, scope = sweep.planner, sweep.now, sweep.session, sweep.scope
    for level, threshold in planner.overdue_thresholds(now):
        below = levels_below(level.level)
        _raise_all(sweep, sweep_store.late_below(session, scope, below, threshold))
    for level in planner.rag_levels():
        assert level.on_rag is not None  # the levels a RAG rating reaches
        below = levels_below(level.level)
        _raise_all(sweep, sweep_store.rated_below(session, scope, level.on_rag, below))
    if planner.escalation.levels:
        _raise_all(sweep, sweep_store.unheard_since(session, scope, planner.stalled_since(now)))


def _raise_all(sweep: WorkflowPass, rows: list[Rung]) -> None:
    for row in rows:
        reached = sweep.planner.levels_reached(
            target=row.target_date, rag=row.rag, heard_from_at=row.heard_from_at, now=sweep.now
        )
        for level in not_yet_raised(reached, row.escalation_level):
            escalation_id = escalations.raise_level(
                sweep.session,
                action_id=row.id,
                level=level.level,
                reason=level.reason,
                target_date=row.target_date,
                now=sweep.now,
            )
            if escalation_id is None:
                continue
            if level.level == STALLED_LEVEL:
                _tell_no_progress(sweep, row, level, escalation_id)
            else:
                sweep.report.escalations_raised += 1
                _tell_escalation(sweep, row, level, escalation_id)
        sweep.settle()  # the action's levels are raised with everyone they tell


def _tell_escalation(
    sweep: WorkflowPass, row: Rung, reached: ReachedLevel, escalation_id: int
) -> None:
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


def _tell_no_progress(
    sweep: WorkflowPass, row: Rung, reached: ReachedLevel, escalation_id: int
) -> None:
    heard_from_at = row.heard_from_at
    assert heard_from_at is not None  # stalling is reached only from a time heard from
    quiet = sweep.now - heard_from_at
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
            data={"heard_from_at": heard_from_at.isoformat(), **recipient.data()},
            due_at=sweep.send_at,
        )


def _recipients(sweep: WorkflowPass, notify: tuple[str, ...], row: Rung) -> list[_Recipient]:
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
