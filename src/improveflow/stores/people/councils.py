"""Which council people work for, once an installation serves several: the organisations in
use, and the rule (`people_of`) for who belongs with a plan of a given organisation.

A plan belongs with the people of its own council and with people who have none recorded; a
plan with no council belongs with everyone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Person, PersonOrganisation, Plan
from improveflow.stores.tables import table_of

_plan = table_of(Plan)
_person = table_of(Person)
_person_org = table_of(PersonOrganisation)


def people_of(
    organisation: str | sa.ColumnElement[str | None] | None,
    person_id: sa.ColumnElement[int] = _person.c.id,
) -> sa.ColumnElement[bool]:
    """People who belong with a plan of `organisation`: its own, and those with none recorded.

    The one rule for who may lead, change, decide on and be told of a plan's actions once an
    installation serves several councils. `organisation` is a name, or a column (the plan's,
    in the caller's query); a plan with none belongs with everyone. `person_id` is the column
    (or bound value) naming the person, `Person.id` unless the query reads people elsewhere.
    """
    if organisation is None:
        return sa.true()
    named = organisation
    if isinstance(organisation, str):
        named = sa.literal(" ".join(organisation.split()))
    # A plan column that is NULL compares as unknown, so it excludes nobody: shared plans.
    elsewhere = sa.select(_person_org.c.person_id).where(
        _person_org.c.person_id == person_id,
        sa.func.lower(_person_org.c.organisation) != sa.func.lower(named),
    )
    return ~sa.exists(elsewhere)


def belongs_with(session: Session, person_id: int, organisation: str | None) -> bool:
    """Whether the person exists and belongs with a plan of `organisation` (`people_of`)."""
    found = session.connection().execute(
        sa.select(_person.c.id).where(_person.c.id == person_id, people_of(organisation))
    )
    return found.first() is not None


_NAMED = sa.union(
    sa.select(_plan.c.organisation.label("name")).where(_plan.c.organisation.is_not(None)),
    sa.select(_person_org.c.organisation.label("name")),
)


def organisation_names(session: Session) -> list[str]:
    """Every organisation a plan or a person names, as each spells it (unsorted)."""
    session.flush()  # people added earlier in this transaction (plan import --people) count
    return [name for (name,) in session.connection().execute(_NAMED)]
