"""The Core tables behind the models, and statements every store shares."""

from __future__ import annotations

import functools
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a model, for prebuilt statements."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


def insert_or_ignore(
    session: Session, table: sa.Table, values: dict[str, object], returning: sa.Column[int]
) -> int | None:
    """Insert a row unless it would break a unique constraint; its id, or None if ignored.

    How two sweeps (or two workers) decide the same thing without duplicating it.
    """
    connection = session.connection()
    statement = _insert_or_ignore(connection.dialect.name, table, tuple(sorted(values)), returning)
    found = connection.execute(statement, values).scalar_one_or_none()
    return int(found) if found is not None else None


@functools.cache
def _insert_or_ignore(
    dialect: str, table: sa.Table, columns: tuple[str, ...], returning: sa.Column[int]
) -> sa.Insert:
    # Built once per shape: constructing the statement cost more than running it.
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    bound = {name: sa.bindparam(name, type_=table.c[name].type) for name in columns}
    return dialect_insert(table).values(bound).on_conflict_do_nothing().returning(returning)
