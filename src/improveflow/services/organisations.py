"""Which council a new plan belongs to, once an installation serves more than one.

A plan with no organisation is shown to everyone, which is right for a single council and wrong
as soon as a second one shares the installation: so once any plan or person names an
organisation, every new plan must name its own. People match a plan's leads only within its
organisation (or when they have none recorded).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import exceptions
from improveflow.models import Person, PersonOrganisation, Plan
from improveflow.store import table_of

_PLAN = table_of(Plan)
_PERSON_ORG = table_of(PersonOrganisation)
_PERSON = table_of(Person)
MAX_ORGANISATION = 200  # as Plan.organisation


def organisations_in_use(session: Session) -> list[str]:
    """Every organisation a plan or a person names, in the spelling first recorded."""
    session.flush()  # people added earlier in this transaction (plan import --people) count
    found = session.connection().execute(
        sa.union(
            sa.select(_PLAN.c.organisation.label("name")).where(_PLAN.c.organisation.is_not(None)),
            sa.select(_PERSON_ORG.c.organisation.label("name")),
        )
    )
    spellings: dict[str, str] = {}
    for (name,) in found:
        spellings.setdefault(_fold(name), name)
    return sorted(spellings.values(), key=str.lower)


def organisation_for_new_plan(session: Session, given: str | None, title: str) -> str | None:
    """`given`, in the spelling already in use; refuses none once organisations exist."""
    known = organisations_in_use(session)
    flat = " ".join((given or "").split())
    if len(flat) > MAX_ORGANISATION:
        raise exceptions.InvalidValue(
            f"The organisation is too long ({len(flat)} characters; at most {MAX_ORGANISATION})"
        )
    if not flat:
        if known:
            listed = ", ".join(f"'{name}'" for name in known)
            raise exceptions.InvalidValue(
                f"Say which council plan '{title}' belongs to: this installation holds plans "
                f"or people of {listed}, and a plan with no organisation would be shown to "
                f"all of them. Add --organisation NAME (for example --organisation "
                f"'{known[0]}')"
            )
        return None
    for name in known:
        if _fold(name) == _fold(flat):
            return name
    return flat


def same_organisation(
    column: sa.ColumnElement[str | None], organisation: str | None
) -> sa.ColumnElement[bool]:
    """Rows of `organisation` (compared as people type it), or with none when it is None."""
    if organisation is None:
        return column.is_(None)
    return sa.func.lower(column) == organisation.lower()


def people_of(
    organisation: str | sa.ColumnElement[str | None] | None,
    person_id: sa.ColumnElement[int] = _PERSON.c.id,
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
    elsewhere = sa.select(_PERSON_ORG.c.person_id).where(
        _PERSON_ORG.c.person_id == person_id,
        sa.func.lower(_PERSON_ORG.c.organisation) != sa.func.lower(named),
    )
    return ~sa.exists(elsewhere)


def _fold(name: str) -> str:
    return " ".join(name.split()).lower()
