"""The workflow engine: legal and illegal transitions, guards, statelessness and the diagram."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from improveflow import exceptions
from improveflow.resources import bundled_dir
from improveflow.workflow.conditions import ActionFacts, ChangeAsked
from improveflow.workflow.definition import Workflow
from improveflow.workflow.details import Detail, DetailMissing, DetailRefusal
from improveflow.workflow.engine import WorkflowEngine, mermaid
from improveflow.workflow.loader import load_workflow, parse_workflow

TARGET = date(2024, 3, 28)
NEW_TARGET = date(2024, 6, 27)

STATES = ("drafted", "approved", "in_progress", "complete", "deferred")
TRIGGERS = ("approve", "start", "complete", "defer", "resume", "reopen", "revise_target")

# (trigger, source, destination): every legal move of the shipped workflow.
LEGAL = [
    ("approve", "drafted", "approved"),
    ("start", "approved", "in_progress"),
    ("complete", "in_progress", "complete"),
    ("defer", "drafted", "deferred"),
    ("defer", "approved", "deferred"),
    ("defer", "in_progress", "deferred"),
    ("resume", "deferred", "in_progress"),
    ("reopen", "complete", "in_progress"),
    ("revise_target", "approved", "approved"),
    ("revise_target", "in_progress", "in_progress"),
]
LEGAL_PAIRS = {(trigger, source) for trigger, source, _ in LEGAL}
ILLEGAL = [
    (trigger, state)
    for trigger, state in itertools.product(TRIGGERS, STATES)
    if (trigger, state) not in LEGAL_PAIRS
]

# What may be asked for from each state, in the workflow's order.
POSSIBLE = {
    "drafted": ["approve", "defer"],
    "approved": ["start", "defer", "revise_target"],
    "in_progress": ["complete", "defer", "revise_target"],
    "complete": ["reopen"],
    "deferred": ["resume"],
}
STATE_WORDS = {
    "drafted": "drafted",
    "approved": "approved",
    "in_progress": "in progress",
    "complete": "complete",
    "deferred": "deferred",
}


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(bundled_dir("workflows") / "improvement_action.yaml")


@pytest.fixture
def engine(workflow: Workflow) -> WorkflowEngine:
    return WorkflowEngine(workflow)


def ready(state: str, progress_updates: int = 1, target: date | None = TARGET) -> ActionFacts:
    """Facts about an action in `state` that meet every shipped condition."""
    return ActionFacts(state=state, progress_updates=progress_updates, target_date=target)


FULL_CHANGE = ChangeAsked(reason="Budget moved to next year", new_target_date=NEW_TARGET)


def test_tables_cover_the_shipped_workflow(workflow: Workflow) -> None:
    """The legal-move table lists every (trigger, source) of the shipped file and nothing else."""
    assert tuple(workflow.states) == STATES
    assert tuple(workflow.transitions) == TRIGGERS
    from_file = {(t.trigger, s) for t in workflow.transitions.values() for s in t.sources}
    assert from_file == LEGAL_PAIRS


# Legal moves -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("trigger", "source", "dest"), LEGAL)
def test_fire_legal_transition_reaches_destination(
    engine: WorkflowEngine, workflow: Workflow, trigger: str, source: str, dest: str
) -> None:
    """Each legal move from each of its sources lands in the workflow's destination."""
    facts = ready(source)
    outcome = engine.fire(facts, trigger, FULL_CHANGE)
    assert outcome.from_state == source
    assert outcome.to_state == dest
    assert outcome.transition is workflow.transitions[trigger]
    assert facts.state == source


@pytest.mark.parametrize(("trigger", "source", "dest"), LEGAL)
def test_check_accepts_legal_transition_without_firing(
    engine: WorkflowEngine, workflow: Workflow, trigger: str, source: str, dest: str
) -> None:
    """check() approves a legal move and returns its transition, whose destination agrees."""
    transition = engine.check(ready(source), trigger, FULL_CHANGE)
    assert transition is workflow.transitions[trigger]
    assert transition.destination_from(source) == dest


@pytest.mark.parametrize("trigger", ["approve", "start", "complete", "resume"])
def test_transitions_without_reason_need_none(engine: WorkflowEngine, trigger: str) -> None:
    """Transitions that do not require a reason fire with an empty change request."""
    source = next(s for t, s, _ in LEGAL if t == trigger)
    assert engine.fire(ready(source, target=None), trigger, ChangeAsked()).from_state == source


def test_revise_target_may_set_a_first_target_date(engine: WorkflowEngine) -> None:
    """An action with no target date ('Ongoing') may be given one."""
    outcome = engine.fire(
        ready("in_progress", target=None), "revise_target", ChangeAsked("Now scoped", NEW_TARGET)
    )
    assert outcome.to_state == "in_progress"


# Illegal moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("trigger", "state"), ILLEGAL)
def test_fire_illegal_transition_is_refused(
    engine: WorkflowEngine, workflow: Workflow, trigger: str, state: str
) -> None:
    """A move from a state it does not start from is refused, naming the state and the options."""
    with pytest.raises(exceptions.IllegalTransition) as caught:
        engine.fire(ready(state), trigger, FULL_CHANGE)
    message = str(caught.value)
    label = workflow.transitions[trigger].label
    assert message == (
        f"Cannot {label} while the action is {STATE_WORDS[state]} "
        f"(possible now: {', '.join(POSSIBLE[state])})"
    )


@pytest.mark.parametrize(("trigger", "state"), ILLEGAL)
def test_check_refuses_illegal_transition(engine: WorkflowEngine, trigger: str, state: str) -> None:
    """check() refuses exactly the moves fire() refuses."""
    with pytest.raises(exceptions.IllegalTransition):
        engine.check(ready(state), trigger, FULL_CHANGE)


def test_illegal_state_is_reported_before_a_missing_reason(engine: WorkflowEngine) -> None:
    """Deferring a completed action is illegal, whatever else is missing from the request."""
    with pytest.raises(exceptions.IllegalTransition, match="while the action is complete"):
        engine.fire(ready("complete"), "defer", ChangeAsked())


def test_unknown_trigger_is_refused(engine: WorkflowEngine) -> None:
    """An unknown trigger is refused, naming it and listing the workflow's transitions."""
    with pytest.raises(exceptions.IllegalTransition) as caught:
        engine.fire(ready("drafted"), "archive", FULL_CHANGE)
    assert str(caught.value) == (
        "'archive' is not a transition of the improvement_action workflow "
        f"(known: {', '.join(TRIGGERS)})"
    )


def test_unknown_state_allows_nothing(engine: WorkflowEngine) -> None:
    """An action in a state the workflow does not know can do nothing, and says so."""
    with pytest.raises(exceptions.IllegalTransition) as caught:
        engine.fire(ready("archived"), "approve", FULL_CHANGE)
    assert str(caught.value) == (
        "Cannot approve the action while the action is archived (possible now: none)"
    )


# Conditions and required details ----------------------------------------------------------------


def test_complete_needs_a_progress_update(engine: WorkflowEngine) -> None:
    """An action with no progress update cannot be marked complete, and the reason is given.

    The refusal is about the action, not about anything typed with the request: it names no
    detail, so a form marks no box.
    """
    with pytest.raises(exceptions.ConditionNotMet) as caught:
        engine.fire(ready("in_progress", progress_updates=0), "complete", FULL_CHANGE)
    assert str(caught.value) == (
        "Cannot mark the action complete because no progress update has been recorded yet"
    )
    assert not isinstance(caught.value, DetailRefusal)


def test_revise_target_needs_a_different_date(engine: WorkflowEngine) -> None:
    """Changing the target date to the date it already has is refused, naming the new date."""
    with pytest.raises(DetailMissing) as caught:
        engine.fire(ready("approved"), "revise_target", ChangeAsked("No change", TARGET))
    assert str(caught.value) == (
        "Cannot change the target date because the new target date is the same as the current one"
    )
    assert caught.value.detail is Detail.NEW_TARGET_DATE


@pytest.mark.parametrize(
    ("trigger", "source", "label"),
    [
        ("defer", "drafted", "defer the action"),
        ("defer", "in_progress", "defer the action"),
        ("reopen", "complete", "reopen the completed action"),
        ("revise_target", "approved", "change the target date"),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   \t"])
def test_reason_is_required(
    engine: WorkflowEngine, trigger: str, source: str, label: str, reason: str | None
) -> None:
    """Transitions that require a reason refuse a missing or blank one, naming the reason."""
    with pytest.raises(exceptions.ConditionNotMet) as caught:
        engine.fire(ready(source), trigger, ChangeAsked(reason=reason, new_target_date=NEW_TARGET))
    assert str(caught.value) == f"A reason is needed to {label}"
    assert isinstance(caught.value, DetailMissing)
    assert caught.value.detail is Detail.REASON


@pytest.mark.parametrize("source", ["approved", "in_progress"])
def test_new_target_is_required(engine: WorkflowEngine, source: str) -> None:
    """Revising the target without giving a new date is refused before any condition runs."""
    with pytest.raises(DetailMissing) as caught:
        engine.fire(ready(source), "revise_target", ChangeAsked(reason="Slipped"))
    assert str(caught.value) == "A new target date is needed to change the target date"
    assert caught.value.detail is Detail.NEW_TARGET_DATE


def test_has_target_date_condition() -> None:
    """A workflow guarded by has_target_date refuses an action without one, saying why."""
    workflow = parse_workflow(
        {
            "workflow": "dated",
            "bodies": {"CMT": None},
            "states": {"open": {"initial": True}, "shut": {"final": True}},
            "transitions": {
                "close": {
                    "label": "close the action",
                    "source": "open",
                    "dest": "shut",
                    "requested_by": "owner",
                    "conditions": ["has_target_date"],
                }
            },
            "reminders": {"states": ["open"]},
        },
        "dated.yaml",
    )
    engine = WorkflowEngine(workflow)
    with pytest.raises(exceptions.ConditionNotMet) as caught:
        engine.fire(ActionFacts("open", 0, None), "close", ChangeAsked())
    assert str(caught.value) == "Cannot close the action because the action has no target date"
    assert engine.fire(ActionFacts("open", 0, TARGET), "close", ChangeAsked()).to_state == "shut"


# Nothing is kept between calls -----------------------------------------------------------------


def test_machine_starts_with_no_models_and_only_the_workflow_triggers(
    engine: WorkflowEngine,
) -> None:
    """The shared machine is built without models and without auto-generated to_<state> events."""
    machine = engine._machine
    assert machine.models == []
    assert list(machine.events) == list(TRIGGERS)


def test_ten_thousand_fires_leave_no_trace(engine: WorkflowEngine) -> None:
    """Firing 10,000 times attaches nothing to the machine and adds no events."""
    machine = engine._machine
    cycle = itertools.cycle(LEGAL)
    for _ in range(10_000):
        trigger, source, dest = next(cycle)
        assert engine.fire(ready(source), trigger, FULL_CHANGE).to_state == dest
    assert machine.models == []
    assert set(machine.events) == set(TRIGGERS)
    assert len(machine.events) == len(TRIGGERS)
    assert not [name for name in machine.events if name.startswith("to_")]
    for state in STATES:
        assert not hasattr(machine, f"to_{state}")
        assert not hasattr(machine, f"is_{state}")


def test_refused_fires_leave_no_trace(engine: WorkflowEngine) -> None:
    """Refused requests attach nothing to the machine either."""
    for trigger, state in ILLEGAL:
        with pytest.raises(exceptions.IllegalTransition):
            engine.fire(ready(state), trigger, FULL_CHANGE)
    with pytest.raises(exceptions.ConditionNotMet):
        engine.fire(ready("in_progress", progress_updates=0), "complete", FULL_CHANGE)
    assert engine._machine.models == []


def test_engines_share_nothing_between_actions(engine: WorkflowEngine) -> None:
    """One action's move does not change what another action may do next."""
    engine.fire(ready("drafted"), "approve", FULL_CHANGE)
    outcome = engine.fire(ready("drafted"), "defer", FULL_CHANGE)
    assert (outcome.from_state, outcome.to_state) == ("drafted", "deferred")
    assert engine.triggers_from("drafted") == POSSIBLE["drafted"]


# Lookups and the diagram ------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "triggers"), sorted(POSSIBLE.items()))
def test_triggers_from(engine: WorkflowEngine, state: str, triggers: list[str]) -> None:
    """triggers_from lists the transitions that start from a state, in the workflow's order."""
    assert engine.triggers_from(state) == triggers


def test_triggers_from_unknown_state_is_empty(engine: WorkflowEngine) -> None:
    """A state the workflow does not know has no transitions."""
    assert engine.triggers_from("archived") == []


EDGES = [
    "drafted --> approved : approve (CMT approves)",
    "approved --> in_progress : start (no approval)",
    "in_progress --> complete : complete (CMT approves)",
    "drafted --> deferred : defer (Cabinet approves)",
    "approved --> deferred : defer (Cabinet approves)",
    "in_progress --> deferred : defer (Cabinet approves)",
    "deferred --> in_progress : resume (CMT approves)",
    "complete --> in_progress : reopen (CMT approves)",
    "approved --> approved : revise_target (CMT approves for service plans, action plans, "
    "scrutiny plans and governance statement plans, Cabinet for peer-challenge plans)",
    "in_progress --> in_progress : revise_target (CMT approves for service plans, action plans, "
    "scrutiny plans and governance statement plans, Cabinet for peer-challenge plans)",
]


def test_mermaid_diagram(workflow: Workflow) -> None:
    """The diagram starts, ends and draws one labelled edge per transition and source."""
    diagram = mermaid(workflow)
    lines = diagram.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert lines[1].strip() == "[*] --> drafted"
    assert [line.strip() for line in lines[2:-1]] == EDGES
    assert lines[-1].strip() == "complete --> [*]"
    assert diagram.endswith("\n")


def test_mermaid_marks_only_final_states_as_ends(workflow: Workflow) -> None:
    """Only final states get an arrow to the end marker."""
    ends = [line.strip() for line in mermaid(workflow).splitlines() if line.endswith("--> [*]")]
    assert ends == ["complete --> [*]"]
