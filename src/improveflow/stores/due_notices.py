"""Due notices on their way into emails: read a page at a time, with the facts their emails
tell (actions, requests, people, deputies), then each linked to the outbox row that carries it.

Runs on the caller's transaction; bundling decides what goes in which email. The statements
are built once, as Core: bundling runs on every sweep and every dispatch tick.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import (
    Action,
    ApprovalRequest,
    Deputy,
    Notice,
    Objective,
    Person,
    Plan,
    ProgressUpdate,
    Theme,
)
from improveflow.stores import outbox
from improveflow.stores.outbox import PendingNotice
from improveflow.stores.people import people_of
from improveflow.stores.tables import table_of

__all__ = [
    "DuePage",
    "PendingNotice",
    "actions",
    "deputy_standing_in",
    "link",
    "page",
    "people",
    "queue_email",
    "requests",
]

_NOTICE = table_of(Notice)
_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_THEME = table_of(Theme)
_OBJECTIVE = table_of(Objective)
_PERSON = table_of(Person)
_PROGRESS = table_of(ProgressUpdate)
_REQUEST = table_of(ApprovalRequest)
_DEPUTY = table_of(Deputy)

# Pages ------------------------------------------------------------------------------------------

_NOTICE_COLUMNS = (
    _NOTICE.c.id,
    _NOTICE.c.kind,
    _NOTICE.c.person_id,
    _NOTICE.c.action_id,
    _NOTICE.c.request_id,
    _NOTICE.c.data,
)
_UNBUNDLED = (_NOTICE.c.outbox_id.is_(None), _NOTICE.c.due_at <= sa.bindparam("now"))
_FIRST = (
    sa.select(*_NOTICE_COLUMNS)
    .where(*_UNBUNDLED)
    .order_by(_NOTICE.c.person_id, _NOTICE.c.id)
    .limit(sa.bindparam("limit"))
)
_REST_OF_ONE = (
    sa.select(*_NOTICE_COLUMNS)
    .where(
        *_UNBUNDLED,
        _NOTICE.c.person_id == sa.bindparam("person_id"),
        _NOTICE.c.id > sa.bindparam("after"),
    )
    .order_by(_NOTICE.c.id)
)
# On PostgreSQL a page is locked for its transaction; a second bundler passes over it.
_LOCKED = {
    False: (_FIRST, _REST_OF_ONE),
    True: (
        _FIRST.with_for_update(skip_locked=True),
        _REST_OF_ONE.with_for_update(skip_locked=True),
    ),
}


@dataclass(frozen=True)
class DuePage:
    """Notices due and in no email yet; `more` when others may remain after them."""

    notices: list[PendingNotice]
    more: bool


def page(connection: sa.Connection, now: datetime, size: int) -> DuePage:
    """The notices due by `now` in no email yet of the first people (by id) who have any:
    about `size` of them, and every one of each person's, so a person's reminders make one
    digest (more than `size` when one person alone has more)."""
    first, rest_of_one = _LOCKED[connection.dialect.name == "postgresql"]
    found = [PendingNotice(*row) for row in connection.execute(first, {"now": now, "limit": size})]
    if len(found) < size:
        return DuePage(found, more=False)
    last = found[-1].person_id
    whole = [notice for notice in found if notice.person_id != last]
    if whole:  # the last person's may go on: they start the next page
        return DuePage(whole, more=True)
    rest = connection.execute(rest_of_one, {"now": now, "person_id": last, "after": found[-1].id})
    return DuePage(found + [PendingNotice(*row) for row in rest], more=True)


# What the emails tell ---------------------------------------------------------------------------

_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_EARLIER = _PROGRESS.alias("earlier")
_OWNER = _PERSON.alias("owner")
_NEWEST_PROGRESS = (
    sa.select(sa.func.max(_EARLIER.c.id))
    .where(_EARLIER.c.action_id == _ACTION.c.id)
    .correlate(_ACTION)
    .scalar_subquery()
)
_ACTIONS = (
    sa.select(
        _ACTION.c.id,
        _ACTION.c.description,
        _ACTION.c.target_date,
        _ACTION.c.state,
        _ACTION.c.rag,
        _ACTION.c.owner_id,
        _ACTION.c.heard_from_at,
        _OWNER.c.name.label("owner_name"),
        _PLAN.c.title.label("plan"),
        _PLAN.c.workflow,
        _PLAN.c.organisation,
        _THEME.c.title.label("theme"),
        _OBJECTIVE.c.text.label("objective"),
        _PROGRESS.c.text.label("progress"),
        _PROGRESS.c.created_at.label("progress_at"),
    )
    .select_from(
        _ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id)
        .join(_OBJECTIVE, _OBJECTIVE.c.id == _ACTION.c.objective_id)
        .join(_THEME, _THEME.c.id == _OBJECTIVE.c.theme_id)
        .outerjoin(_PROGRESS, _PROGRESS.c.id == _NEWEST_PROGRESS)
        .outerjoin(_OWNER, _OWNER.c.id == _ACTION.c.owner_id)
    )
    .where(_ACTION.c.id.in_(_IDS))
)
_REQUESTS = sa.select(_REQUEST).where(_REQUEST.c.id.in_(_IDS))
_PEOPLE = sa.select(
    _PERSON.c.id, _PERSON.c.name, _PERSON.c.email, _PERSON.c.reminder_delivery
).where(_PERSON.c.id.in_(_IDS))


def _by_id(
    connection: sa.Connection, statement: sa.Select[Any], ids: Collection[int]
) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = connection.execute(statement, {"ids": sorted(ids)}).mappings()
    return {row["id"]: dict(row) for row in rows}


def actions(connection: sa.Connection, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The actions `ids` by id, with their plan, theme, objective, owner's name and newest
    progress update (`progress`, `progress_at`)."""
    return _by_id(connection, _ACTIONS, ids)


def requests(connection: sa.Connection, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The approval requests `ids` by id, every column."""
    return _by_id(connection, _REQUESTS, ids)


def people(connection: sa.Connection, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The people `ids` by id: name, email and how they take reminders."""
    return _by_id(connection, _PEOPLE, ids)


def deputy_standing_in(
    connection: sa.Connection, member_id: int, organisation: str | None, today: date
) -> int | None:
    """The deputy standing in for the member on `today` who belongs with a plan of
    `organisation` (the latest named, if several), or None."""
    found = connection.execute(
        sa.select(_DEPUTY.c.deputy_id)
        .where(
            _DEPUTY.c.member_id == member_id,
            _DEPUTY.c.starts_on <= today,
            _DEPUTY.c.ends_on >= today,
            people_of(organisation, _DEPUTY.c.deputy_id),
        )
        .order_by(_DEPUTY.c.id.desc())
        .limit(1)
    ).first()
    return int(found[0]) if found else None


# Into emails ------------------------------------------------------------------------------------


def queue_email(
    session: Session,
    *,
    key: str,
    template: str,
    recipient: dict[str, Any],
    context: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> int:
    """Queue the email under `key` for `recipient` (a row of `people`); its outbox id, the
    existing row's when another bundler queued it first."""
    outbox_id = outbox.enqueue(
        session,
        key=key,
        template=template,
        recipient_email=recipient["email"],
        recipient_name=recipient["name"],
        person_id=recipient["id"],
        context=context,
        due_at=due_at,
        now=now,
    )
    return outbox.id_of(session.connection(), key) if outbox_id is None else outbox_id


# One statement for a whole page, run once per link: building a statement per email cost more
# than running it.
_LINK = (
    sa.update(_NOTICE)
    .where(_NOTICE.c.id == sa.bindparam("notice"))
    .values(outbox_id=sa.bindparam("email"))
)


def link(connection: sa.Connection, links: Sequence[tuple[int, int]]) -> None:
    """Record, for each (notice id, outbox id), that the notice goes in that email."""
    if links:
        connection.execute(_LINK, [{"notice": notice, "email": email} for notice, email in links])
