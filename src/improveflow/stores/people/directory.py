"""The people directory as stored: people, their aliases, the bodies they sit on (CMT,
Cabinet), their roles and the organisation they work for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

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

_person = table_of(Person)
_membership = table_of(Membership)
_role = table_of(PersonRole)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def person_with_email(session: Session, email: str) -> Person | None:
    """The person with `email` (compared as stored, lower-cased), or None."""
    return session.exec(select(Person).where(Person.email == normalise_email(email))).first()


def person_by_email(session: Session, email: str) -> Person:
    person = person_with_email(session, email)
    if person is None:
        raise exceptions.NotFound(f"Nobody with the email address {email.strip()} is known")
    return person


def person_by_id(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise exceptions.NotFound(f"No person with id {person_id}")
    return person


_KNOWN = sa.select(_person.c.id).where(_person.c.id == sa.bindparam("person_id"))
_CONTACT = sa.select(_person.c.name, _person.c.email).where(
    _person.c.id == sa.bindparam("person_id")
)


def is_known(session: Session, person_id: int) -> bool:
    """Whether a person with this id exists."""
    found = session.connection().execute(_KNOWN, {"person_id": person_id})
    return found.first() is not None


@dataclass(frozen=True)
class Contact:
    """A person's name and email address."""

    name: str
    email: str


def contact_of(session: Session, person_id: int) -> Contact | None:
    """The name and email address of `person_id`, or None when nobody has that id."""
    row = session.connection().execute(_CONTACT, {"person_id": person_id}).first()
    return None if row is None else Contact(name=row.name, email=row.email)


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


# Writing the directory --------------------------------------------------------------------------


def saved_person(session: Session, *, name: str, email: str, now: datetime) -> tuple[Person, bool]:
    """The person with `email` (lower-cased already), named `name`: created when new, renamed
    when not; with whether they are new. Flushed, so the row has its id."""
    existing = person_with_email(session, email)
    row = existing or Person(name=name, email=email, created_at=now)
    row.name = name
    session.add(row)
    session.flush()
    return row, existing is None


_DETAILS = (PersonAlias, Membership, PersonRole, PersonOrganisation)


def replace_details(
    session: Session,
    person_id: int,
    *,
    aliases: Iterable[str],
    bodies: Iterable[str],
    roles: Iterable[str],
    organisation: str | None,
) -> None:
    """Replace everything recorded about the person but their name and email address."""
    for table in _DETAILS:
        session.execute(sa.delete(table).where(col(table.person_id) == person_id))
    if organisation is not None:
        session.add(PersonOrganisation(person_id=person_id, organisation=organisation))
    session.add_all(PersonAlias(person_id=person_id, alias=alias) for alias in aliases)
    session.add_all(Membership(person_id=person_id, body=body) for body in bodies)
    session.add_all(PersonRole(person_id=person_id, role=role) for role in roles)


# Who is acting ----------------------------------------------------------------------------------


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
