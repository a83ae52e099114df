"""What the workflow page shows: every change, who decides it, and the diagram.

Without a plan, who decides is given for each kind of plan; for one plan, as that plan's
kind and its own overrides route it. Both come from `workflow.deciders`, which asks the rule
that routes every request, so the page cannot say one body while requests go to another.
"""

from __future__ import annotations

from dataclasses import dataclass

from improveflow.services.dashboard import PlanHeader
from improveflow.web.state_diagram import Diagram, draw
from improveflow.workflow import deciders
from improveflow.workflow.deciders import FROM_PLAN, FROM_PLAN_KIND, Decider, PlanRules
from improveflow.workflow.definition import SAME_STATE, Transition, Workflow

NOBODY = "Nobody: it happens at once"


@dataclass(frozen=True)
class ChangeRow:
    label: str  # "Change the target date"
    states: str  # "From approved or in progress to deferred"
    deciders: tuple[str, ...]  # one line per body: "Cabinet for peer-challenge plans"


@dataclass(frozen=True)
class WorkflowView:
    workflow: Workflow
    plan: PlanHeader | None
    kind: str  # "a peer-challenge plan", for the plan's page
    rows: tuple[ChangeRow, ...]
    diagram: Diagram


def workflow_view(workflow: Workflow, plan: PlanHeader | None = None) -> WorkflowView:
    rules = PlanRules(plan.kind, plan.approval_overrides) if plan is not None else None
    rows = []
    labels = {}
    for t in workflow.transitions.values():
        if rules is None:
            who = _for_every_kind(workflow, t.trigger)
            labels[t.trigger] = deciders.in_words(workflow, t.trigger, nobody="no approval")
        else:
            who = (_for_plan(workflow, deciders.for_plan(workflow, t.trigger, rules), rules),)
            labels[t.trigger] = deciders.plan_in_words(
                workflow, t.trigger, rules, nobody="no approval"
            )
        rows.append(
            ChangeRow(
                label=t.label[:1].upper() + t.label[1:],
                states=_states(workflow, t),
                deciders=who,
            )
        )
    return WorkflowView(
        workflow=workflow,
        plan=plan,
        kind=deciders.kind_singular(plan.kind) if plan is not None else "",
        rows=tuple(rows),
        diagram=draw(workflow, labels),
    )


def _states(workflow: Workflow, transition: Transition) -> str:
    """'From drafted to approved', or 'Stays approved or in progress' for a new date."""
    sources = deciders.joined(
        [workflow.states[s].label.lower() for s in transition.sources], last="or"
    )
    if transition.dest == SAME_STATE:
        return f"Stays {sources}"
    return f"From {sources} to {workflow.states[transition.dest].label.lower()}"


def _for_every_kind(workflow: Workflow, trigger: str) -> tuple[str, ...]:
    groups = deciders.across_kinds(workflow, trigger, name=workflow.body_title)
    if not groups:
        return (NOBODY,)
    quorum = _quorum(workflow, trigger)
    return tuple(
        f"{body}{quorum} for {deciders.joined([deciders.kind_plural(k) for k in kinds])}"
        if kinds
        else f"{body}{quorum}"
        for body, kinds in groups
    )


def _for_plan(workflow: Workflow, decider: Decider, rules: PlanRules) -> str:
    if decider.body is None:
        return NOBODY
    who = workflow.body_title(decider.body) + _quorum_of(decider.quorum)
    if decider.set_by == FROM_PLAN:
        return f"{who} (set for this plan)"
    if decider.set_by == FROM_PLAN_KIND:
        return f"{who} (as for all {deciders.kind_plural(rules.kind)})"
    return who


def _quorum(workflow: Workflow, trigger: str) -> str:
    rule = workflow.transition(trigger).approval
    return _quorum_of(rule.quorum) if rule is not None else ""


def _quorum_of(quorum: int) -> str:
    return f" ({quorum} members must approve)" if quorum > 1 else ""
