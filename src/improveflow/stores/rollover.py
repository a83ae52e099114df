"""A plan rolled over to next year's: its unfinished actions read a page at a time, copied with
their outline and latest progress, and the links between the two years read back."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import (
    Action,
    ApprovalRequest,
    Objective,
    Person,
    Plan,
    ProgressUpdate,
    RequestStatus,
    Theme,
)
from improveflow.stores.tables import table_of

_ACTION = table_of(Action)
_OBJECTIVE = table_of(Objective)
_THEME = table_of(Theme)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)
_PROGRESS = table_of(ProgressUpdate)
_REQUEST = table_of(ApprovalRequest)

# What an action carried forward keeps of last year's: its place in the outline aside (mapped
# to next year's objective), its words, people, dates, measures and where it stands. Its date
# ledger is carried in its own columns; escalations, requests and public marks stay behind.
CARRIED_COLUMNS = (
    "reference",
    "description",
    "owner_id",
    "lead_text",
    "start_date",
    "target_date",
    "timescale_raw",
    "milestones",
    "recurrence",
    "measures",
    "priority",
    "status_text",
    "details",
    "body_hint",
    "needs_review",
    "source",
    "import_key",
    "state",
    "rag",
    "heard_from_at",
    "quiet_since",
)

_OPEN_PAGE = sa.select(
    _ACTION.c.id,
    _ACTION.c.objective_id,
    _ACTION.c.original_target_date,
    _ACTION.c.carried_first_target,
    _ACTION.c.carried_date_changes,
    *(_ACTION.c[name] for name in CARRIED_COLUMNS),
).order_by(_ACTION.c.id)


_SUCCESSOR = _ACTION.alias("successor")
# An action carried forward lives on in next year's plan: the one it continues is neither
# reminded, escalated nor listed as the owner's to do (the index on carried_from_id answers).
NOT_CARRIED_ON: sa.ColumnElement[bool] = ~(
    sa.select(_SUCCESSOR.c.id).where(_SUCCESSOR.c.carried_from_id == _ACTION.c.id).exists()
)


def open_action_ids(session: Session, plan_id: int, finished: Collection[str]) -> list[int]:
    """The ids of the plan's actions not in a `finished` state, in the plan's own order: theme,
    objective, then action (ids only: a plan of any size fits)."""
    query = (
        sa.select(_ACTION.c.id)
        .select_from(
            _ACTION.join(_OBJECTIVE, _OBJECTIVE.c.id == _ACTION.c.objective_id).join(
                _THEME, _THEME.c.id == _OBJECTIVE.c.theme_id
            )
        )
        .where(_ACTION.c.plan_id == plan_id, _ACTION.c.state.not_in(list(finished)))
        .order_by(
            _THEME.c.position, _THEME.c.id, _OBJECTIVE.c.position, _OBJECTIVE.c.id, _ACTION.c.id
        )
    )
    return list(session.connection().execute(query).scalars())


def actions_to_carry(session: Session, action_ids: Sequence[int]) -> list[sa.RowMapping]:
    """These actions as a roll-over copies them, in the order given."""
    found = {
        row["id"]: row
        for row in session.connection()
        .execute(_OPEN_PAGE.where(_ACTION.c.id.in_(action_ids)))
        .mappings()
    }
    return [found[action_id] for action_id in action_ids]


def count_finished(session: Session, plan_id: int, finished: Collection[str]) -> int:
    """How many of the plan's actions are in a `finished` state (they stay where they are)."""
    query = (
        sa.select(sa.func.count())
        .select_from(_ACTION)
        .where(_ACTION.c.plan_id == plan_id, _ACTION.c.state.in_(list(finished)))
    )
    return int(session.connection().execute(query).scalar_one())


def pending_requests(session: Session, plan_id: int, shown: int) -> tuple[int, list[int]]:
    """How many requests wait for a decision on the plan's actions, and the first few ids."""
    waiting = (
        sa.select(_REQUEST.c.id)
        .join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id)
        .where(_ACTION.c.plan_id == plan_id, _REQUEST.c.status == RequestStatus.PENDING)
    )
    connection = session.connection()
    count = connection.execute(sa.select(sa.func.count()).select_from(waiting.subquery()))
    first = connection.execute(waiting.order_by(_REQUEST.c.id).limit(shown)).scalars()
    return int(count.scalar_one()), [int(i) for i in first]


def claim_roll_over(
    session: Session, plan_id: int, to_plan_id: int, by_id: int, at: datetime
) -> bool:
    """Mark the plan rolled over to `to_plan_id`, unless it already is; whether it was marked.

    The condition is checked by the UPDATE itself, so of two roll-overs at once one wins and
    the other finds the plan taken (PostgreSQL re-reads the row once the first commits).
    """
    result = session.connection().execute(
        sa.update(_PLAN)
        .where(_PLAN.c.id == plan_id, _PLAN.c.rolled_over_to_id.is_(None))
        .values(rolled_over_to_id=to_plan_id, rolled_over_at=at, rolled_over_by_id=by_id)
    )
    return result.rowcount == 1


class OutlinePlace(NamedTuple):
    """An objective of last year's plan with its theme, to be made again in next year's."""

    objective_id: int
    theme_id: int
    theme_title: str
    theme_position: int
    reference: str | None
    text: str
    outcomes: str | None
    monitoring: str | None
    risk_rating: str | None
    position: int


def outline_of(session: Session, objective_ids: Collection[int]) -> list[OutlinePlace]:
    """These objectives with their themes, in the plan's order."""
    if not objective_ids:
        return []
    query = (
        sa.select(
            _OBJECTIVE.c.id,
            _THEME.c.id,
            _THEME.c.title,
            _THEME.c.position,
            _OBJECTIVE.c.reference,
            _OBJECTIVE.c.text,
            _OBJECTIVE.c.outcomes,
            _OBJECTIVE.c.monitoring,
            _OBJECTIVE.c.risk_rating,
            _OBJECTIVE.c.position,
        )
        .select_from(_OBJECTIVE.join(_THEME, _THEME.c.id == _OBJECTIVE.c.theme_id))
        .where(_OBJECTIVE.c.id.in_(sorted(objective_ids)))
        .order_by(_THEME.c.position, _THEME.c.id, _OBJECTIVE.c.position, _OBJECTIVE.c.id)
    )
    return [OutlinePlace._make(row) for row in session.connection().execute(query)]


def add_theme(session: Session, plan_id: int, title: str, position: int) -> int:
    """A theme of next year's plan, at the place it had last year; its id."""
    found = session.connection().execute(
        sa.insert(_THEME)
        .values(plan_id=plan_id, title=title, position=position)
        .returning(_THEME.c.id)
    )
    return int(found.scalar_one())


def add_objective(session: Session, theme_id: int, place: OutlinePlace) -> int:
    """An objective of next year's plan, as it was written last year; its id."""
    found = session.connection().execute(
        sa.insert(_OBJECTIVE)
        .values(
            theme_id=theme_id,
            reference=place.reference,
            text=place.text,
            outcomes=place.outcomes,
            monitoring=place.monitoring,
            risk_rating=place.risk_rating,
            position=place.position,
        )
        .returning(_OBJECTIVE.c.id)
    )
    return int(found.scalar_one())


def insert_actions(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert the carried actions of one page; their ids, in the order given."""
    if not rows:
        return []
    statement = sa.insert(_ACTION).returning(_ACTION.c.id, sort_by_parameter_order=True)
    return [int(row[0]) for row in session.connection().execute(statement, list(rows))]


class LatestProgress(NamedTuple):
    action_id: int
    text: str
    rag: str | None
    author_id: int | None
    created_at: datetime


def latest_progress(session: Session, action_ids: Collection[int]) -> dict[int, LatestProgress]:
    """Each action's newest progress update, as stored (who wrote it and when)."""
    if not action_ids:
        return {}
    ranked = (
        sa.select(
            _PROGRESS.c.action_id,
            _PROGRESS.c.text,
            _PROGRESS.c.rag,
            _PROGRESS.c.author_id,
            _PROGRESS.c.created_at,
            sa.func.row_number()
            .over(
                partition_by=_PROGRESS.c.action_id,
                order_by=(_PROGRESS.c.created_at.desc(), _PROGRESS.c.id.desc()),
            )
            .label("rank"),
        )
        .where(_PROGRESS.c.action_id.in_(sorted(action_ids)))
        .subquery()
    )
    query = sa.select(
        ranked.c.action_id, ranked.c.text, ranked.c.rag, ranked.c.author_id, ranked.c.created_at
    ).where(ranked.c.rank == 1)
    return {row[0]: LatestProgress._make(row) for row in session.connection().execute(query).all()}


def insert_progress(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Copy progress updates onto the carried actions (never marked public: that was a
    decision about last year's page)."""
    if rows:
        session.connection().execute(sa.insert(_PROGRESS), list(rows))


# Reading the links between the years ---------------------------------------------------------


class YearLink(NamedTuple):
    """The other year's action: its id, reference and plan."""

    action_id: int
    reference: str | None
    plan_id: int
    plan_title: str
    financial_year: str | None

    @property
    def words(self) -> str:
        """'Annual Governance Statement 2025/26, action 17 (AGS 3)': the plan, its year
        (unless its title already says it) and the action."""
        plan = self.plan_title
        if self.financial_year and self.financial_year not in plan:
            plan += f" {self.financial_year}"
        reference = f" ({self.reference})" if self.reference else ""
        return f"{plan}, action {self.action_id}{reference}"


def _year_link(on: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(
            _ACTION.c.id,
            _ACTION.c.reference,
            _PLAN.c.id,
            _PLAN.c.title,
            _PLAN.c.financial_year,
        )
        .select_from(_ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id))
        .where(on)
    )


def carried_from(session: Session, action_id: int) -> YearLink | None:
    """The action this one was carried forward from, if it was."""
    earlier = (
        sa.select(_ACTION.c.carried_from_id).where(_ACTION.c.id == action_id).scalar_subquery()
    )
    row = session.connection().execute(_year_link(_ACTION.c.id == earlier)).first()
    return YearLink._make(row) if row else None


def carried_to(session: Session, action_id: int) -> YearLink | None:
    """The action of next year's plan this one was carried forward to, if it was."""
    query = _year_link(_ACTION.c.carried_from_id == action_id).order_by(_ACTION.c.id)
    row = session.connection().execute(query).first()
    return YearLink._make(row) if row else None


def carried_to_each(session: Session, action_ids: Collection[int]) -> dict[int, YearLink]:
    """For each of `action_ids` carried forward, the action of next year's plan it went to."""
    if not action_ids:
        return {}
    query = (
        _year_link(_ACTION.c.carried_from_id.in_(list(action_ids)))
        .add_columns(_ACTION.c.carried_from_id)
        .order_by(_ACTION.c.id.desc())  # the first carried wins, as `carried_to` answers
    )
    return {row[-1]: YearLink._make(row[:-1]) for row in session.connection().execute(query)}


class RollOver(NamedTuple):
    """Where a plan went at year end: next year's plan, when and by whom."""

    plan_id: int
    title: str
    financial_year: str | None
    at: datetime
    by: str | None


def rolled_over(session: Session, plan_id: int) -> RollOver | None:
    """The plan this one was rolled over to, if it was."""
    later = _PLAN.alias("later")
    query = (
        sa.select(
            later.c.id,
            later.c.title,
            later.c.financial_year,
            _PLAN.c.rolled_over_at,
            _PERSON.c.name,
        )
        .select_from(
            _PLAN.join(later, later.c.id == _PLAN.c.rolled_over_to_id).outerjoin(
                _PERSON, _PERSON.c.id == _PLAN.c.rolled_over_by_id
            )
        )
        .where(_PLAN.c.id == plan_id)
    )
    row = session.connection().execute(query).first()
    return RollOver._make(row) if row else None


class EarlierPlan(NamedTuple):
    plan_id: int
    title: str
    financial_year: str | None


def rolled_over_from(session: Session, plan_id: int) -> EarlierPlan | None:
    """The plan rolled over into this one, if any."""
    query = sa.select(_PLAN.c.id, _PLAN.c.title, _PLAN.c.financial_year).where(
        _PLAN.c.rolled_over_to_id == plan_id
    )
    row = session.connection().execute(query).first()
    return EarlierPlan._make(row) if row else None
