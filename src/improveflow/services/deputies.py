"""Deputies: while a member is away, a named colleague receives and decides their approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import audit, exceptions, store
from improveflow.models import Deputy, Membership
from improveflow.services.context import Context

_DEPUTY = store.table_of(Deputy)
_MEMBERSHIP = store.table_of(Membership)


@dataclass(frozen=True)
class DeputyView:
    id: int
    member: str
    deputy: str
    starts_on: str
    ends_on: str


def add_deputy(
    ctx: Context, member_email: str, deputy_email: str, starts_on: date, ends_on: date
) -> int:
    if ends_on < starts_on:
        raise exceptions.InvalidValue(
            f"The deputy's last day {ends_on} is before the first {starts_on}"
        )
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        member = store.actor_by_email(session, member_email)
        deputy = store.actor_by_email(session, deputy_email)
        if member.id == deputy.id:
            raise exceptions.InvalidValue(f"{member.name} cannot be their own deputy")
        if not member.bodies:
            raise exceptions.InvalidValue(
                f"{member.name} is not a member of any approving body, so needs no deputy"
            )
        deputy_id = int(
            session.connection()
            .execute(
                sa.insert(_DEPUTY)
                .values(
                    member_id=member.id,
                    deputy_id=deputy.id,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    created_at=now,
                )
                .returning(_DEPUTY.c.id)
            )
            .scalar_one()
        )
        audit.append(
            session,
            at=now,
            event="deputy_named",
            actor_id=member.id,
            data={
                "deputy_id": deputy.id,
                "member": member.name,
                "deputy": deputy.name,
                "from": starts_on,
                "to": ends_on,
            },
        )
        return deputy_id


def list_deputies(ctx: Context) -> list[DeputyView]:
    with ctx.database.reading() as session:
        rows = session.connection().execute(sa.select(_DEPUTY).order_by(_DEPUTY.c.id)).all()
        names = store.names_by_id(
            session, [r.member_id for r in rows] + [r.deputy_id for r in rows]
        )
        return [
            DeputyView(
                id=r.id,
                member=names.get(r.member_id, "?"),
                deputy=names.get(r.deputy_id, "?"),
                starts_on=r.starts_on.isoformat(),
                ends_on=r.ends_on.isoformat(),
            )
            for r in rows
        ]


def standing_in_for(
    session: Session, deputy_id: int, body: str, on: date, exclude: set[int]
) -> int | None:
    """A member of `body` whom `deputy_id` stands in for on `on`, other than those excluded."""
    found = (
        session.connection()
        .execute(
            sa.select(_DEPUTY.c.member_id)
            .join(_MEMBERSHIP, _MEMBERSHIP.c.person_id == _DEPUTY.c.member_id)
            .where(
                _DEPUTY.c.deputy_id == deputy_id,
                _MEMBERSHIP.c.body == body,
                _DEPUTY.c.starts_on <= on,
                _DEPUTY.c.ends_on >= on,
                _DEPUTY.c.member_id.not_in(sorted(exclude) or [-1]),
            )
            .order_by(_DEPUTY.c.id)
            .limit(1)
        )
        .first()
    )
    return int(found[0]) if found else None


@dataclass(frozen=True)
class StandIn:
    """A member whom a deputy stands in for on a given day, and the last day of it."""

    member_id: int
    member: str
    until: date


def standing_in_on(session: Session, deputy_id: int, on: date) -> list[StandIn]:
    """Everyone `deputy_id` stands in for on `on`, by name, with the last day of the period."""
    rows = (
        session.connection()
        .execute(
            sa.select(_DEPUTY.c.member_id, sa.func.max(_DEPUTY.c.ends_on).label("until"))
            .where(
                _DEPUTY.c.deputy_id == deputy_id,
                _DEPUTY.c.starts_on <= on,
                _DEPUTY.c.ends_on >= on,
            )
            .group_by(_DEPUTY.c.member_id)
        )
        .all()
    )
    names = store.names_by_id(session, (row.member_id for row in rows))
    return sorted(
        (StandIn(row.member_id, names.get(row.member_id, "?"), row.until) for row in rows),
        key=lambda stand_in: (stand_in.member, stand_in.member_id),
    )
