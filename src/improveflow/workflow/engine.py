"""One shared `transitions` Machine per workflow; every action passes through it per call.

The Machine is built once with no models attached (`model=None`); a call wraps the action's
state in a tiny proxy, fires the event on it and reads the new state back. Nothing is kept
attached, so the cost does not grow with the number of actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine, MachineError

from improveflow import exceptions
from improveflow.workflow import deciders
from improveflow.workflow.conditions import CONDITIONS, ActionFacts, ChangeAsked
from improveflow.workflow.deciders import PlanRules
from improveflow.workflow.definition import Transition, Workflow
from improveflow.workflow.details import Detail, DetailMissing


@dataclass(frozen=True)
class Outcome:
    transition: Transition
    from_state: str
    to_state: str


class _StateProxy:
    """The only object the Machine ever touches: a state, nothing to persist by accident."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _guard(name: str) -> Any:
    condition = CONDITIONS[name]

    def check(event: EventData) -> bool:
        return condition.check(event.kwargs["facts"], event.kwargs["change"])

    return check


class WorkflowEngine:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._machine = Machine(
            model=None,
            states=list(workflow.states),
            initial=workflow.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [_guard(name) for name in t.conditions],
                }
                for t in workflow.transitions.values()
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )

    def triggers_from(self, state: str) -> list[str]:
        """The transitions that may be asked for from `state`, in the workflow's order."""
        return [t.trigger for t in self.workflow.transitions.values() if state in t.sources]

    def check(self, facts: ActionFacts, trigger: str, change: ChangeAsked) -> Transition:
        """Raise a specific Refused error unless `trigger` could fire now; return it."""
        transition = self.workflow.transition(trigger)
        if facts.state not in transition.sources:
            allowed = ", ".join(self.triggers_from(facts.state)) or "none"
            raise exceptions.IllegalTransition(
                f"Cannot {transition.label} while the action is "
                f"{self._label(facts.state)} (possible now: {allowed})"
            )
        if transition.requires_reason and not (change.reason and change.reason.strip()):
            raise DetailMissing(Detail.REASON, f"A reason is needed to {transition.label}")
        if transition.requires_new_target and change.new_target_date is None:
            raise DetailMissing(
                Detail.NEW_TARGET_DATE, f"A new target date is needed to {transition.label}"
            )
        for name in transition.conditions:
            condition = CONDITIONS[name]
            if not condition.check(facts, change):
                unmet = f"Cannot {transition.label} because {condition.unmet}"
                if condition.concerns is not None:
                    raise DetailMissing(condition.concerns, unmet)
                raise exceptions.ConditionNotMet(unmet)
        return transition

    def fire(self, facts: ActionFacts, trigger: str, change: ChangeAsked) -> Outcome:
        """Run the transition through the state machine; the caller stores the outcome."""
        transition = self.check(facts, trigger, change)
        proxy = _StateProxy(facts.state)
        try:
            fired = self._machine.events[trigger].trigger(proxy, facts=facts, change=change)
        except MachineError as error:
            raise exceptions.IllegalTransition(str(error.value)) from error
        if not fired:
            raise exceptions.ConditionNotMet(f"Cannot {transition.label} now")
        return Outcome(transition=transition, from_state=facts.state, to_state=proxy.state)

    def _label(self, state: str) -> str:
        known = self.workflow.states.get(state)
        return known.label.lower() if known else state


def mermaid(workflow: Workflow, plan: PlanRules | None = None) -> str:
    """A Mermaid state diagram of the workflow, labelled with who approves each step.

    Without a plan, each label says who approves for every kind of plan (peer-challenge
    plans may send a change to another body); with one, who approves for that plan.
    """
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for t in workflow.transitions.values():
        if plan is None:
            # A comma, not a semicolon: Mermaid may read a semicolon as the end of a line.
            who = deciders.in_words(workflow, t.trigger, verb="approves", separator=", ")
        else:
            who = deciders.plan_in_words(workflow, t.trigger, plan, verb="approves")
        for source in t.sources:
            lines.append(f"    {source} --> {t.destination_from(source)} : {t.trigger} ({who})")
    lines.extend(f"    {s.name} --> [*]" for s in workflow.states.values() if s.final)
    return "\n".join(lines) + "\n"
