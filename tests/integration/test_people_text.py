"""People no email can reach are refused: control characters, NULs, endless names (both DBs)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from improveflow import exceptions
from improveflow.importers.people_file import read_people_file
from improveflow.models import Person
from improveflow.services import people
from improveflow.services.context import Context
from improveflow.stores.tables import table_of


def _import(ctx: Context, folder: Path, name: str) -> None:
    path = folder / "people.csv"
    path.write_text(
        "name,email,aliases\n"
        "Dana Reeve,dana@council.example,Chief Executive\n"
        f'"{name}",owen@council.example,Head of Finance\n',
        encoding="utf-8",
    )
    people.import_people(ctx, read_people_file(path))


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Owen\x07 Marsh", "contains a control character (U+0007)"),
        ("Owen \x1b[31mMarsh", "contains a control character (U+001B)"),
        ("Owen\x00Marsh", "contains a control character (U+0000)"),
        ("O" * 100_000, "is too long (100,000 characters; at most 200)"),
    ],
    ids=["bel", "esc", "nul", "100k"],
)
def test_a_name_no_email_can_carry_is_refused_with_file_line_and_field(
    ctx: Context, tmp_path: Path, name: str, problem: str
) -> None:
    """The whole file is refused, naming line 3 and the name field; nobody is written."""
    with pytest.raises(exceptions.InvalidValue) as refused:
        _import(ctx, tmp_path, name)
    assert str(refused.value) == f"{tmp_path / 'people.csv'}:3: the name {problem}" + (
        ": remove it and import again" if "control" in problem else ""
    )
    with ctx.database.reading() as session:
        count = session.connection().execute(sa.select(sa.func.count()).select_from(Person))
        assert count.scalar_one() == 0


def test_an_alias_with_a_control_character_is_refused(ctx: Context, tmp_path: Path) -> None:
    """Job titles are matched against plans and shown in emails: the same rule applies."""
    path = tmp_path / "people.yaml"
    path.write_text(
        '- name: Owen Marsh\n  email: owen@council.example\n  aliases: ["Head of\\x1bFinance"]\n',
        encoding="utf-8",
    )
    with pytest.raises(exceptions.InvalidValue, match=r"people.yaml:1: the alias \(job title\)"):
        people.import_people(ctx, read_people_file(path))


def test_line_breaks_and_tabs_in_a_name_are_tidied_not_refused(
    ctx: Context, tmp_path: Path
) -> None:
    """A name typed across two lines of a spreadsheet cell is one name, not an error."""
    _import(ctx, tmp_path, "Owen\n\tMarsh")
    with ctx.database.reading() as session:
        names = session.connection().execute(sa.select(table_of(Person).c.name)).scalars()
        assert sorted(names) == ["Dana Reeve", "Owen Marsh"]


@pytest.mark.parametrize("name", ["Owen\x07Marsh", "O" * 201], ids=["bel", "201"])
def test_the_database_itself_refuses_what_the_service_refuses(ctx: Context, name: str) -> None:
    """A script writing straight to the table meets the same rule (a check, not only Python)."""
    row = {"name": name, "email": "x@council.example", "reminder_delivery": "immediate"}
    with pytest.raises(DBAPIError), ctx.database.writing() as session:
        session.connection().execute(
            sa.insert(table_of(Person)), {**row, "created_at": datetime.now(UTC)}
        )
