"""Who decides each change, per kind of plan and per plan, as the routing rule decides it."""

from __future__ import annotations

import pytest

from improveflow.resources import bundled_dir
from improveflow.workflow import deciders
from improveflow.workflow.deciders import FROM_PLAN, FROM_PLAN_KIND, FROM_WORKFLOW, PlanRules
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import PLAN_KINDS, load_workflow


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(bundled_dir("workflows") / "improvement_action.yaml")


def test_every_answer_is_the_routing_rule_s(workflow: Workflow) -> None:
    """For every kind, override and change, the decider is the body requests are sent to."""
    for kind in PLAN_KINDS:
        for overrides in ({}, {"defer": "CMT"}, {"revise_target": "CMT", "approve": "Cabinet"}):
            for trigger in workflow.transitions:
                rule = workflow.approval_for(trigger, kind, overrides)
                found = deciders.for_plan(workflow, trigger, PlanRules(kind, overrides))
                assert found.body == (rule.body if rule else None)


def test_where_each_decider_comes_from(workflow: Workflow) -> None:
    """The workflow's own body, the plan kind's, or the plan's own override."""
    peer = PlanRules("peer_challenge", {"defer": "CMT"})
    assert deciders.for_plan(workflow, "revise_target", peer).set_by == FROM_PLAN_KIND
    assert deciders.for_plan(workflow, "defer", peer).set_by == FROM_PLAN
    assert deciders.for_plan(workflow, "complete", peer).set_by == FROM_WORKFLOW
    assert deciders.for_plan(workflow, "start", peer).body is None


def test_in_words_names_the_kinds_that_differ(workflow: Workflow) -> None:
    """A change decided differently by kind names each body with its kinds."""
    assert deciders.in_words(workflow, "revise_target") == (
        "CMT decides for service plans, action plans, scrutiny plans and governance statement "
        "plans; Cabinet for peer-challenge plans"
    )
    assert deciders.in_words(workflow, "defer") == "Cabinet decides"
    assert deciders.in_words(workflow, "start", nobody="no approval") == "no approval"
    peer = PlanRules("peer_challenge", {})
    assert deciders.plan_in_words(workflow, "revise_target", peer) == "Cabinet decides"
