"""People: the directory (who exists, their aliases, bodies, roles and organisation), which
council they belong with, and the deputies who stand in for absent members.

Callers use the names below: `people.actor_by_email(session, email)`.
"""

from __future__ import annotations

from improveflow.stores.people.councils import belongs_with, organisation_names, people_of
from improveflow.stores.people.deputies import (
    DeputyPeriod,
    add_period,
    all_periods,
    bodies_deputised,
    member_stood_in_for,
    stand_ins_on,
)
from improveflow.stores.people.directory import (
    Actor,
    Contact,
    actor_by_email,
    aliases_of,
    all_people,
    bodies_of,
    contact_of,
    emails_by_id,
    is_known,
    names_by_id,
    normalise_email,
    organisation_of,
    person_by_email,
    person_by_id,
    person_with_email,
    replace_details,
    roles_of,
    saved_person,
)

__all__ = [
    "Actor",
    "Contact",
    "DeputyPeriod",
    "actor_by_email",
    "add_period",
    "aliases_of",
    "all_people",
    "all_periods",
    "belongs_with",
    "bodies_deputised",
    "bodies_of",
    "contact_of",
    "emails_by_id",
    "is_known",
    "member_stood_in_for",
    "names_by_id",
    "normalise_email",
    "organisation_names",
    "organisation_of",
    "people_of",
    "person_by_email",
    "person_by_id",
    "person_with_email",
    "replace_details",
    "roles_of",
    "saved_person",
    "stand_ins_on",
]
