"""Deputies as stored: who stands in for which member of an approving body, from when to when
(both days included)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Deputy, Membership
from improveflow.stores.tables import table_of

_deputy = table_of(Deputy)
_membership = table_of(Membership)


@dataclass(frozen=True)
class DeputyPeriod:
    """One deputy named for one member's absence."""

    id: int
    member_id: int
    deputy_id: int
    starts_on: date
    ends_on: date


_ADD = sa.insert(_deputy).returning(_deputy.c.id)
_ALL = sa.select(
    _deputy.c.id, _deputy.c.member_id, _deputy.c.deputy_id, _deputy.c.starts_on, _deputy.c.ends_on
).order_by(_deputy.c.id)


def add_period(
    session: Session,
    *,
    member_id: int,
    deputy_id: int,
    starts_on: date,
    ends_on: date,
    now: datetime,
) -> int:
    """Record a deputy for the member from `starts_on` to `ends_on`; the new row's id."""
    found = session.connection().execute(
        _ADD,
        {
            "member_id": member_id,
            "deputy_id": deputy_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "created_at": now,
        },
    )
    return int(found.scalar_one())


def all_periods(session: Session) -> list[DeputyPeriod]:
    """Every deputy ever named, oldest first."""
    return [DeputyPeriod(*row) for row in session.connection().execute(_ALL)]


_TODAY = sa.bindparam("on", type_=sa.Date)
_STANDS_IN = sa.and_(
    _deputy.c.deputy_id == sa.bindparam("deputy_id"),
    _deputy.c.starts_on <= _TODAY,
    _deputy.c.ends_on >= _TODAY,
)
_MEMBER_OF_BODY = (
    sa.select(_deputy.c.member_id)
    .join(_membership, _membership.c.person_id == _deputy.c.member_id)
    .where(
        _STANDS_IN,
        _membership.c.body == sa.bindparam("body"),
        _deputy.c.member_id.not_in(sa.bindparam("exclude", expanding=True)),
    )
    .order_by(_deputy.c.id)
    .limit(1)
)


def member_stood_in_for(
    session: Session, deputy_id: int, body: str, on: date, exclude: Collection[int]
) -> int | None:
    """A member of `body` whom `deputy_id` stands in for on `on`, other than those excluded."""
    found = session.connection().execute(
        _MEMBER_OF_BODY,
        {"deputy_id": deputy_id, "body": body, "on": on, "exclude": sorted(exclude) or [-1]},
    )
    row = found.first()
    return int(row[0]) if row else None


_STAND_INS = (
    sa.select(_deputy.c.member_id, sa.func.max(_deputy.c.ends_on).label("until"))
    .where(_STANDS_IN)
    .group_by(_deputy.c.member_id)
)


def stand_ins_on(session: Session, deputy_id: int, on: date) -> dict[int, date]:
    """Each member `deputy_id` stands in for on `on`, with the last day of that period."""
    found = session.connection().execute(_STAND_INS, {"deputy_id": deputy_id, "on": on})
    return {row.member_id: row.until for row in found}


_DEPUTISING = (
    sa.select(_membership.c.body)
    .select_from(_deputy.join(_membership, _membership.c.person_id == _deputy.c.member_id))
    .where(_STANDS_IN)
)


def bodies_deputised(session: Session, deputy_id: int, on: date) -> set[str]:
    """The bodies of every member `deputy_id` stands in for on `on`: checked on every page."""
    found = session.connection().execute(_DEPUTISING, {"deputy_id": deputy_id, "on": on})
    return set(found.scalars())
