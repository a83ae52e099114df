"""The approvals queue and a plan's dashboard on 100,000 actions, against a static-page baseline.

Builds a SQLite database of one plan with `--actions` actions (with progress, a history of state
changes in the audit log, pending approval requests and open escalations), serves the app with
uvicorn on a free loopback port in this process, signs in a CMT member, and times sequential
requests over one keep-alive connection: the help page (no database work: the baseline), the
approvals queue and the plan's dashboard. Targets: queue and dashboard p95 under 100 ms.

    python benchmarks/web_bench.py [--actions 100000] [--requests 300]

The last line of output is JSON with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn

from improveflow import audit, audit_events
from improveflow.models import Action, ApprovalRequest, Escalation, Objective, ProgressUpdate, Theme
from improveflow.services import sessions
from improveflow.services.context import Context
from improveflow.stores import people as people_store
from improveflow.stores import tables
from improveflow.testing import add_plan, add_sample_people, make_context
from improveflow.testing.smtp import free_port
from improveflow.web.app import create_app

SECRET = "web-bench-signing-key-0123456789"
NOW = datetime(2016, 3, 1, 10, 0, tzinfo=UTC)
STATES = (
    ("drafted", 0.10),
    ("approved", 0.20),
    ("in_progress", 0.55),
    ("complete", 0.10),
    ("deferred", 0.05),
)
# How each state is reached from "drafted", for the audit log's history.
PATHS = {
    "drafted": [],
    "approved": ["approved"],
    "in_progress": ["approved", "in_progress"],
    "complete": ["approved", "in_progress", "complete"],
    "deferred": ["approved", "deferred"],
}
TRIGGERS = {
    "approved": "approve",
    "in_progress": "start",
    "complete": "complete",
    "deferred": "defer",
}
LEADS = ["Head of Finance", "Chief Executive", "HRMT", "Head of Business Transformation"]


def build(ctx: Context, actions: int, pending: int, escalated: int, seed: int = 11) -> int:
    """One plan of `actions` actions written with Core in bulk; returns the plan's id."""
    rng = random.Random(seed)
    add_sample_people(ctx)
    plan_id = add_plan(ctx, "Benchmark Borough Peer Challenge Plan")
    with ctx.database.reading() as session:
        owners = [people_store.person_by_email(session, e).id for e in ("owen@council.example",)]
        owners.append(people_store.person_by_email(session, "priya@council.example").id)
        owen = owners[0]
    theme_t, objective_t = tables.table_of(Theme), tables.table_of(Objective)
    action_t, progress_t = tables.table_of(Action), tables.table_of(ProgressUpdate)
    request_t, escalation_t = tables.table_of(ApprovalRequest), tables.table_of(Escalation)
    names, weights = zip(*STATES, strict=True)
    with ctx.database.writing() as session:
        connection = session.connection()
        objective_ids = []
        for t in range(10):
            theme_id = connection.execute(
                sa.insert(theme_t).values(plan_id=plan_id, title=f"Theme {t + 1}", position=t)
            ).inserted_primary_key[0]  # type: ignore[index]
            for o in range(10):
                objective_ids.append(
                    connection.execute(
                        sa.insert(objective_t).values(
                            theme_id=theme_id, text=f"Challenge {t + 1}.{o + 1}", position=o
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                )
        rows = []
        for n in range(actions):
            created = NOW - timedelta(days=rng.randint(30, 400))
            rows.append(
                {
                    "plan_id": plan_id,
                    "objective_id": objective_ids[n * len(objective_ids) // actions],
                    "description": f"Deliver improvement {n} for residents",
                    "owner_id": rng.choice(owners),
                    "lead_text": rng.choice(LEADS),
                    "target_date": date(2016, 1, 1) + timedelta(days=rng.randint(-200, 400)),
                    "state": rng.choices(names, weights)[0],
                    "rag": rng.choice(["green", "amber", "red", None]),
                    "escalation_level": 0,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                    "heard_from_at": created,
                    "quiet_since": created,
                }
            )
        ids = [
            row[0]
            for row in connection.execute(
                sa.insert(action_t).returning(action_t.c.id, sort_by_parameter_order=True), rows
            )
        ]
        connection.execute(
            sa.insert(progress_t),
            [
                {
                    "action_id": i,
                    "text": f"Work on improvement {i} is going to plan.",
                    "rag": row["rag"],
                    "author_id": row["owner_id"],
                    "created_at": row["created_at"] + timedelta(days=20),
                }
                for i, row in zip(ids, rows, strict=True)
                if i % 2
            ],
        )
        # The audit log: each action created, then moved along its path over the next weeks.
        events: list[tuple[datetime, int, audit_events.Event]] = []
        for i, row in zip(ids, rows, strict=True):
            added = audit_events.ActionCreated(
                action_id=i, actor_id=None, state="drafted", plan_id=plan_id,
                description=str(row["description"]),
            )  # fmt: skip
            events.append((row["created_at"], i, added))
            at, state = row["created_at"], "drafted"
            for step in PATHS[row["state"]]:
                at += timedelta(days=rng.randint(3, 40))
                moved = audit_events.TransitionApplied(
                    action_id=i, actor_id=owen, from_state=state, to_state=step, reason=None,
                    transition=TRIGGERS[step],
                )  # fmt: skip
                events.append((min(at, NOW), i, moved))
                state = step
        events.sort(key=lambda e: (e[0], e[1]))
        for at, _, event in events:
            audit.record(session, event, at=at)
        in_progress = [i for i, row in zip(ids, rows, strict=True) if row["state"] == "in_progress"]
        chosen = rng.sample(in_progress, pending + escalated)
        connection.execute(
            sa.insert(request_t),
            [
                {
                    "action_id": i,
                    "transition": "complete",
                    "requester_id": owen,
                    "body": "CMT",
                    "quorum": 1,
                    "reason": "All done",
                    "status": "pending",
                    "version": 1,
                    "created_at": NOW - timedelta(hours=n),
                }
                for n, i in enumerate(chosen[:pending])
            ],
        )
        connection.execute(
            sa.insert(escalation_t),
            [
                {
                    "action_id": i,
                    "level": 1 + n % 3,
                    "reason": "overdue",
                    "target_date": date(2016, 1, 15),
                    "raised_at": NOW - timedelta(days=n % 30),
                }
                for n, i in enumerate(chosen[pending:])
            ],
        )
        # As the sweep does: each action mirrors its highest open escalation level.
        connection.execute(
            sa.update(action_t)
            .where(action_t.c.id == sa.bindparam("action_id"))
            .values(escalation_level=sa.bindparam("level")),
            [{"action_id": i, "level": 1 + n % 3} for n, i in enumerate(chosen[pending:])],
        )
    return plan_id


def timed(connection: http.client.HTTPConnection, path: str, cookie: str) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
    return elapsed


def measure(port: int, path: str, cookie: str, requests: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    first = timed(connection, path, cookie)
    for _ in range(10):
        timed(connection, path, cookie)
    started = time.perf_counter()
    samples = [timed(connection, path, cookie) for _ in range(requests)]
    total = time.perf_counter() - started
    connection.close()
    samples.sort()
    return {
        "first_ms": first * 1000,
        "p50_ms": statistics.median(samples) * 1000,
        "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000,
        "max_ms": samples[-1] * 1000,
        "rps": requests / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pending", type=int, default=500)
    parser.add_argument("--escalated", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        from improveflow.clock import FrozenClock

        port = free_port()
        ctx = make_context(
            f"sqlite:///{Path(folder) / 'web.db'}",
            clock=FrozenClock(NOW),
            secret_key=SECRET,
            base_url=f"http://127.0.0.1:{port}",
        )
        started = time.perf_counter()
        plan_id = build(ctx, args.actions, args.pending, args.escalated)
        build_s = time.perf_counter() - started
        app = create_app(ctx)
        with ctx.database.reading() as session:
            dana = people_store.person_by_email(session, "dana@council.example").id
        assert dana is not None
        session_key = sessions.start_session(ctx, dana).key
        cookie = f"improveflow_session={app.state.web.cookies.dumps(session_key)}"
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            results: dict[str, Any] = {
                name: measure(port, path, cookie, args.requests)
                for name, path in (
                    ("static", "/help"),
                    ("queue", "/approvals"),
                    ("dashboard", f"/plans/{plan_id}/dashboard"),
                )
            }
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            ctx.close()

    print(f"database: {args.actions:,} actions, {args.pending} pending requests, "
          f"{args.escalated} open escalations (built in {build_s:.1f} s)")  # fmt: skip
    print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>8} {'first ms':>9}")
    for name, r in results.items():
        print(
            f"{name:<10} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} "
            f"{r['rps']:>8.0f} {r['first_ms']:>9.1f}"
        )
    static_rps = results["static"]["rps"]
    summary = {
        "bench": "web",
        "actions": args.actions,
        "requests": args.requests,
        "queue_p95_ms": round(results["queue"]["p95_ms"], 2),
        "dashboard_p95_ms": round(results["dashboard"]["p95_ms"], 2),
        "static_p95_ms": round(results["static"]["p95_ms"], 2),
        "queue_rps": round(results["queue"]["rps"], 1),
        "dashboard_rps": round(results["dashboard"]["rps"], 1),
        "static_rps": round(static_rps, 1),
        "queue_of_static": round(results["queue"]["rps"] / static_rps, 3),
        "dashboard_of_static": round(results["dashboard"]["rps"] / static_rps, 3),
        "dashboard_first_ms": round(results["dashboard"]["first_ms"], 1),
        "build_s": round(build_s, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
