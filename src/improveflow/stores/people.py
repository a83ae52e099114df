"""People, their bodies (CMT, Cabinet), roles, aliases and organisation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow import exceptions
from improveflow.models import (
    Membership,
    Person,
    PersonAlias,
    PersonOrganisation,
    PersonRole,
)
from improveflow.stores.tables import table_of


def normalise_email(email: str) -> str:
    return email.strip().lower()


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


_person = table_of(Person)
_membership = table_of(Membership)
_role = table_of(PersonRole)


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
