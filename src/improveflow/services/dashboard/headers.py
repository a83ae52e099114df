"""Plan headers: what the pages show of a plan above its actions, for the plans one may see.

Another council's plan is reported exactly like a missing one.
"""

from __future__ import annotations

from sqlmodel import Session

from improveflow import exceptions
from improveflow.services.context import Context
from improveflow.stores import plan_headers
from improveflow.stores.plan_headers import PlanHeader

__all__ = ["PlanHeader", "plan_for", "plan_header", "plans_for"]


def plans_for(ctx: Context, organisation: str | None) -> list[PlanHeader]:
    """Every plan the person may see, with its number of actions."""
    with ctx.database.reading() as session:
        return plan_headers.visible_plans(session, organisation)


def plan_header(session: Session, plan_id: int, organisation: str | None) -> PlanHeader:
    """The plan, or NotFound when it does not exist or belongs to another organisation."""
    found = plan_headers.visible_plan(session, plan_id, organisation)
    if found is None:
        # Another organisation's plan is reported exactly like a missing one.
        raise exceptions.NotFound(f"There is no plan number {plan_id} that you can see")
    return found


def plan_for(ctx: Context, plan_id: int, organisation: str | None) -> PlanHeader:
    """`plan_header` in its own unit of work."""
    with ctx.database.reading() as session:
        return plan_header(session, plan_id, organisation)
