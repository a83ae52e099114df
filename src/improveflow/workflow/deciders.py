"""Who decides each change: for every kind of plan, and for one plan. Pure.

The rule itself is `Workflow.approval_for` (a plan's own override, then its kind's, then the
transition's body), the same one that routes every request; this module only asks it for
each kind or plan and puts the answers into words for the workflow page and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import PLAN_KINDS

# How the pages and the CLI name each kind of plan.
KIND_PLURALS = {
    "peer_challenge": "peer-challenge plans",
    "service_plan": "service plans",
    "action_plan": "action plans",
    "scrutiny": "scrutiny plans",
    "governance_statement": "governance statement plans",
}
KIND_SINGULARS = {
    "peer_challenge": "a peer-challenge plan",
    "service_plan": "a service plan",
    "action_plan": "an action plan",
    "scrutiny": "a scrutiny plan",
    "governance_statement": "a governance statement plan",
}

# Where a decider comes from, most general first.
FROM_WORKFLOW = "workflow"  # the transition's own body
FROM_PLAN_KIND = "plan kind"  # the workflow's plan_kinds section
FROM_PLAN = "plan"  # the plan's own override


@dataclass(frozen=True)
class Decider:
    """The body that decides one change, or None when the change happens at once."""

    body: str | None
    quorum: int = 1
    set_by: str = FROM_WORKFLOW


@dataclass(frozen=True)
class PlanRules:
    """What decides routing for one plan: its kind and its own overrides."""

    kind: str
    overrides: Mapping[str, str]


def for_plan(workflow: Workflow, trigger: str, plan: PlanRules) -> Decider:
    """Who decides `trigger` on a plan of this kind with these overrides."""
    rule = workflow.approval_for(trigger, plan.kind, plan.overrides)
    if rule is None:
        return Decider(None)
    by_kind = workflow.approval_for(trigger, plan.kind, {})
    own = workflow.transition(trigger).approval
    if by_kind is not None and rule.body != by_kind.body:
        set_by = FROM_PLAN
    elif own is not None and rule.body != own.body:
        set_by = FROM_PLAN_KIND
    else:
        set_by = FROM_WORKFLOW
    return Decider(rule.body, rule.quorum, set_by)


def by_kind(workflow: Workflow, trigger: str) -> dict[str, Decider]:
    """Who decides `trigger` for each kind of plan (plans with no overrides of their own)."""
    return {kind: for_plan(workflow, trigger, PlanRules(kind, {})) for kind in PLAN_KINDS}


def kind_plural(kind: str) -> str:
    return KIND_PLURALS.get(kind, f"{kind.replace('_', ' ')} plans")


def kind_singular(kind: str) -> str:
    return KIND_SINGULARS.get(kind, f"a {kind.replace('_', ' ')} plan")


def across_kinds(
    workflow: Workflow, trigger: str, name: Callable[[str], str] = str
) -> list[tuple[str, list[str]]]:
    """[(who decides, [the kinds of plan it decides for]), ...]; [] when no approval is needed.

    The transition's own body comes first; a body that decides for every kind comes with no
    kinds. `name` turns a body into the words shown (its name, or its title).
    """
    groups: dict[str, list[str]] = {}
    for kind, decider in by_kind(workflow, trigger).items():
        if decider.body is not None:
            groups.setdefault(decider.body, []).append(kind)
    if not groups:
        return []
    own = workflow.transition(trigger).approval
    ordered = sorted(groups, key=lambda body: (own is None or body != own.body, body))
    if len(ordered) == 1:
        return [(name(ordered[0]), [])]
    return [(name(body), groups[body]) for body in ordered]


def in_words(
    workflow: Workflow,
    trigger: str,
    *,
    verb: str = "decides",
    name: Callable[[str], str] = str,
    nobody: str = "no approval",
    separator: str = "; ",
) -> str:
    """'CMT decides', 'CMT decides for service plans and action plans; Cabinet for
    peer-challenge plans', or `nobody` when the change needs no approval."""
    groups = across_kinds(workflow, trigger, name)
    if not groups:
        return nobody
    parts = []
    for index, (body, kinds) in enumerate(groups):
        said = f"{body} {verb}" if index == 0 else body
        parts.append(f"{said} for {joined([kind_plural(k) for k in kinds])}" if kinds else said)
    return separator.join(parts)


def plan_in_words(
    workflow: Workflow,
    trigger: str,
    plan: PlanRules,
    *,
    verb: str = "decides",
    name: Callable[[str], str] = str,
    nobody: str = "no approval",
) -> str:
    """'Cabinet decides' for one plan, or `nobody` when the change needs no approval."""
    decider = for_plan(workflow, trigger, plan)
    if decider.body is None:
        return nobody
    return f"{name(decider.body)} {verb}"


def joined(words: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or 'a, b or c')."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
