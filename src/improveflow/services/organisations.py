"""Which council a new plan belongs to, once an installation serves more than one.

A plan with no organisation is shown to everyone, which is right for a single council and wrong
as soon as a second one shares the installation: so once any plan or person names an
organisation, every new plan must name its own. People match a plan's leads only within its
organisation (or when they have none recorded).
"""

from __future__ import annotations

from sqlmodel import Session

from improveflow import exceptions
from improveflow.stores import people as people_store

MAX_ORGANISATION = 200  # as Plan.organisation


def organisations_in_use(session: Session) -> list[str]:
    """Every organisation a plan or a person names, in the spelling first recorded."""
    spellings: dict[str, str] = {}
    for name in people_store.organisation_names(session):
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


def _fold(name: str) -> str:
    return " ".join(name.split()).lower()
