"""Two people deciding the same request at the same moment, from two processes."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier

import pytest
from sqlalchemy.exc import IntegrityError

from improveflow import exceptions
from improveflow.models import ApprovalRequest, Verdict
from improveflow.services import approvals, views
from improveflow.services.context import Context
from improveflow.testing import add_action, add_plan, add_sample_people, make_context

ROUNDS = 15


def _decide_each(url: str, decider: str, request_ids: list[int], barrier: Barrier) -> list[str]:
    context = make_context(url, migrate=False)
    outcomes = []
    try:
        for request_id in request_ids:
            barrier.wait(timeout=60)
            try:
                approvals.decide(context, request_id, Verdict.APPROVE, by_email=decider)
                outcomes.append("approved")
            except exceptions.AlreadyDecided:
                outcomes.append("already decided")
    finally:
        context.close()
    return outcomes


def _worker(url: str, decider: str, ids: list[int], barrier: Barrier, results: object) -> None:
    results.put((decider, _decide_each(url, decider, ids, barrier)))  # type: ignore[attr-defined]


def test_two_processes_one_outcome(ctx: Context) -> None:
    """Of two CMT members approving at once, exactly one succeeds and the action moves once."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    action_ids, request_ids = [], []
    for number in range(ROUNDS):
        action_id = add_action(ctx, plan_id, f"Action {number}")
        opened = approvals.request_change(
            ctx, action_id, "approve", by_email="owen@council.example"
        )
        assert opened.request_id is not None
        action_ids.append(action_id)
        request_ids.append(opened.request_id)

    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results = spawn.Queue()
    workers = [
        spawn.Process(target=_worker, args=(ctx.database.url, who, request_ids, barrier, results))
        for who in ("dana@council.example", "sam@council.example")
    ]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    for round_number in range(ROUNDS):
        pair = sorted(outcomes[who][round_number] for who in outcomes)
        assert pair == ["already decided", "approved"], f"round {round_number}: {pair}"
    for action_id in action_ids:
        detail = views.action_detail(ctx, action_id)
        assert (detail["state"], detail["version"]) == ("approved", 2)
        assert [h["event"] for h in detail["history"]].count("transition") == 1


def test_database_keeps_one_pending_request_per_action(ctx: Context) -> None:
    """Even a writer that skips the service's check cannot store a second pending request."""
    add_sample_people(ctx)
    action_id = add_action(ctx, add_plan(ctx))
    first = approvals.request_change(ctx, action_id, "approve", by_email="owen@council.example")
    with pytest.raises(IntegrityError), ctx.database.writing() as session:
        session.add(
            ApprovalRequest(
                action_id=action_id,
                transition="defer",
                requester_id=1,
                body="Cabinet",
                created_at=ctx.clock.now(),
            )
        )
    assert [row["id"] for row in views.approval_rows(ctx)] == [first.request_id]
