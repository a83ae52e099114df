"""Audited, approved transitions per second on SQLite, against the bare commit floor.

Each action gets the full path a real approval takes: the owner's request (one transaction)
and a CMT member's decision applying the transition (another), each committed, each with its
audit events. The baseline, measured in the same run on an identical database, is the same
number of committed one-row updates through a SQLAlchemy ORM session (get, set, commit) —
what any application storing the new state would pay at the least. A Core-statement floor is
reported too, for reference.

    python benchmarks/transitions_bench.py [--actions 2000]

The last line of output is JSON with the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col

from improveflow.models import Action, Verdict
from improveflow.services import approvals, plans
from improveflow.services.approvals import ChangeStatus
from improveflow.services.context import Context
from improveflow.testing import add_plan, add_sample_people, make_context

OWNER = "owen@council.example"
APPROVER = "dana@council.example"


def _prepared(folder: Path, name: str, actions: int) -> tuple[Context, list[int]]:
    context = make_context(f"sqlite:///{folder / name}")
    add_sample_people(context)
    plan_id = add_plan(context)
    ids = [
        plans.add_action(
            context,
            plans.NewAction(
                plan_id=plan_id,
                theme="Benchmark",
                objective="Throughput",
                description=f"Action {number}",
                owner_email=OWNER,
            ),
        )
        for number in range(actions)
    ]
    return context, ids


def engine_run(context: Context, ids: list[int]) -> float:
    started = time.perf_counter()
    for action_id in ids:
        opened = approvals.request_change(context, action_id, "approve", by_email=OWNER)
        assert opened.request_id is not None
        decided = approvals.decide(context, opened.request_id, Verdict.APPROVE, by_email=APPROVER)
        assert decided.status is ChangeStatus.APPROVED
    return time.perf_counter() - started


def orm_floor(context: Context, ids: list[int]) -> float:
    engine = context.database.engine
    started = time.perf_counter()
    for action_id in ids:
        with Session(engine) as session:
            action = session.get(Action, action_id)
            assert action is not None
            action.state = "approved"
            action.version += 1
            session.commit()
    return time.perf_counter() - started


def core_floor(context: Context, ids: list[int]) -> float:
    statement = (
        sa.update(Action)
        .where(col(Action.id) == sa.bindparam("action_id"))
        .values(state="approved", version=Action.version + 1)
    )
    started = time.perf_counter()
    for action_id in ids:
        with context.database.engine.begin() as connection:
            connection.execute(statement, {"action_id": action_id})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine_ctx, engine_ids = _prepared(Path(folder), "engine.db", args.actions)
        floor_ctx, floor_ids = _prepared(Path(folder), "floor.db", args.actions)
        core_ctx, core_ids = _prepared(Path(folder), "core.db", args.actions)
        # Warm up caches and statement compilation on a few actions outside the timing.
        warm = 50
        engine_run(engine_ctx, engine_ids[:warm])
        orm_floor(floor_ctx, floor_ids[:warm])
        core_floor(core_ctx, core_ids[:warm])
        # Interleave the three in rounds, so a change in the machine's load (it is shared)
        # falls on all of them alike rather than on whichever ran last.
        engine_s = floor_s = core_s = 0.0
        rounds = 10
        step = (args.actions - warm) // rounds
        for number in range(rounds):
            chunk = slice(warm + number * step, warm + (number + 1) * step)
            engine_s += engine_run(engine_ctx, engine_ids[chunk])
            floor_s += orm_floor(floor_ctx, floor_ids[chunk])
            core_s += core_floor(core_ctx, core_ids[chunk])
        timed = step * rounds
        for context in (engine_ctx, floor_ctx, core_ctx):
            context.close()
    engine_per_s = timed / engine_s
    baseline_per_s = timed / floor_s
    core_per_s = timed / core_s
    print(f"actions timed:                 {timed}")
    print(f"engine (request + decision):   {engine_per_s:8.0f} approved transitions/s")
    print(f"baseline (ORM one-row commit): {baseline_per_s:8.0f} updates/s")
    print(f"reference (Core one-row commit): {core_per_s:6.0f} updates/s")
    print(f"engine costs {baseline_per_s / engine_per_s:.2f}x the ORM commit floor (target <= 3)")
    result = {
        "bench": "transitions",
        "actions": timed,
        "engine_per_s": round(engine_per_s, 1),
        "baseline_per_s": round(baseline_per_s, 1),
        "ratio": round(baseline_per_s / engine_per_s, 2),
        "core_per_s": round(core_per_s, 1),
        "ratio_vs_core": round(core_per_s / engine_per_s, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
