"""The import store's batched inserts store exactly what plain Core inserts store.

On SQLite the store prepares each distinct value once and sends its own multi-row INSERT; the
stored text of every column (dates, moments, JSON) must be the one SQLAlchemy itself writes,
and each id must come back under its row's import key, over more than one statement's worth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from improveflow.models import Action, ProgressUpdate
from improveflow.services import plans
from improveflow.services.context import Context
from improveflow.stores import imports
from improveflow.stores.tables import table_of
from improveflow.testing import add_plan

ROWS = 2_100  # more than one statement's worth on SQLite (at most 1,000 rows each)
NOW = datetime(2025, 6, 30, 16, 45, 12, 345_678, tzinfo=UTC)
COMPARED = [column.name for column in table_of(Action).c if column.name not in ("id", "import_key")]


def _rows(plan_id: int, objective_id: int, prefix: str) -> list[dict[str, object]]:
    """Rows as an import writes them: shared moments and dates, some JSON empty, some not."""
    rows: list[dict[str, object]] = []
    for n in range(ROWS):
        target = date(2025, 3, 31) + timedelta(days=n % 7)
        rows.append(
            {
                "plan_id": plan_id,
                "objective_id": objective_id,
                "description": f"Deliver improvement {n} for residents.",
                "owner_id": None,
                "lead_text": "Head of Finance" if n % 2 else None,
                "reference": f"IA{n}",
                "start_date": date(2024, 4, 1) if n % 3 else None,
                "target_date": target if n % 5 else None,
                "timescale_raw": "2024/25",
                "original_target_date": target - timedelta(days=90) if n % 4 == 0 else None,
                "completed_date": None,
                "priority": "High" if n % 2 else None,
                "status_text": None,
                "rag": "amber" if n % 3 == 0 else None,
                "details": {"Audit": f"Audit {n // 8}", "Note": "\u2013 caf\u00e9"}
                if n % 3
                else {},
                "milestones": (
                    [{"label": "Q1", "start_date": None, "target_date": "2025-06-30"}]
                    if n % 10 == 0
                    else []
                ),
                "recurrence": None,
                "measures": None,
                "body_hint": ["CMT"] if n % 6 == 0 else [],
                "needs_review": ["owner unresolved: no lead given"] if n % 2 == 0 else [],
                "source": f"tracker.xlsx:{n + 4}",
                "import_key": f"{prefix}{n:06d}",
                "state": "in_progress" if n % 2 else "not_started",
                "version": 1,
                "heard_from_at": NOW,
                "quiet_since": NOW,
                # A moment given in another zone is stored as the same instant in UTC.
                "created_at": NOW.astimezone(datetime.now().astimezone().tzinfo),
                "updated_at": NOW,
            }
        )
    return rows


def _stored(ctx: Context, prefix: str) -> list[tuple[object, ...]]:
    """The stored values as the driver returns them, without SQLAlchemy's conversions."""
    columns = ", ".join(COMPARED)
    with ctx.database.reading() as session:
        rows = session.connection().execute(
            sa.text(
                f"SELECT {columns} FROM action WHERE import_key LIKE :like ORDER BY import_key"
            ),
            {"like": f"{prefix}%"},
        )
        return [tuple(row) for row in rows]


def test_the_batched_insert_stores_what_core_stores_and_returns_every_id(ctx: Context) -> None:
    """Same stored text column by column; each returned id is its own row's."""
    plan_id = add_plan(ctx)
    with ctx.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Audit recommendations")
        objective = plans.find_or_add_objective(session, theme, "Controls")
        assert objective.id is not None
        objective_id = objective.id
    with ctx.database.writing() as session:
        ids = imports.insert_actions(session, _rows(plan_id, objective_id, "store-"))
        session.connection().execute(
            sa.insert(table_of(Action)), _rows(plan_id, objective_id, "core-")
        )

    by_store, by_core = _stored(ctx, "store-"), _stored(ctx, "core-")
    assert len(by_store) == ROWS
    assert by_store == by_core

    assert len(ids) == ROWS
    with ctx.database.reading() as session:
        table = table_of(Action)
        rows = session.connection().execute(sa.select(table.c.id, table.c.import_key))
        keys = {row[0]: row[1] for row in rows}
    assert all(keys[action_id] == key for key, action_id in ids.items())


def test_progress_from_a_file_is_stored_as_core_stores_it(ctx: Context) -> None:
    """Each action's first progress, its moment shared by every row, reads back the same."""
    plan_id = add_plan(ctx)
    with ctx.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Audit recommendations")
        objective = plans.find_or_add_objective(session, theme, "Controls")
        assert objective.id is not None
        ids = imports.insert_actions(session, _rows(plan_id, objective.id, "a-"))
    by_key = sorted(ids.items())
    store_rows = [
        {"action_id": action_id, "text": f"Update {n} \u2013 on track.", "created_at": NOW}
        for n, (_, action_id) in enumerate(by_key)
    ]
    core_rows = [{**row, "text": f"Core {row['text']}"} for row in store_rows]
    with ctx.database.writing() as session:
        imports.insert_progress(session, store_rows)
        session.connection().execute(sa.insert(table_of(ProgressUpdate)), core_rows)
        imports.insert_progress(session, [])

    with ctx.database.reading() as session:
        stored = session.connection().execute(
            sa.text(
                "SELECT action_id, text, created_at, author_id FROM progress_update ORDER BY id"
            )
        )
        rows = [tuple(row) for row in stored]
    assert len(rows) == 2 * ROWS
    by_store, by_core = rows[:ROWS], rows[ROWS:]
    assert [(a, f"Core {t}", at, who) for a, t, at, who in by_store] == by_core


def test_an_empty_batch_inserts_nothing(ctx: Context) -> None:
    """No rows, no statement and no ids."""
    with ctx.database.writing() as session:
        assert imports.insert_actions(session, []) == {}
