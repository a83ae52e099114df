"""What a plan import writes and looks up: new actions and their first progress in batches,
the actions earlier imports stored, and the directory that leads are matched against.

Imports are measured in thousands of rows a second, so the writes are Core statements built
once, taking rows of plain values; the ORM, not the disk, would be the cost of an import.
On SQLite those inserts skip even Core's per-value work (see `_insert_prepared`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import Action, Person, PersonAlias, ProgressUpdate
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
    if _prepares_values(connection.dialect):
        inserted = _insert_prepared(connection, _ACTION, rows, ("import_key", "id"))
        return {row[0]: row[1] for row in inserted}
    return {row[0]: row[1] for row in connection.execute(_INSERT_ACTIONS, list(rows))}


def insert_progress(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """Progress updates from a file: each row gives action_id, text and created_at."""
    if not rows:
        return
    connection = session.connection()
    if _prepares_values(connection.dialect):
        _insert_prepared(connection, _PROGRESS, rows)
    else:
        connection.execute(_INSERT_PROGRESS, list(rows))


# SQLite: the multi-row INSERT that Core sends, with the values prepared here ---------------------
#
# Core runs every value of every row through its column type's processor. An import's rows share
# most of theirs (its moment, four times an action; a few target dates; empty lists), so here
# each distinct value goes through the same processors once, and what is stored is the same
# (tests/integration/test_import_store.py compares the two). The SQL text is built once per
# shape and sent with `exec_driver_sql`, so SQLAlchemy's events and error handling still apply.
# PostgreSQL keeps Core's statements.


def _prepares_values(dialect: sa.Dialect) -> bool:
    return dialect.name == "sqlite" and dialect.insert_returning and dialect.paramstyle == "qmark"


def _insert_prepared(
    connection: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, object]],
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (all of the same columns), a page of rows a statement; what they return."""
    dialect = connection.dialect
    columns = tuple(rows[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    values = _prepared_values(processors, itemgetter(*columns), rows)
    per_statement = max(
        1,
        min(
            dialect.insertmanyvalues_page_size,
            dialect.insertmanyvalues_max_parameters // len(columns),
        ),
    )
    returned: list[tuple[Any, ...]] = []
    for start in range(0, len(values), per_statement):
        page = values[start : start + per_statement]
        sql = _multi_row_insert(dialect, table, columns, len(page), returning)
        result = connection.exec_driver_sql(sql, tuple(value for row in page for value in row))
        if returning:
            returned.extend(tuple(row) for row in result)
    return returned


def _prepared_values(
    processors: Sequence[Callable[[Any], Any] | None],
    values_of: Callable[[Mapping[str, object]], Any],
    rows: Sequence[Mapping[str, object]],
) -> list[list[object]]:
    """Each row's values as the database takes them, each distinct value processed once."""
    typed = [(index, process) for index, process in enumerate(processors) if process is not None]
    done: dict[tuple[int, object], object] = {}
    prepared = []
    for row in rows:
        out = list(values_of(row))
        for index, process in typed:
            value = out[index]
            if value is None:
                continue
            if isinstance(value, list | dict):
                if value:  # JSON with content: every row its own
                    out[index] = process(value)
                    continue
                key: tuple[int, object] = (index, type(value))
            else:
                key = (index, value)  # dates and moments: few, and often repeated
            found = done.get(key, done)
            if found is done:
                found = done[key] = process(value)
            out[index] = found
        prepared.append(out)
    return prepared


# A few shapes recur (full pages of one import's columns); the last page of each is one more.
@functools.lru_cache(maxsize=16)
def _multi_row_insert(
    dialect: sa.Dialect,
    table: sa.Table,
    columns: tuple[str, ...],
    count: int,
    returning: tuple[str, ...],
) -> str:
    quote = dialect.identifier_preparer.quote
    one_row = f"({', '.join('?' for _ in columns)})"
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in columns)}) VALUES {', '.join([one_row] * count)}"
    )
    if returning:
        sql += f" RETURNING {', '.join(quote(name) for name in returning)}"
    return sql
