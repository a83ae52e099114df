"""Intent-named queries over the tables. Never commits: services own the transactions."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, func, select

from improveflow import exceptions
from improveflow.models import (
    Action,
    ApprovalRequest,
    Decision,
    Membership,
    Objective,
    Person,
    PersonAlias,
    PersonOrganisation,
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


def organisation_of(session: Session, person_id: int) -> str | None:
    return session.exec(
        select(PersonOrganisation.organisation).where(PersonOrganisation.person_id == person_id)
    ).first()


def aliases_of(session: Session, person_id: int) -> list[str]:
    rows = session.exec(
        select(PersonAlias.alias)
        .where(PersonAlias.person_id == person_id)
        .order_by(col(PersonAlias.id))
    ).all()
    return list(rows)


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


def decisions_on(session: Session, request_id: int) -> Sequence[Decision]:
    return session.exec(
        select(Decision).where(Decision.request_id == request_id).order_by(col(Decision.id))
    ).all()


# Hot paths: Core statements built once, returning plain rows ----------------------------------
#
# A request and a decision each run a handful of these; going through the ORM for them costs
# several times the commit itself (see benchmarks/transitions_bench.py).


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a model, for prebuilt statements."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


_person = table_of(Person)
_membership = table_of(Membership)
_role = table_of(PersonRole)
_action = table_of(Action)
_plan = table_of(Plan)
_progress = table_of(ProgressUpdate)
_request = table_of(ApprovalRequest)
_decision = table_of(Decision)


@dataclass(frozen=True)
class Actor:
    """A person with their bodies and roles: everything needed to judge what they may do."""

    id: int
    name: str
    bodies: frozenset[str]
    roles: frozenset[str]


_ACTOR = sa.union_all(
    sa.select(_person.c.id, _person.c.name, sa.literal("body").label("kind"), _membership.c.body)
    .select_from(_person.outerjoin(_membership))
    .where(_person.c.email == sa.bindparam("email")),
    sa.select(_person.c.id, _person.c.name, sa.literal("role"), _role.c.role)
    .select_from(_person.outerjoin(_role))
    .where(_person.c.email == sa.bindparam("email")),
)


def actor_by_email(session: Session, email: str) -> Actor:
    rows = session.connection().execute(_ACTOR, {"email": normalise_email(email)}).all()
    if not rows:
        raise exceptions.NotFound(f"Nobody with the email address {email.strip()} is known")
    return Actor(
        id=rows[0][0],
        name=rows[0][1],
        bodies=frozenset(row[3] for row in rows if row[2] == "body" and row[3] is not None),
        roles=frozenset(row[3] for row in rows if row[2] == "role" and row[3] is not None),
    )


@dataclass(frozen=True)
class ActionState:
    """An action as the workflow sees it, with its plan's approval settings."""

    id: int
    plan_id: int
    state: str
    version: int
    owner_id: int | None
    target_date: date | None
    workflow: str
    plan_kind: str
    approval_overrides: dict[str, str]
    progress_updates: int | None = None  # None when not counted


_ACTION_COLUMNS = (
    _action.c.id,
    _action.c.plan_id,
    _action.c.state,
    _action.c.version,
    _action.c.owner_id,
    _action.c.target_date,
    _plan.c.workflow,
    _plan.c.kind,
    _plan.c.approval_overrides,
)
_ACTION_STATE = (
    sa.select(*_ACTION_COLUMNS)
    .select_from(_action.join(_plan, _plan.c.id == _action.c.plan_id))
    .where(_action.c.id == sa.bindparam("action_id"))
)


def action_state(session: Session, action_id: int) -> ActionState:
    """The action's workflow state (progress updates not counted: see `progress_count`)."""
    row = session.connection().execute(_ACTION_STATE, {"action_id": action_id}).first()
    if row is None:
        raise exceptions.NotFound(f"No action with id {action_id}")
    return ActionState(*row)


_MOVE_ACTION = (
    sa.update(_action)
    .where(_action.c.id == sa.bindparam("action_id"), _action.c.version == sa.bindparam("seen"))
    .values(
        version=sa.bindparam("seen") + 1,
        state=sa.bindparam("new_state"),
        target_date=sa.func.coalesce(
            sa.bindparam("new_target", type_=sa.Date), _action.c.target_date
        ),
        updated_at=sa.bindparam("moved_at", type_=_action.c.updated_at.type),
    )
)


def move_action(
    session: Session, seen: ActionState, state: str, at: datetime, target_date: date | None
) -> bool:
    """Compare-and-swap on the version: False when someone else changed the action first."""
    result = session.connection().execute(
        _MOVE_ACTION,
        {
            "action_id": seen.id,
            "seen": seen.version,
            "new_state": state,
            "new_target": target_date,
            "moved_at": at,
        },
    )
    return bool(result.rowcount == 1)


@dataclass(frozen=True)
class ClaimedRequest:
    id: int
    action_id: int
    transition: str
    requester_id: int
    body: str
    quorum: int
    reason: str | None
    new_target_date: date | None
    status: str  # after the claim: still pending, or already the outcome asked for


_CLAIM = (
    sa.update(_request)
    .where(_request.c.id == sa.bindparam("request_id"), _request.c.status == RequestStatus.PENDING)
    .values(
        version=_request.c.version + 1,
        status=sa.case(
            (sa.bindparam("final") | (_request.c.quorum <= 1), sa.bindparam("outcome")),
            else_=_request.c.status,
        ),
        closed_at=sa.case(
            (
                sa.bindparam("final") | (_request.c.quorum <= 1),
                sa.bindparam("closed", type_=_request.c.closed_at.type),
            ),
            else_=_request.c.closed_at,
        ),
    )
    .returning(
        _request.c.id,
        _request.c.action_id,
        _request.c.transition,
        _request.c.requester_id,
        _request.c.body,
        _request.c.quorum,
        _request.c.reason,
        _request.c.new_target_date,
        _request.c.status,
    )
)


def claim_request(
    session: Session, request_id: int, *, outcome: str, final: bool, at: datetime
) -> ClaimedRequest | None:
    """Lock a pending request for this transaction; None if it is no longer pending.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite), so a second decider
    waits here and then finds the request decided: one outcome, never two. It also records
    `outcome` at once when that outcome is final (a rejection, a withdrawal) or one member
    decides alone (quorum 1): the common case then needs no second statement. If the caller
    then refuses, the transaction rolls back and the request is pending again.
    """
    row = (
        session.connection()
        .execute(
            _CLAIM,
            {"request_id": request_id, "outcome": outcome, "final": final, "closed": at},
        )
        .first()
    )
    return ClaimedRequest(*row) if row is not None else None


_INSERT_REQUEST = sa.insert(_request)
_CLOSE_REQUEST = (
    sa.update(_request)
    .where(_request.c.id == sa.bindparam("request_id"))
    .values(status=sa.bindparam("new_status"), closed_at=sa.bindparam("closed"))
)
_VERDICTS = sa.select(
    _decision.c.person_id, _decision.c.on_behalf_of_id, _decision.c.verdict
).where(_decision.c.request_id == sa.bindparam("request_id"))
_INSERT_DECISION = sa.insert(_decision)


def insert_request(session: Session, values: dict[str, object]) -> int:
    result = session.connection().execute(_INSERT_REQUEST, values)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def close_request(session: Session, request_id: int, status: str, at: datetime) -> None:
    session.connection().execute(
        _CLOSE_REQUEST, {"request_id": request_id, "new_status": status, "closed": at}
    )


def verdicts_on(session: Session, request_id: int) -> list[tuple[int, int | None, str]]:
    """(decider, member decided for or None, verdict) for each decision on the request."""
    rows = session.connection().execute(_VERDICTS, {"request_id": request_id}).all()
    return [(row[0], row[1], row[2]) for row in rows]


def insert_decision(session: Session, values: dict[str, object]) -> None:
    session.connection().execute(_INSERT_DECISION, values)


def insert_or_ignore(
    session: Session, table: sa.Table, values: dict[str, object], returning: sa.Column[int]
) -> int | None:
    """Insert a row unless it would break a unique constraint; its id, or None if ignored.

    How two sweeps (or two workers) decide the same thing without duplicating it.
    """
    connection = session.connection()
    statement = _insert_or_ignore(connection.dialect.name, table, tuple(sorted(values)), returning)
    found = connection.execute(statement, values).scalar_one_or_none()
    return int(found) if found is not None else None


@functools.cache
def _insert_or_ignore(
    dialect: str, table: sa.Table, columns: tuple[str, ...], returning: sa.Column[int]
) -> sa.Insert:
    # Built once per shape: constructing the statement cost more than running it.
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    bound = {name: sa.bindparam(name, type_=table.c[name].type) for name in columns}
    return dialect_insert(table).values(bound).on_conflict_do_nothing().returning(returning)
