"""Plans and their outline: themes and objectives, and the actions added to a plan by hand.

An import builds a plan's outline as it reads its file: its themes and objectives are loaded
once, and new ones go in through Core statements built once here (an ORM flush per objective
was most of the time of a tracker import, where every row is an objective of its own).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from improveflow import exceptions
from improveflow.models import (
    Action,
    Objective,
    Plan,
    Theme,
)
from improveflow.stores.bulk import insert_prepared, prepares_values
from improveflow.stores.tables import table_of

_PLAN = table_of(Plan)
_THEME = table_of(Theme)
_OBJECTIVE = table_of(Objective)


def plan_by_id(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise exceptions.NotFound(f"No plan with id {plan_id}")
    return plan


def all_plans(session: Session) -> Sequence[Plan]:
    """Every plan, oldest first."""
    return session.exec(select(Plan).order_by(col(Plan.id))).all()


def plan_titled(session: Session, title: str, organisation: str | None) -> Plan | None:
    """The plan of this title within its council (two councils may use the same title).

    The organisation is compared as people type it; a plan of no organisation is found only
    when none is given.
    """
    same_organisation: sa.ColumnElement[bool]
    if organisation is None:
        same_organisation = _PLAN.c.organisation.is_(None)
    else:
        same_organisation = sa.func.lower(_PLAN.c.organisation) == organisation.lower()
    return session.exec(select(Plan).where(Plan.title == title, same_organisation)).first()


def import_mappings(session: Session, titles: Collection[str]) -> dict[str, dict[str, Any]]:
    """The columns each titled plan's last import used (`Plan.import_mapping`), where it has any."""
    rows = session.exec(
        select(Plan.title, Plan.import_mapping).where(col(Plan.title).in_(titles))
    ).all()
    return {title: dict(mapping) for title, mapping in rows if mapping}


def add_plan(session: Session, plan: Plan) -> Plan:
    """Store a new plan; its id is set on return."""
    session.add(plan)
    session.flush()
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


def objective_by_id(session: Session, objective_id: int) -> Objective:
    objective = session.get(Objective, objective_id)
    if objective is None:
        raise exceptions.NotFound(f"No objective with id {objective_id}")
    return objective


def count_in(session: Session, model: type[Theme] | type[Objective], parent_id: int) -> int:
    parent = col(Theme.plan_id) if model is Theme else col(Objective.theme_id)
    return session.exec(select(func.count()).select_from(model).where(parent == parent_id)).one()


def add_theme(session: Session, plan_id: int, title: str) -> Theme:
    """A new theme, last in its plan."""
    theme = Theme(plan_id=plan_id, title=title, position=count_in(session, Theme, plan_id))
    session.add(theme)
    session.flush()
    return theme


def add_objective(session: Session, theme_id: int, text: str, reference: str | None) -> Objective:
    """A new objective, last in its theme."""
    objective = Objective(
        theme_id=theme_id,
        reference=reference,
        text=text,
        position=count_in(session, Objective, theme_id),
    )
    session.add(objective)
    session.flush()
    return objective


def add_action(session: Session, action: Action) -> Action:
    """Store an action added to a plan by hand; its id is set on return."""
    session.add(action)
    session.flush()
    return action


# A plan's outline during an import ------------------------------------------------------------


def themes_of(session: Session, plan_id: int) -> Sequence[Theme]:
    return session.exec(select(Theme).where(Theme.plan_id == plan_id)).all()


def objectives_of(session: Session, theme_ids: Iterable[int]) -> Sequence[Objective]:
    """The objectives of these themes, as objects: an import keeps their texts up to date."""
    return session.exec(select(Objective).where(col(Objective.theme_id).in_(list(theme_ids)))).all()


_INSERT_THEMES = sa.insert(_THEME).returning(_THEME.c.position, _THEME.c.id)
_INSERT_OBJECTIVES = sa.insert(_OBJECTIVE).returning(
    _OBJECTIVE.c.theme_id, _OBJECTIVE.c.position, _OBJECTIVE.c.id
)


def insert_themes(session: Session, rows: Sequence[Mapping[str, object]]) -> dict[int, int]:
    """Insert themes of one plan in one statement; each one's id by position.

    Each row gives plan_id, title and position; the positions must be distinct (a tracker
    grouped by audit meets a theme every few rows).
    """
    connection = session.connection()
    if prepares_values(connection.dialect):
        inserted = insert_prepared(connection, _THEME, rows, ("position", "id"))
    else:
        inserted = list(connection.execute(_INSERT_THEMES, list(rows)))
    return {row[0]: row[1] for row in inserted}


def insert_objectives(
    session: Session, rows: Sequence[Mapping[str, object]]
) -> dict[tuple[int, int], int]:
    """Insert objectives in one statement; each one's id by (theme id, position).

    Each row gives theme_id, reference, text, outcomes, monitoring, risk_rating and position;
    new objectives must have distinct positions within their theme.
    """
    connection = session.connection()
    if prepares_values(connection.dialect):
        inserted = insert_prepared(connection, _OBJECTIVE, rows, ("theme_id", "position", "id"))
    else:
        inserted = list(connection.execute(_INSERT_OBJECTIVES, list(rows)))
    return {(theme_id, position): objective_id for theme_id, position, objective_id in inserted}
