"""The people directory: who exists, what they are called in plans, which bodies they sit on."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.models import Person, Role
from improveflow.services.context import Context
from improveflow.stores import people as people_store


@dataclass(frozen=True)
class PersonInput:
    name: str
    email: str
    aliases: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    where: str = ""  # "people.csv:4", for errors
    # Who they work for, matched against plans' organisations; None: the same as everyone.
    organisation: str | None = None


MAX_ORGANISATION = 200  # as PersonOrganisation.organisation
MAX_NAME = 200  # as Person.name and PersonAlias.alias; migration 0009 enforces both


@dataclass(frozen=True)
class PeopleImported:
    created: int
    updated: int


def checked_email(email: str, where: str = "") -> str:
    prefix = f"{where}: " if where else ""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise exceptions.InvalidValue(
            f"{prefix}'{email}' is not an email address: {error}"
        ) from None


def _control_character(text: str) -> str | None:
    """The first control character in `text` (NUL, BEL, ESC...), described, or None."""
    for character in text:
        if unicodedata.category(character) == "Cc":
            return f"U+{ord(character):04X}"
    return None


def checked_text(value: str, field: str, prefix: str, limit: int = MAX_NAME) -> str:
    """`value` with its whitespace tidied, or InvalidValue naming the field and the problem.

    A name with a control character cannot go in an email's To header, so everything sent to
    that person would fail; refused here, where the file and line can still be named.
    """
    found = _control_character(value.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    if found is not None:
        raise exceptions.InvalidValue(
            f"{prefix}the {field} contains a control character ({found}): remove it and "
            "import again"
        )
    flat = " ".join(value.split())
    if len(flat) > limit:
        raise exceptions.InvalidValue(
            f"{prefix}the {field} is too long ({len(flat):,} characters; at most {limit})"
        )
    return flat


def _validated(person: PersonInput, known_bodies: set[str]) -> PersonInput:
    prefix = f"{person.where}: " if person.where else ""
    name = checked_text(person.name, "name", prefix)
    if not name:
        raise exceptions.InvalidValue(f"{prefix}the name is empty")
    for body in person.bodies:
        if body not in known_bodies:
            known = ", ".join(sorted(known_bodies))
            raise exceptions.InvalidValue(
                f"{prefix}'{body}' is not an approving body (known: {known})"
            )
    allowed_roles = {role.value for role in Role}
    for role in person.roles:
        if role not in allowed_roles:
            raise exceptions.InvalidValue(
                f"{prefix}'{role}' is not a role (known: {', '.join(sorted(allowed_roles))})"
            )
    return PersonInput(
        name=name,
        email=checked_email(person.email, person.where),
        aliases=tuple(
            dict.fromkeys(
                checked_text(alias, "alias (job title)", prefix)
                for alias in person.aliases
                if alias.strip()
            )
        ),
        bodies=tuple(dict.fromkeys(person.bodies)),
        roles=tuple(dict.fromkeys(person.roles)),
        organisation=_organisation(person.organisation, prefix),
        where=person.where,
    )


def _organisation(organisation: str | None, prefix: str) -> str | None:
    return checked_text(organisation or "", "organisation", prefix, MAX_ORGANISATION) or None


def import_people(ctx: Context, people: Sequence[PersonInput]) -> PeopleImported:
    """Create or update people by email; aliases, bodies, roles and organisation are replaced
    by the file's."""
    with ctx.database.writing() as session:
        return import_people_in(session, ctx, people)


def import_people_in(
    session: Session, ctx: Context, people: Sequence[PersonInput]
) -> PeopleImported:
    """`import_people` inside the caller's transaction (a plan import brings its people)."""
    known_bodies = ctx.known_bodies()
    checked = [_validated(person, known_bodies) for person in people]
    seen: dict[str, str] = {}
    for person in checked:
        if person.email in seen:
            raise exceptions.InvalidValue(
                f"{person.where}: {person.email} appears twice (first at {seen[person.email]})"
            )
        seen[person.email] = person.where
    now = ctx.clock.now()
    created = updated = 0
    for person in checked:
        row, is_new = _upsert(session, person, now)
        created += is_new
        updated += not is_new
        assert row.id is not None
        event = recorded.PersonSaved(
            created=is_new,
            person_id=row.id,
            email=person.email,
            bodies=person.bodies,
            roles=person.roles,
            organisation=person.organisation,
        )
        audit.record(session, event, at=now)
    return PeopleImported(created=created, updated=updated)


def _upsert(session: Session, person: PersonInput, now: datetime) -> tuple[Person, bool]:
    row, is_new = people_store.saved_person(session, name=person.name, email=person.email, now=now)
    assert row.id is not None
    people_store.replace_details(
        session,
        row.id,
        aliases=person.aliases,
        bodies=person.bodies,
        roles=person.roles,
        organisation=person.organisation,
    )
    return row, is_new


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    email: str
    aliases: list[str]
    bodies: list[str]
    roles: list[str]
    organisation: str | None


def list_people(ctx: Context) -> list[PersonView]:
    with ctx.database.reading() as session:
        views = []
        for person in people_store.all_people(session):
            assert person.id is not None
            views.append(
                PersonView(
                    id=person.id,
                    name=person.name,
                    email=person.email,
                    aliases=people_store.aliases_of(session, person.id),
                    bodies=sorted(people_store.bodies_of(session, person.id)),
                    roles=sorted(people_store.roles_of(session, person.id)),
                    organisation=people_store.organisation_of(session, person.id),
                )
            )
        return views


DELIVERY_CHOICES = ("immediate", "daily_digest")


def set_delivery(ctx: Context, email: str, delivery: str) -> None:
    """How a person gets reminders and prompts: at once, or in one daily digest.

    Escalations and approval requests always go at once, whatever is chosen.
    """
    choice = delivery.strip().lower().replace("-", "_")
    if choice not in DELIVERY_CHOICES:
        raise exceptions.InvalidValue(
            f"'{delivery}' is not a delivery choice (choose immediate or daily-digest)"
        )
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = people_store.person_by_email(session, email)
        person.reminder_delivery = choice
        session.add(person)
        assert person.id is not None
        event = recorded.PreferencesChanged(actor_id=person.id, reminder_delivery=choice)
        audit.record(session, event, at=now)
