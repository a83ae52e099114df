"""A plan's milestones: scheduled from a peer challenge's challenge date or a scrutiny report's
date, marked done, listed, and the ones not done that the sweep reminds about."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Person, Plan, PlanMilestone
from improveflow.stores.tables import table_of

_MILESTONE = table_of(PlanMilestone)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)


class MilestoneRow(NamedTuple):
    """A milestone as listed: when it is due, and when, by whom and where it was done."""

    id: int
    plan_id: int
    kind: str
    due_on: date
    latest_on: date | None
    done_on: date | None
    link: str | None
    done_by: str | None  # the email address of who marked it done
    done_by_name: str | None  # and their name


class OpenMilestone(NamedTuple):
    """A milestone not done yet, with what the sweep reads of its plan."""

    id: int
    plan_id: int
    plan_title: str
    organisation: str | None
    workflow: str
    kind: str
    due_on: date
    latest_on: date | None
    report_date: date | None  # a scrutiny plan's: what its response answers
    response_months: int | None


def set_challenge_date(session: Session, plan_id: int, day: date) -> None:
    session.connection().execute(
        sa.update(_PLAN).where(_PLAN.c.id == plan_id).values(challenge_date=day)
    )


def set_report_date(session: Session, plan_id: int, day: date, response_months: int) -> None:
    session.connection().execute(
        sa.update(_PLAN)
        .where(_PLAN.c.id == plan_id)
        .values(report_date=day, response_months=response_months)
    )


def schedule(
    session: Session, plan_id: int, milestones: Iterable[tuple[str, date, date | None]]
) -> None:
    """Give each (kind, due, latest) milestone its dates: added if new, moved if not; a
    milestone already done keeps when, by whom and where."""
    connection = session.connection()
    existing = {
        row.kind: row.id
        for row in connection.execute(
            sa.select(_MILESTONE.c.kind, _MILESTONE.c.id).where(_MILESTONE.c.plan_id == plan_id)
        )
    }
    for kind, due_on, latest_on in milestones:
        if kind in existing:
            connection.execute(
                sa.update(_MILESTONE)
                .where(_MILESTONE.c.id == existing[kind])
                .values(due_on=due_on, latest_on=latest_on)
            )
        else:
            connection.execute(
                sa.insert(_MILESTONE).values(
                    plan_id=plan_id, kind=kind, due_on=due_on, latest_on=latest_on
                )
            )


_LISTED = (
    sa.select(
        _MILESTONE.c.id,
        _MILESTONE.c.plan_id,
        _MILESTONE.c.kind,
        _MILESTONE.c.due_on,
        _MILESTONE.c.latest_on,
        _MILESTONE.c.done_on,
        _MILESTONE.c.link,
        _PERSON.c.email,
        _PERSON.c.name,
    )
    .select_from(_MILESTONE.outerjoin(_PERSON, _PERSON.c.id == _MILESTONE.c.done_by_id))
    .order_by(_MILESTONE.c.due_on, _MILESTONE.c.id)
)


def milestones_of(session: Session, plan_id: int) -> list[MilestoneRow]:
    """The plan's milestones, soonest due first."""
    rows = session.connection().execute(_LISTED.where(_MILESTONE.c.plan_id == plan_id))
    return [MilestoneRow._make(row) for row in rows]


def mark_done(
    session: Session,
    milestone_id: int,
    *,
    done_on: date,
    link: str,
    done_by_id: int | None,
) -> None:
    session.connection().execute(
        sa.update(_MILESTONE)
        .where(_MILESTONE.c.id == milestone_id)
        .values(done_on=done_on, link=link, done_by_id=done_by_id)
    )


_OPEN = (
    sa.select(
        _MILESTONE.c.id,
        _MILESTONE.c.plan_id,
        _PLAN.c.title,
        _PLAN.c.organisation,
        _PLAN.c.workflow,
        _MILESTONE.c.kind,
        _MILESTONE.c.due_on,
        _MILESTONE.c.latest_on,
        _PLAN.c.report_date,
        _PLAN.c.response_months,
    )
    .select_from(_MILESTONE.join(_PLAN, _PLAN.c.id == _MILESTONE.c.plan_id))
    .where(_MILESTONE.c.done_on.is_(None))
    .order_by(_MILESTONE.c.id)
)


def open_milestones(session: Session, workflow: str | None) -> list[OpenMilestone]:
    """Every milestone not done yet, of plans using `workflow` (every plan when None). A
    few per peer-challenge plan: read whole."""
    query = _OPEN if workflow is None else _OPEN.where(_PLAN.c.workflow == workflow)
    return [OpenMilestone._make(row) for row in session.connection().execute(query)]
