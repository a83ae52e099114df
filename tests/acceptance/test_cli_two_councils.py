"""Two councils on one installation, through the real `improveflow` command: acting as a person
of one council on the other's action or request is refused in the words used for one that does
not exist, and `sweep --dry-run` lists nobody of the other council for a council's actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli_runner import Cli
from two_councils import (
    LGA_LEAD,
    NORTHSHIRE,
    SOUTHSHIRE,
    TwoCouncils,
    add_two_councils,
    name_of,
)

from improveflow.clock import FrozenClock
from improveflow.models import Action, ApprovalRequest, Decision, ProgressUpdate
from improveflow.stores.tables import table_of
from improveflow.testing import DEFAULT_MOMENT, make_context

MISSING = 999_999


@pytest.fixture
def councils(database_url: str) -> Iterator[TwoCouncils]:
    context = make_context(database_url, clock=FrozenClock(DEFAULT_MOMENT))
    try:
        yield add_two_councils(context)
    finally:
        context.close()


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    """The command on the same database as `councils`, SQLite file or PostgreSQL."""
    runner = Cli(tmp_path)
    runner.env["IMPROVEFLOW_DATABASE_URL"] = database_url
    return runner


# What Southshire's people try on Northshire's actions and requests: the command, with {} for
# the field of TwoCouncils naming the Northshire id, and what a missing id is told.
_ATTEMPTS = {
    "progress": (
        ("action", "update", "{north_in_progress}", "--progress", "Reviewed", "--rag", "red",
         "--as", SOUTHSHIRE.lead),
        "No action with id",
    ),
    "change request": (
        ("action", "request", "{north_in_progress}", "defer", "--reason", "It can wait",
         "--as", SOUTHSHIRE.lead),
        "No action with id",
    ),
    "state change": (
        ("action", "request", "{north_approved}", "start", "--as", SOUTHSHIRE.admin),
        "No action with id",
    ),
    "approval": (
        ("approvals", "approve", "{north_request}", "--as", SOUTHSHIRE.cmt[0]),
        "No approval request with id",
    ),
    "rejection": (
        ("approvals", "reject", "{north_request}", "--comment", "Not for Northshire",
         "--as", SOUTHSHIRE.cmt[1]),
        "No approval request with id",
    ),
    "withdrawal": (
        ("approvals", "withdraw", "{north_request}", "--as", SOUTHSHIRE.lead),
        "No approval request with id",
    ),
    # A decided request would say who decided it and when: not to another council.
    "decision on a decided request": (
        ("approvals", "approve", "{north_decided_request}", "--as", SOUTHSHIRE.cmt[0]),
        "No approval request with id",
    ),
}  # fmt: skip


def _stored(councils: TwoCouncils) -> tuple[int, int, int, list[tuple[int, str]]]:
    """Progress updates, approval requests and decisions stored, and every action's state."""
    with councils.ctx.database.reading() as session:
        connection = session.connection()
        count = sa.select(sa.func.count())
        action = table_of(Action)
        return (
            connection.execute(count.select_from(table_of(ProgressUpdate))).scalar_one(),
            connection.execute(count.select_from(table_of(ApprovalRequest))).scalar_one(),
            connection.execute(count.select_from(table_of(Decision))).scalar_one(),
            [
                (row.id, row.state)
                for row in connection.execute(
                    sa.select(action.c.id, action.c.state).order_by(action.c.id)
                )
            ],
        )


@pytest.mark.parametrize(("command", "missing"), _ATTEMPTS.values(), ids=_ATTEMPTS.keys())
def test_another_councils_action_or_request_is_refused_as_missing(
    cli: Cli, councils: TwoCouncils, command: tuple[str, ...], missing: str
) -> None:
    """Acting as a Southshire person on a Northshire action or request exits 1 with exactly
    the words an id that does not exist gets ('No action with id ...', 'No approval request
    with id ...'), and stores nothing: no update, request or decision, no state moved."""
    before = _stored(councils)
    real = next(str(getattr(councils, arg[1:-1])) for arg in command if arg.startswith("{"))
    other_councils = cli(*(real if arg.startswith("{") else arg for arg in command), expect=1)
    absent = cli(*(str(MISSING) if arg.startswith("{") else arg for arg in command), expect=1)
    assert other_councils.out == absent.out == ""
    assert other_councils.err.strip() == f"Error: {missing} {real}"
    assert absent.err.strip() == f"Error: {missing} {MISSING}"
    assert _stored(councils) == before


def _due_rows(text: str) -> list[list[str]]:
    """The cells of each row of the 'Due now' table: what, action, request, to, why."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 5 and cells[0] not in ("what", ""):
            rows.append(cells)
    return rows


def test_sweep_dry_run_lists_only_each_councils_own_people(cli: Cli, councils: TwoCouncils) -> None:
    """Five weeks past the target date, `sweep --dry-run` escalates each council's actions to
    its own owner, CMT, Cabinet and lead, and to the LGA's lead who follows both; no line
    names a person of the other council."""
    shown = cli("sweep", "--dry-run", "--now", "2014-08-05T10:00").out
    assert "would be decided" in shown
    north_actions = {
        councils.north_in_progress,
        councils.north_approved,
        councils.north_decided,
        councils.north_waiting,
    }
    told: dict[str, set[tuple[str, str]]] = {"north": set(), "south": set()}
    for what, action, _request, to, _why in _due_rows(shown):
        told["north" if int(action) in north_actions else "south"].add((what, to))
    for council, ours in (("north", NORTHSHIRE), ("south", SOUTHSHIRE)):
        people = (ours.everyone - {ours.admin}) | {LGA_LEAD}
        labels = {f"{name_of(email)} <{email}>" for email in people}
        assert {to for _, to in told[council]} == labels, council
        # CMT hears of the slip as an escalation: its own council's CMT.
        assert ("escalation", f"{name_of(ours.cmt[0])} <{ours.cmt[0]}>") in told[council]
