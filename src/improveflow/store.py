"""Intent-named queries over the tables. Never commits: services own the transactions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from improveflow import exceptions
from improveflow.models import (
    Action,
    ApprovalRequest,
    Decision,
    Membership,
    Objective,
    Person,
    PersonAlias,
    PersonRole,
    Plan,
    ProgressUpdate,
    RequestStatus,
    Theme,
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


# People -----------------------------------------------------------------------------------------


def person_by_email(session: Session, email: str) -> Person:
    person = session.exec(select(Person).where(Person.email == normalise_email(email))).first()
    if person is None:
        raise exceptions.NotFound(f"Nobody with the email address {email.strip()} is known")
    return person


def person_by_id(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise exceptions.NotFound(f"No person with id {person_id}")
    return person


def names_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted))).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def emails_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.email).where(col(Person.id).in_(wanted))).all()
    return {person_id: email for person_id, email in rows if person_id is not None}


def bodies_of(session: Session, person_id: int) -> set[str]:
    rows = session.exec(select(Membership.body).where(Membership.person_id == person_id)).all()
    return set(rows)


def roles_of(session: Session, person_id: int) -> set[str]:
    rows = session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id)).all()
    return set(rows)


def aliases_of(session: Session, person_id: int) -> list[str]:
    rows = session.exec(
        select(PersonAlias.alias)
        .where(PersonAlias.person_id == person_id)
        .order_by(col(PersonAlias.id))
    ).all()
    return list(rows)


def is_member(session: Session, person_id: int, body: str) -> bool:
    found = session.exec(
        select(Membership.id).where(Membership.person_id == person_id, Membership.body == body)
    ).first()
    return found is not None


def all_people(session: Session) -> Sequence[Person]:
    return session.exec(select(Person).order_by(col(Person.name))).all()


# Plans and actions ------------------------------------------------------------------------------


def plan_by_id(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise exceptions.NotFound(f"No plan with id {plan_id}")
    return plan


def action_by_id(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise exceptions.NotFound(f"No action with id {action_id}")
    return action


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


def progress_count(session: Session, action_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id)
    ).one()


def latest_progress(session: Session, action_id: int) -> ProgressUpdate | None:
    return session.exec(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id)
        .order_by(col(ProgressUpdate.created_at).desc(), col(ProgressUpdate.id).desc())
    ).first()


def bump_action(session: Session, action: Action, values: dict[str, object]) -> bool:
    """Compare-and-swap on the version: False when someone else changed the action first."""
    assert action.id is not None
    result = session.execute(
        sa.update(Action)
        .where(col(Action.id) == action.id, col(Action.version) == action.version)
        .values(version=action.version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(action)
    return True


# Approvals --------------------------------------------------------------------------------------


def request_by_id(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise exceptions.NotFound(f"No approval request with id {request_id}")
    return request


def pending_request_for(session: Session, action_id: int) -> ApprovalRequest | None:
    return session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.action_id == action_id,
            ApprovalRequest.status == RequestStatus.PENDING,
        )
    ).first()


def claim_pending_request(session: Session, request_id: int) -> bool:
    """Lock a pending request for this transaction; False if it is no longer pending.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite), so a second decider
    waits here and then finds the request decided: one outcome, never two.
    """
    result = session.execute(
        sa.update(ApprovalRequest)
        .where(
            col(ApprovalRequest.id) == request_id,
            col(ApprovalRequest.status) == RequestStatus.PENDING,
        )
        .values(version=ApprovalRequest.version + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def decisions_on(session: Session, request_id: int) -> Sequence[Decision]:
    return session.exec(
        select(Decision).where(Decision.request_id == request_id).order_by(col(Decision.id))
    ).all()
