"""Many rows of one table in few statements, on SQLite with the values prepared here.

Imports write thousands of rows a second (actions, progress, their audit events). Core runs every
value of every row through its column type's processor; on SQLite `insert_prepared` sends the
multi-row INSERT Core would send, each distinct value processed once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

# SQLite: the multi-row INSERT that Core sends, with the values prepared here ---------------------
#
# Core runs every value of every row through its column type's processor. An import's rows share
# most of theirs (its moment, four times an action; a few target dates; empty lists), so here
# each distinct value goes through the same processors once, and what is stored is the same
# (tests/integration/test_import_store.py compares the two). The SQL text is built once per
# shape and sent with `exec_driver_sql`, so SQLAlchemy's events and error handling still apply.
# PostgreSQL keeps Core's statements.


def prepares_values(dialect: sa.Dialect) -> bool:
    return dialect.name == "sqlite" and dialect.insert_returning and dialect.paramstyle == "qmark"


def insert_prepared(
    connection: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, object]],
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (all of the same columns), a page of rows a statement; what they return."""
    dialect = connection.dialect
    columns = tuple(rows[0])
    values = _prepared_values(_processors(dialect, table, columns), itemgetter(*columns), rows)
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


# Made once per table and columns: an audit event is written this way too, two to a decision,
# and building the processors each time cost more than inserting the row.
@functools.lru_cache(maxsize=64)
def _processors(
    dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    )


def _prepared_values(
    processors: Sequence[Callable[[Any], Any] | None],
    values_of: Callable[[Mapping[str, object]], Any],
    rows: Sequence[Mapping[str, object]],
) -> list[list[object]]:
    """Each row's values as the database takes them, each distinct value processed once."""
    typed = [(index, process) for index, process in enumerate(processors) if process is not None]
    done: dict[tuple[object, ...], object] = {}
    prepared = []
    for row in rows:
        out = list(values_of(row))
        for index, process in typed:
            value = out[index]
            if value is None:
                continue
            key: tuple[object, ...]
            if isinstance(value, list | dict):
                if not value:
                    key = (index, type(value))
                elif isinstance(value, list) and all(type(item) is str for item in value):
                    key = (index, list, *value)  # reasons to review: the same few, often
                else:  # other JSON with content: every row its own
                    out[index] = process(value)
                    continue
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
