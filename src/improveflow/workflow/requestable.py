"""Which changes a person may ask for on an action: one rule, for the page and the service. Pure.

A person may ask for a change when its `requested_by` names something they are for the action
(its owner, a peer-challenge lead, an administrator, a member of a body) and the change starts
from the action's state. The action page offers exactly those changes; the approvals service
refuses any other. A change's conditions (a progress update recorded, a reason given) are not
part of this rule: they are judged when the change is asked for, and explained then.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import ApprovalRule, Transition, Workflow


class Barrier(StrEnum):
    """Why a person may not ask for a change now, in the order the rule judges them."""

    NOT_THEIRS = "not_theirs"  # requested_by names nothing the person is for the action
    NOT_FROM_HERE = "not_from_here"  # the change does not start from the action's state


@dataclass(frozen=True)
class Requestable:
    """A change a person may ask for now, and who would approve it (None: it applies at once)."""

    transition: Transition
    approval: ApprovalRule | None


def barrier(transition: Transition, state: str, standing: Set[str]) -> Barrier | None:
    """What stops a person asking for `transition` on an action in `state`; None if nothing.

    `standing` is every kind of requester the person counts as for this action: owner, lead,
    admin and the bodies they belong to. Who may ask is judged before where the action is, so
    a person who may never ask for a change is told that, not that the action is not ready.
    """
    if not standing & transition.requested_by:
        return Barrier.NOT_THEIRS
    if state not in transition.sources:
        return Barrier.NOT_FROM_HERE
    return None


def changes(
    workflow: Workflow, state: str, standing: Set[str], plan: PlanRules
) -> tuple[Requestable, ...]:
    """Every change the person may ask for on an action in `state`, in the workflow's order,
    each with who would approve it on this plan."""
    return tuple(
        Requestable(t, workflow.approval_for(t.trigger, plan.kind, plan.overrides))
        for t in workflow.transitions.values()
        if barrier(t, state, standing) is None
    )
