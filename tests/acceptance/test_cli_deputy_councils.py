"""`improveflow deputies add` refuses a deputy from another council than the member's, through
the real command: exit 1, the reason on stderr, and no deputy listed afterwards; a deputy from
the member's own council is named as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import Cli
from two_councils import NORTHSHIRE, SOUTHSHIRE, directory

from improveflow.services import people
from improveflow.testing import make_context


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    """The command on a database holding both councils' people, SQLite file or PostgreSQL."""
    context = make_context(database_url)
    try:
        people.import_people(context, directory())
    finally:
        context.close()
    runner = Cli(tmp_path)
    runner.env["IMPROVEFLOW_DATABASE_URL"] = database_url
    return runner


def test_deputies_add_refuses_a_deputy_from_another_council(cli: Cli) -> None:
    """Southshire's Ade for Northshire's Dana: refused with both councils named; Northshire's
    Sam for Dana: named; only Sam is listed."""
    dates = ("--from", "2014-06-01", "--to", "2014-06-30")
    refused = cli("deputies", "add", NORTHSHIRE.cmt[0], SOUTHSHIRE.admin, *dates, expect=1)
    assert refused.out == ""
    assert refused.err.strip() == (
        "Error: Ade Bello cannot be Dana Reeve's deputy: Ade Bello works for Southshire and "
        "Dana Reeve for Northshire. A deputy must work for the same council as the member "
        "they stand in for"
    )
    named = cli("deputies", "add", NORTHSHIRE.cmt[0], NORTHSHIRE.cmt[1], *dates)
    assert "named from 01 June 2014 to 30 June 2014" in named.out
    listed = cli("deputies", "list", "--json").json()
    assert [(row["member"], row["deputy"]) for row in listed] == [("Dana Reeve", "Sam Patel")]
