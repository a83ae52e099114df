"""Deputies: while a member is away, a named colleague receives and decides their approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.services.context import Context
from improveflow.stores import people as people_store
from improveflow.stores.people import Actor


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
        member = people_store.actor_by_email(session, member_email)
        deputy = people_store.actor_by_email(session, deputy_email)
        if member.id == deputy.id:
            raise exceptions.InvalidValue(f"{member.name} cannot be their own deputy")
        if not member.bodies:
            raise exceptions.InvalidValue(
                f"{member.name} is not a member of any approving body, so needs no deputy"
            )
        _refuse_another_council(session, member, deputy)
        deputy_id = people_store.add_period(
            session,
            member_id=member.id,
            deputy_id=deputy.id,
            starts_on=starts_on,
            ends_on=ends_on,
            now=now,
        )
        # `deputy_id` in the log is the deputy's person id, as it always has been.
        event = recorded.DeputyNamed(
            actor_id=member.id,
            deputy_id=deputy.id,
            member=member.name,
            deputy=deputy.name,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        audit.record(session, event, at=now)
        return deputy_id


def _refuse_another_council(session: Session, member: Actor, deputy: Actor) -> None:
    """A deputy receives and decides the member's approvals, so must belong with the member's
    council by the rule for a plan's people (`people_of`): work for the same council, or have
    none recorded, or stand in for a member with none recorded."""
    council = people_store.organisation_of(session, member.id)
    if people_store.belongs_with(session, deputy.id, council):
        return
    elsewhere = people_store.organisation_of(session, deputy.id)
    raise exceptions.InvalidValue(
        f"{deputy.name} cannot be {member.name}'s deputy: {deputy.name} works for {elsewhere} "
        f"and {member.name} for {council}. A deputy must work for the same council as the "
        "member they stand in for"
    )


def list_deputies(ctx: Context) -> list[DeputyView]:
    with ctx.database.reading() as session:
        periods = people_store.all_periods(session)
        names = people_store.names_by_id(
            session, [p.member_id for p in periods] + [p.deputy_id for p in periods]
        )
    return [
        DeputyView(
            id=period.id,
            member=names.get(period.member_id, "?"),
            deputy=names.get(period.deputy_id, "?"),
            starts_on=period.starts_on.isoformat(),
            ends_on=period.ends_on.isoformat(),
        )
        for period in periods
    ]


def standing_in_for(
    session: Session, deputy_id: int, body: str, on: date, exclude: set[int]
) -> int | None:
    """A member of `body` whom `deputy_id` stands in for on `on`, other than those excluded."""
    return people_store.member_stood_in_for(session, deputy_id, body, on, exclude)


@dataclass(frozen=True)
class StandIn:
    """A member whom a deputy stands in for on a given day, and the last day of it."""

    member_id: int
    member: str
    until: date


def standing_in_on(session: Session, deputy_id: int, on: date) -> list[StandIn]:
    """Everyone `deputy_id` stands in for on `on`, by name, with the last day of the period."""
    until = people_store.stand_ins_on(session, deputy_id, on)
    names = people_store.names_by_id(session, until)
    return sorted(
        (StandIn(member_id, names.get(member_id, "?"), last) for member_id, last in until.items()),
        key=lambda stand_in: (stand_in.member, stand_in.member_id),
    )
