"""Plans and their outline: themes and objectives."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from improveflow import exceptions
from improveflow.models import (
    Objective,
    Plan,
    Theme,
)


def plan_by_id(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise exceptions.NotFound(f"No plan with id {plan_id}")
    return plan


def theme_named(session: Session, plan_id: int, title: str) -> Theme | None:
    return session.exec(select(Theme).where(Theme.plan_id == plan_id, Theme.title == title)).first()


def objective_in_theme(
    session: Session, theme_id: int, reference: str | None, text: str
) -> Objective | None:
    query = select(Objective).where(Objective.theme_id == theme_id)
    if reference:
        query = query.where(Objective.reference == reference)
    else:
        query = query.where(Objective.text == text)
    return session.exec(query).first()


def count_in(session: Session, model: type[Theme] | type[Objective], parent_id: int) -> int:
    parent = col(Theme.plan_id) if model is Theme else col(Objective.theme_id)
    return session.exec(select(func.count()).select_from(model).where(parent == parent_id)).one()
