"""Plan headers: what the pages show of a plan above its actions, for the plans one may see."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, Plan
from improveflow.stores.tables import table_of
from improveflow.stores.visibility import visible_to

_action = table_of(Action)
_plan = table_of(Plan)


@dataclass(frozen=True)
class PlanHeader:
    id: int
    title: str
    kind: str
    organisation: str | None
    workflow: str
    approval_overrides: dict[str, str]
    financial_year: str | None = None  # "2025/26", for a plan of one year
    actions: int = 0


_PLAN_COLUMNS = (
    _plan.c.id,
    _plan.c.title,
    _plan.c.kind,
    _plan.c.organisation,
    _plan.c.workflow,
    _plan.c.approval_overrides,
    _plan.c.financial_year,
)
_ACTION_COUNTS = (
    sa.select(_action.c.plan_id, sa.func.count().label("n")).group_by(_action.c.plan_id).subquery()
)
_WITH_COUNTS = sa.select(*_PLAN_COLUMNS, sa.func.coalesce(_ACTION_COUNTS.c.n, 0)).select_from(
    _plan.outerjoin(_ACTION_COUNTS, _ACTION_COUNTS.c.plan_id == _plan.c.id)
)


def visible_plans(session: Session, organisation: str | None) -> list[PlanHeader]:
    """Every plan a person of `organisation` may see, with its number of actions, by id."""
    query = _WITH_COUNTS.where(visible_to(organisation)).order_by(_plan.c.id)
    return [PlanHeader(*row) for row in session.connection().execute(query)]


def visible_plan(session: Session, plan_id: int, organisation: str | None) -> PlanHeader | None:
    """The plan, or None when it does not exist or a person of `organisation` may not see it."""
    query = sa.select(*_PLAN_COLUMNS).where(_plan.c.id == plan_id, visible_to(organisation))
    row = session.connection().execute(query).first()
    return PlanHeader(*row) if row is not None else None
