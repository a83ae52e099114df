"""The sweep's approval chasers: members who have not decided are reminded after three working
days, then the chair; a deputy stands in for an absent member."""

from __future__ import annotations

from datetime import date

import pytest
from sweep_helpers import DANA, OWEN, SAM, emails_to, london, run, sample_plan

from improveflow.clock import FrozenClock
from improveflow.models import Verdict
from improveflow.services import approvals, deputies, sweep, views
from improveflow.services.context import Context
from improveflow.testing import add_action, add_plan, add_sample_people


@pytest.fixture
def plan_id(ctx: Context) -> int:
    return sample_plan(ctx)


def test_approval_waiting_reminds_members_then_the_chair(
    ctx: Context, tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock
) -> None:
    """After 3 working days members who have not acted are reminded; after 10, the chair."""
    from improveflow.testing import make_context

    folder = tmp_path_factory.mktemp("workflows")
    text = (ctx.settings.workflows_dir / "improvement_action.yaml").read_text(encoding="utf-8")
    (folder / "improvement_action.yaml").write_text(
        text.replace("    title: Corporate Management Team\n",
                     "    title: Corporate Management Team\n    chair: sam@council.example\n"),
        encoding="utf-8",
    )  # fmt: skip
    chaired = make_context(ctx.database.url, clock=clock, workflows_dir=folder, migrate=False)
    try:
        add_sample_people(chaired)
        action_id = add_action(chaired, add_plan(chaired), "Agree the budget")
        clock.set(london(2014, 6, 2, 10, 0))  # Monday
        approvals.request_change(chaired, action_id, "approve", by_email=OWEN)
        assert run(chaired, clock, london(2014, 6, 4, 10, 0)).decisions == []
        thursday = run(chaired, clock, london(2014, 6, 5, 10, 0))
        assert sorted(d.kind for d in thursday.decisions) == ["approval_reminder"] * 2
        chase = run(chaired, clock, london(2014, 6, 16, 10, 0))
        assert [d.kind for d in chase.decisions] == ["approval_chase"]
        assert emails_to(chaired, SAM, "approval_needed")[-1]["context"]["chase"] is True
    finally:
        chaired.close()


def test_deputy_receives_and_decides_for_an_absent_member(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """While Dana is on leave, her deputy gets her approval emails and may decide; both named."""
    deputies.add_deputy(ctx, DANA, "alex@council.example", date(2014, 6, 1), date(2014, 6, 14))
    action_id = add_action(ctx, plan_id, "Agree the budget")
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    sweep.queue_due_notices(ctx, now=clock.now())
    to_alex = emails_to(ctx, "alex@council.example", "approval_needed")
    assert [row["context"]["on_behalf_of"] for row in to_alex] == ["Dana Reeve"]
    assert emails_to(ctx, DANA, "approval_needed") == []
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email="alex@council.example")
    history = views.action_detail(ctx, action_id)["history"]
    assert ("decision", "Alex Smith (deputy for Dana Reeve)") in [
        (h["event"], h["by"]) for h in history
    ]
    clock.set(london(2014, 6, 20, 10, 0))  # leave over
    other = add_action(ctx, plan_id, "Publish the plan")
    later = approvals.request_change(ctx, other, "approve", by_email=OWEN).request_id
    assert later is not None
    with pytest.raises(Exception, match="Alex Smith is not a member of CMT"):
        approvals.decide(ctx, later, Verdict.APPROVE, by_email="alex@council.example")
