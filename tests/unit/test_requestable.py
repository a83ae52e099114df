"""Which changes a person may ask for: the one rule the action page and the service share."""

from __future__ import annotations

import itertools

import pytest

from improveflow.resources import bundled_dir
from improveflow.workflow import requestable
from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import ADMIN, LEAD, OWNER, Workflow
from improveflow.workflow.loader import load_workflow, parse_workflow
from improveflow.workflow.requestable import Barrier

SERVICE_PLAN = PlanRules("service_plan", {})
STATES = ("drafted", "approved", "in_progress", "complete", "deferred")
# Every standing a person of the shipped workflow can have, alone and together.
STANDINGS = [
    frozenset(kinds)
    for size in range(4)
    for kinds in itertools.combinations((OWNER, LEAD, ADMIN, "CMT"), size)
]


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(bundled_dir("workflows") / "improvement_action.yaml")


def _triggers(workflow: Workflow, state: str, standing: frozenset[str]) -> list[str]:
    return [
        c.transition.trigger for c in requestable.changes(workflow, state, standing, SERVICE_PLAN)
    ]


@pytest.mark.parametrize(
    ("state", "triggers"),
    [
        ("drafted", ["approve", "defer"]),
        ("approved", ["start", "defer", "revise_target"]),
        ("in_progress", ["complete", "defer", "revise_target"]),
        ("complete", ["reopen"]),
        ("deferred", ["resume"]),
    ],
)
def test_an_owner_may_ask_for_every_change_from_the_state(
    workflow: Workflow, state: str, triggers: list[str]
) -> None:
    """The owner may ask for each change from where the action is, in the workflow's order."""
    assert _triggers(workflow, state, frozenset({OWNER})) == triggers


def test_only_an_owner_or_an_administrator_may_start_work(workflow: Workflow) -> None:
    """`start` names the owner and admin: a lead is offered the other changes, not that one."""
    assert _triggers(workflow, "approved", frozenset({LEAD})) == ["defer", "revise_target"]
    assert _triggers(workflow, "approved", frozenset({ADMIN})) == [
        "start",
        "defer",
        "revise_target",
    ]


def test_a_body_member_with_no_other_standing_may_ask_for_nothing(workflow: Workflow) -> None:
    """No shipped change names a body in requested_by, so approving is not asking."""
    for state in STATES:
        assert _triggers(workflow, state, frozenset({"CMT"})) == []
        assert _triggers(workflow, state, frozenset()) == []


def test_a_body_named_in_requested_by_lets_its_members_ask() -> None:
    """`requested_by: [owner, CMT]` lets a CMT member ask, and nobody else but the owner."""
    workflow = parse_workflow(
        {
            "workflow": "signed_off",
            "bodies": {"CMT": None, "Cabinet": None},
            "states": {"open": {"initial": True}, "shut": {"final": True}},
            "transitions": {
                "close": {
                    "label": "close the action",
                    "source": "open",
                    "dest": "shut",
                    "approval": {"body": "Cabinet"},
                    "requested_by": ["owner", "CMT"],
                }
            },
            "reminders": {"states": ["open"]},
        },
        "signed_off.yaml",
    )
    close = workflow.transition("close")
    assert requestable.barrier(close, "open", {"CMT"}) is None
    assert requestable.barrier(close, "open", {"Cabinet"}) is Barrier.NOT_THEIRS
    assert requestable.barrier(close, "open", {LEAD, ADMIN}) is Barrier.NOT_THEIRS
    assert [
        c.transition.trigger for c in requestable.changes(workflow, "open", {"CMT"}, SERVICE_PLAN)
    ] == ["close"]


def test_who_may_ask_is_judged_before_where_the_action_is(workflow: Workflow) -> None:
    """A lead asking to start a drafted action is told it is not theirs to ask, not the state."""
    start = workflow.transition("start")
    assert requestable.barrier(start, "drafted", {LEAD}) is Barrier.NOT_THEIRS
    assert requestable.barrier(start, "drafted", {OWNER}) is Barrier.NOT_FROM_HERE
    assert requestable.barrier(start, "approved", {OWNER}) is None


def test_an_unknown_state_offers_nothing(workflow: Workflow) -> None:
    """An action in a state the workflow does not know may be asked for nothing."""
    assert _triggers(workflow, "archived", frozenset({OWNER, LEAD, ADMIN})) == []


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("standing", STANDINGS)
def test_the_list_is_exactly_the_changes_with_no_barrier(
    workflow: Workflow, state: str, standing: frozenset[str]
) -> None:
    """What the page offers and what the service accepts come from one judgement."""
    offered = set(_triggers(workflow, state, standing))
    accepted = {
        t.trigger
        for t in workflow.transitions.values()
        if requestable.barrier(t, state, standing) is None
    }
    assert offered == accepted


@pytest.mark.parametrize(
    ("plan", "approvers"),
    [
        (SERVICE_PLAN, {"start": None, "defer": "Cabinet", "revise_target": "CMT"}),
        (
            PlanRules("peer_challenge", {}),
            {"start": None, "defer": "Cabinet", "revise_target": "Cabinet"},
        ),
        (
            PlanRules("peer_challenge", {"revise_target": "CMT", "defer": "CMT"}),
            {"start": None, "defer": "CMT", "revise_target": "CMT"},
        ),
    ],
)
def test_each_change_says_who_would_approve_it_on_the_plan(
    workflow: Workflow, plan: PlanRules, approvers: dict[str, str | None]
) -> None:
    """The approver is the plan's own override, then its kind's, then the change's own body."""
    found = requestable.changes(workflow, "approved", {OWNER}, plan)
    assert {
        c.transition.trigger: (c.approval.body if c.approval else None) for c in found
    } == approvers
    for change in found:
        assert change.approval == workflow.approval_for(
            change.transition.trigger, plan.kind, plan.overrides
        )
