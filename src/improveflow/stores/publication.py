"""The public progress page's rows: plans published by slug, and progress marked public.

The public queries read only the fields the page shows (never an owner, an author or an
email), so nothing else can reach it by mistake: the action's lead as the plan wrote it, its
state, rating and target, and its newest progress update an approver marked public.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import exceptions
from improveflow.models import (
    Action,
    Objective,
    Person,
    Plan,
    PlanPublication,
    ProgressUpdate,
    Theme,
)
from improveflow.stores.people.councils import people_of
from improveflow.stores.tables import table_of

_publication = table_of(PlanPublication)
_plan = table_of(Plan)
_action = table_of(Action)
_objective = table_of(Objective)
_theme = table_of(Theme)
_progress = table_of(ProgressUpdate)
_person = table_of(Person)


# Publications ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    plan_id: int
    slug: str
    published_at: datetime | None  # None: withdrawn, its slug kept for publishing again


def publication_of(session: Session, plan_id: int) -> Publication | None:
    row = (
        session.connection()
        .execute(
            sa.select(
                _publication.c.plan_id, _publication.c.slug, _publication.c.published_at
            ).where(_publication.c.plan_id == plan_id)
        )
        .first()
    )
    return Publication(*row) if row else None


def slug_taken(session: Session, slug: str, other_than_plan: int) -> bool:
    found = session.connection().execute(
        sa.select(_publication.c.id).where(
            _publication.c.slug == slug, _publication.c.plan_id != other_than_plan
        )
    )
    return found.first() is not None


def hold_plan(session: Session, plan_id: int) -> None:
    """Lock the plan's row until the transaction ends, so that two people publishing or
    withdrawing it at once take turns (each then reads what the other wrote). SQLite has no
    row locks; its writers take turns already."""
    session.connection().execute(
        sa.select(_plan.c.id).where(_plan.c.id == plan_id).with_for_update()
    )


def save_publication(
    session: Session,
    plan_id: int,
    slug: str,
    published_at: datetime | None,
    published_by_id: int | None,
) -> None:
    """Publish (or withdraw, with `published_at` None) the plan under `slug`."""
    values = {"slug": slug, "published_at": published_at, "published_by_id": published_by_id}
    connection = session.connection()
    changed = connection.execute(
        sa.update(_publication).where(_publication.c.plan_id == plan_id).values(values)
    )
    if changed.rowcount == 0:
        connection.execute(sa.insert(_publication).values(plan_id=plan_id, **values))


def plan_in_reach(session: Session, person_id: int, plan_id: int) -> bool:
    """Whether the plan exists and belongs with the person's council."""
    found = session.connection().execute(
        sa.select(_plan.c.id).where(
            _plan.c.id == plan_id, people_of(_plan.c.organisation, sa.literal(person_id))
        )
    )
    return found.first() is not None


# The public page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPlan:
    plan_id: int
    title: str
    organisation: str | None
    workflow: str
    slug: str
    published_at: datetime


def published_plan(session: Session, slug: str) -> PublishedPlan | None:
    """The plan published under `slug`; None when there is none, or it was withdrawn."""
    row = (
        session.connection()
        .execute(
            sa.select(
                _plan.c.id,
                _plan.c.title,
                _plan.c.organisation,
                _plan.c.workflow,
                _publication.c.slug,
                _publication.c.published_at,
            )
            .select_from(_publication.join(_plan, _plan.c.id == _publication.c.plan_id))
            .where(_publication.c.slug == slug, _publication.c.published_at.is_not(None))
        )
        .first()
    )
    return PublishedPlan(*row) if row else None


@dataclass(frozen=True)
class PublicRow:
    """One action as the public page shows it: only these fields, nothing of a person."""

    action_id: int
    theme: str
    objective_ref: str | None
    objective: str
    reference: str | None
    description: str
    lead: str | None  # as the plan wrote it: usually a job title
    target_date: date | None
    timescale: str | None
    state: str
    rag: str | None
    updated_at: datetime
    progress: str | None = None  # the newest update marked public
    progress_at: datetime | None = None  # when that update was written
    marked_public_at: datetime | None = None


def public_rows(session: Session, plan_id: int, hidden_states: Collection[str]) -> list[PublicRow]:
    """The plan's actions in its own order, but those in `hidden_states` (not yet agreed)."""
    query: sa.Select[Any] = (
        sa.select(
            _action.c.id,
            _theme.c.title,
            _objective.c.reference,
            _objective.c.text,
            _action.c.reference,
            _action.c.description,
            _action.c.lead_text,
            _action.c.target_date,
            _action.c.timescale_raw,
            _action.c.state,
            _action.c.rag,
            _action.c.updated_at,
        )
        .select_from(
            _action.join(_objective, _objective.c.id == _action.c.objective_id).join(
                _theme, _theme.c.id == _objective.c.theme_id
            )
        )
        .where(_action.c.plan_id == plan_id, _action.c.state.not_in(list(hidden_states)))
        .order_by(_action.c.id)  # the plan's own order, as its table reads it
    )
    rows = [PublicRow(*row) for row in session.connection().execute(query)]
    public = _newest_public(session, [row.action_id for row in rows])
    return [
        replace(row, **public[row.action_id]) if row.action_id in public else row for row in rows
    ]


def _newest_public(session: Session, action_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each action's newest progress update marked public: its text, when written and marked."""
    if not action_ids:
        return {}
    ranked = (
        sa.select(
            _progress.c.action_id,
            _progress.c.text,
            _progress.c.created_at,
            _progress.c.public_at,
            sa.func.row_number()
            .over(
                partition_by=_progress.c.action_id,
                order_by=(_progress.c.created_at.desc(), _progress.c.id.desc()),
            )
            .label("rank"),
        )
        .where(_progress.c.action_id.in_(action_ids), _progress.c.public_at.is_not(None))
        .subquery()
    )
    rows = session.connection().execute(
        sa.select(ranked.c.action_id, ranked.c.text, ranked.c.created_at, ranked.c.public_at).where(
            ranked.c.rank == 1
        )
    )
    return {
        action_id: {"progress": text, "progress_at": at, "marked_public_at": marked}
        for action_id, text, at, marked in rows
    }


# Marking progress public -----------------------------------------------------------------------


@dataclass(frozen=True)
class MarkableUpdate:
    """A progress update as its action page lists it, with whether it is public."""

    id: int
    action_id: int
    text: str
    rag: str | None
    at: datetime
    author: str | None
    public_at: datetime | None
    public_by: str | None


def update_by_id(session: Session, update_id: int) -> MarkableUpdate:
    rows = _markable(session, _progress.c.id == update_id, 1)
    if not rows:
        raise exceptions.NotFound(f"No progress update with id {update_id}")
    return rows[0]


def updates_of(session: Session, action_id: int, shown: int) -> list[MarkableUpdate]:
    """The action's newest `shown` progress updates, newest first."""
    return _markable(session, _progress.c.action_id == action_id, shown)


def _markable(session: Session, where: sa.ColumnElement[bool], limit: int) -> list[MarkableUpdate]:
    author = _person.alias("author")
    marker = _person.alias("marker")
    query = (
        sa.select(
            _progress.c.id,
            _progress.c.action_id,
            _progress.c.text,
            _progress.c.rag,
            _progress.c.created_at,
            author.c.name,
            _progress.c.public_at,
            marker.c.name,
        )
        .select_from(
            _progress.outerjoin(author, author.c.id == _progress.c.author_id).outerjoin(
                marker, marker.c.id == _progress.c.public_by_id
            )
        )
        .where(where)
        .order_by(_progress.c.created_at.desc(), _progress.c.id.desc())
        .limit(limit)
    )
    return [MarkableUpdate(*row) for row in session.connection().execute(query)]


def mark_update(
    session: Session, update_id: int, public_at: datetime | None, public_by_id: int | None
) -> None:
    session.connection().execute(
        sa.update(_progress)
        .where(_progress.c.id == update_id)
        .values(public_at=public_at, public_by_id=public_by_id)
    )
