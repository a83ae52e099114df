"""What a plan import writes and looks up: new actions and their first progress in batches,
the actions earlier imports stored, and the directory that leads are matched against.

Imports are measured in thousands of rows a second, so the writes are Core statements built
once, taking rows of plain values; the ORM, not the disk, would be the cost of an import.
On SQLite those inserts skip even Core's per-value work (see `stores.bulk`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, Person, PersonAlias, ProgressUpdate
from improveflow.stores.bulk import insert_prepared, prepares_values
from improveflow.stores.people.councils import people_of
from improveflow.stores.tables import table_of

_ACTION = table_of(Action)
_PROGRESS = table_of(ProgressUpdate)
_PERSON = table_of(Person)
_ALIAS = table_of(PersonAlias)


@dataclass(frozen=True)
class DirectoryPerson:
    """A person as lead matching needs them: who they are and every name they go by."""

    person_id: int
    email: str
    name: str
    aliases: tuple[str, ...]


_ALIASES = sa.select(_ALIAS.c.person_id, _ALIAS.c.alias).order_by(_ALIAS.c.id)
_PEOPLE = sa.select(_PERSON.c.id, _PERSON.c.email, _PERSON.c.name).order_by(_PERSON.c.id)


def lead_directory(session: Session, organisation: str | None) -> list[DirectoryPerson]:
    """The people a plan of `organisation` may name as leads (`people_of`), with their aliases."""
    connection = session.connection()
    aliases: dict[int, list[str]] = {}
    for person_id, alias in connection.execute(_ALIASES):
        aliases.setdefault(person_id, []).append(alias)
    return [
        DirectoryPerson(person_id, email, name, tuple(aliases.get(person_id, ())))
        for person_id, email, name in connection.execute(_PEOPLE.where(people_of(organisation)))
    ]


@dataclass(frozen=True)
class StoredAction:
    """What the database holds for an action imported before."""

    id: int
    state: str
    lead_text: str | None
    timescale_raw: str | None
    target_date: date | None
    owner_id: int | None


_IMPORTED_ACTIONS = sa.select(
    _ACTION.c.import_key, _ACTION.c.id, _ACTION.c.state, _ACTION.c.lead_text,
    _ACTION.c.timescale_raw, _ACTION.c.target_date, _ACTION.c.owner_id,
).where(
    _ACTION.c.plan_id == sa.bindparam("plan_id"), _ACTION.c.import_key.is_not(None)
)  # fmt: skip


def imported_actions(session: Session, plan_id: int) -> dict[str, StoredAction]:
    """The plan's actions that came from a file, by import key."""
    rows = session.connection().execute(_IMPORTED_ACTIONS, {"plan_id": plan_id})
    return {row[0]: StoredAction(*row[1:]) for row in rows}


# The newest progress update without an author (one that came from a file) of each action.
_NEWEST_FROM_FILE = (
    sa.select(sa.func.max(_PROGRESS.c.id))
    .join(_ACTION, _ACTION.c.id == _PROGRESS.c.action_id)
    .where(_ACTION.c.plan_id == sa.bindparam("plan_id"), _PROGRESS.c.author_id.is_(None))
    .group_by(_PROGRESS.c.action_id)
)
_LATEST_FILE_PROGRESS = sa.select(_PROGRESS.c.action_id, _PROGRESS.c.text).where(
    _PROGRESS.c.id.in_(_NEWEST_FROM_FILE)
)


def latest_file_progress(session: Session, plan_id: int) -> dict[int, str]:
    """The progress text each of the plan's actions last had from a file (imports have no author).

    An owner's own later update is not the file's, so it is not what a re-import compares with.
    """
    rows = session.connection().execute(_LATEST_FILE_PROGRESS, {"plan_id": plan_id})
    return {row[0]: row[1] for row in rows}


# Matched by import key, unique within a plan: asking the database to return ids in parameter
# order makes SQLite insert one row per statement.
_INSERT_ACTIONS = sa.insert(_ACTION).returning(_ACTION.c.import_key, _ACTION.c.id)
_INSERT_PROGRESS = sa.insert(_PROGRESS)


def insert_actions(session: Session, rows: Sequence[Mapping[str, object]]) -> dict[str, int]:
    """Insert new imported actions in as few statements as the database allows; ids by key.

    Every row gives the same columns, among them a distinct `import_key`.
    """
    if not rows:
        return {}
    connection = session.connection()
    if prepares_values(connection.dialect):
        inserted = insert_prepared(connection, _ACTION, rows, ("import_key", "id"))
        return {row[0]: row[1] for row in inserted}
    return {row[0]: row[1] for row in connection.execute(_INSERT_ACTIONS, list(rows))}


def insert_progress(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """Progress updates from a file: each row gives action_id, text and created_at."""
    if not rows:
        return
    connection = session.connection()
    if prepares_values(connection.dialect):
        insert_prepared(connection, _PROGRESS, rows)
    else:
        connection.execute(_INSERT_PROGRESS, list(rows))
