"""A scrutiny committee's sign-offs of its plan's actions: recorded (or corrected), and read
for one action or a page of them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import CommitteeSignOff, Person
from improveflow.stores.tables import table_of

_SIGN_OFF = table_of(CommitteeSignOff)
_PERSON = table_of(Person)


class SignOffRow(NamedTuple):
    """An action's sign-off: the day the committee signed it off, its minute, who recorded it."""

    action_id: int
    signed_off_on: date
    minute: str | None
    recorded_by: str | None  # the email address of who recorded it


_LISTED = sa.select(
    _SIGN_OFF.c.action_id, _SIGN_OFF.c.signed_off_on, _SIGN_OFF.c.minute, _PERSON.c.email
).select_from(_SIGN_OFF.outerjoin(_PERSON, _PERSON.c.id == _SIGN_OFF.c.recorded_by_id))


def sign_off_of(session: Session, action_id: int) -> SignOffRow | None:
    row = session.connection().execute(_LISTED.where(_SIGN_OFF.c.action_id == action_id)).first()
    return SignOffRow._make(row) if row is not None else None


def sign_offs_of(session: Session, action_ids: Collection[int]) -> dict[int, SignOffRow]:
    """The sign-offs of these actions (a page of a plan's table), by action."""
    if not action_ids:
        return {}
    rows = session.connection().execute(_LISTED.where(_SIGN_OFF.c.action_id.in_(action_ids)))
    return {row.action_id: SignOffRow._make(row) for row in rows}


def record(
    session: Session,
    action_id: int,
    *,
    signed_off_on: date,
    minute: str | None,
    recorded_by_id: int | None,
    at: datetime,
) -> None:
    """Record the action's sign-off, replacing any earlier one (a correction)."""
    values = {
        "signed_off_on": signed_off_on,
        "minute": minute,
        "recorded_by_id": recorded_by_id,
        "recorded_at": at,
    }
    connection = session.connection()
    changed = connection.execute(
        sa.update(_SIGN_OFF).where(_SIGN_OFF.c.action_id == action_id).values(**values)
    )
    if changed.rowcount == 0:
        connection.execute(sa.insert(_SIGN_OFF).values(action_id=action_id, **values))
