"""Sweep time over 10,000 / 100,000 / 1,000,000 stored actions, of which a fixed 1,000 are due.

The sweep reads only the narrow indexed ranges that can hold anything due, so its time should
follow the number due, not the number stored. Each database holds a realistic mix: actions
complete long ago, targets far in the future, ongoing actions heard from lately, overdue ones
already escalated to the top level, and exactly 1,000 whose 5-working-day reminder is due.
Baseline, measured in the same run on the same databases: a naive sweep that reads every
open action and asks the same pure planner about each one.

    python benchmarks/sweep_bench.py [--sizes 10000,100000,1000000]

The last line of output is JSON; `sweep_1m_s` is the sweep over a million actions.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from improveflow.calendar import LONDON
from improveflow.models import Action
from improveflow.reminders import SweepPlanner
from improveflow.services import plans, sweep
from improveflow.services.context import Context
from improveflow.stores.tables import table_of
from improveflow.testing import add_plan, add_sample_people, make_context

DUE = 1000
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)  # a Monday
CHUNK = 50_000


def populate(context: Context, size: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    add_sample_people(context)
    plan_id = add_plan(context)
    with context.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Benchmark")
        objective_id = plans.find_or_add_objective(session, theme, "Throughput").id
    planner = SweepPlanner(context.workflows.workflow())
    due_target = planner.calendar.add_working_days(NOW.date(), 5)
    recent = NOW.astimezone(UTC) - timedelta(days=3)
    long_ago = NOW.astimezone(UTC) - timedelta(days=400)
    owner = 4  # Owen, from the sample people
    rows: list[dict[str, object]] = []
    table = table_of(Action)

    def flush() -> None:
        with context.database.writing() as session:
            session.connection().execute(sa.insert(table), rows)
        rows.clear()

    for number in range(size):
        kind = "due" if number < DUE else rng.choice(("complete", "future", "ongoing", "escalated"))
        state, target, heard, level = "in_progress", None, recent, 0
        if kind == "due":
            target = due_target
        elif kind == "complete":
            state, target, heard = (
                "complete",
                date(2024, 1, 1) + timedelta(days=rng.randrange(600)),
                long_ago,
            )
        elif kind == "future":
            target = date(2027, 1, 1) + timedelta(days=rng.randrange(700))
        elif kind == "escalated":
            target, level = date(2025, 6, 1) + timedelta(days=rng.randrange(200)), 3
        rows.append(
            {
                "plan_id": plan_id, "objective_id": objective_id, "description": f"Action {number}",
                "owner_id": owner, "state": state, "target_date": target, "heard_from_at": heard,
                "quiet_since": heard, "escalation_level": level, "version": 1,
                "created_at": long_ago, "updated_at": long_ago,
            }
        )  # fmt: skip
        if len(rows) >= CHUNK:
            flush()
    if rows:
        flush()
    with context.database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


def naive_sweep(context: Context) -> int:
    """What the sweep avoids: read every open action and ask the planner about each."""
    planner = SweepPlanner(context.workflows.workflow())
    table = table_of(Action)
    due = 0
    with context.database.reading() as session:
        result = (
            session.connection()
            .execution_options(yield_per=10_000)
            .execute(
                sa.select(table.c.id, table.c.target_date).where(table.c.state.in_(planner.states))
            )
        )
        for _, target in result:
            if target is not None and planner.due_reminder(target, NOW) is not None:
                due += 1
    return due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            context = make_context(f"sqlite:///{Path(folder) / f'sweep_{size}.db'}")
            started = time.perf_counter()
            populate(context, size)
            built = time.perf_counter() - started
            started = time.perf_counter()
            naive_due = naive_sweep(context)
            naive_s = time.perf_counter() - started
            started = time.perf_counter()
            report = sweep.sweep(context, now=NOW)
            sweep_s = time.perf_counter() - started
            reminders = sum(d.kind == "reminder" for d in report.decisions)
            assert reminders == DUE == naive_due, (reminders, naive_due)
            label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"
            results[f"sweep_{label}_s"] = round(sweep_s, 3)
            results[f"naive_{label}_s"] = round(naive_s, 3)
            print(
                f"{size:>9,} actions ({built:5.1f} s to build): sweep {sweep_s:6.3f} s "
                f"({reminders} reminders, {report.emails_queued} emails), "
                f"naive full read {naive_s:6.3f} s"
            )
            context.close()
    smallest = f"sweep_{sizes[0] // 1000}k_s"
    for key in list(results):
        if key.startswith("sweep_"):
            results[key.replace("_s", "_vs_smallest")] = round(results[key] / results[smallest], 2)
    print(json.dumps({"bench": "sweep", "due": DUE, **results}))


if __name__ == "__main__":
    main()
