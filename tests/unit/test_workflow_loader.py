"""Loading workflow definitions from YAML: the shipped workflow, defaults, and every refusal."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from improveflow import exceptions
from improveflow.resources import bundled_dir
from improveflow.workflow import definition as d
from improveflow.workflow.loader import load_workflow
from improveflow.workflow.registry import DEFAULT_WORKFLOW, WorkflowRegistry

SHIPPED = bundled_dir("workflows") / "improvement_action.yaml"
SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")

EVERYONE = frozenset({"owner", "lead", "admin"})
APPROVE_RULE = "    dest: approved\n    approval: {body: CMT}"  # the approve transition's rule

# A small valid workflow that leans on every default the loader offers.
MINIMAL = """\
workflow: minimal
bodies:
  CMT:
states:
  approved:
    initial: true
  in_progress: {}
  complete:
    final: true
transitions:
  start_work:
    source: approved
    dest: in_progress
    requested_by: owner
  finish:
    source: in_progress
    dest: complete
    approval: {body: CMT}
    requested_by: [owner, CMT]
"""


def edited(*replacements: tuple[str, str]) -> str:
    """The shipped workflow with each `old` (found exactly once) replaced by `new`, in turn."""
    text = SHIPPED_TEXT
    for old, new in replacements:
        assert text.count(old) == 1, f"expected {old!r} exactly once in the shipped workflow"
        text = text.replace(old, new)
    return text


def write(folder: Path, text: str, name: str = "workflow.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> exceptions.WorkflowDefinitionError:
    """The error loading `path` raises, checked to be one line naming the file and the key."""
    with pytest.raises(exceptions.WorkflowDefinitionError) as caught:
        load_workflow(path)
    error = caught.value
    message = str(error)
    assert "\n" not in message
    assert error.file == str(path)
    assert message == f"{path}: {error.key}: {error.problem}"
    return error


@pytest.fixture(scope="module")
def shipped() -> d.Workflow:
    return load_workflow(SHIPPED)


# The shipped workflow ----------------------------------------------------------------------------


def test_shipped_workflow_has_its_five_states_in_order(shipped: d.Workflow) -> None:
    """The shipped workflow defines exactly the five action states, in the file's order."""
    assert shipped.name == "improvement_action"
    assert shipped.file == str(SHIPPED)
    assert list(shipped.states) == ["drafted", "approved", "in_progress", "complete", "deferred"]
    assert shipped.description.startswith("An improvement-plan action")


def test_shipped_workflow_starts_drafted_and_ends_complete(shipped: d.Workflow) -> None:
    """Drafted is the one initial state and complete the only final one."""
    assert shipped.initial == "drafted"
    assert [s.name for s in shipped.states.values() if s.final] == ["complete"]


def test_shipped_state_labels(shipped: d.Workflow) -> None:
    """Each state carries the human label written in the file."""
    assert {name: s.label for name, s in shipped.states.items()} == {
        "drafted": "Drafted",
        "approved": "Approved",
        "in_progress": "In progress",
        "complete": "Complete",
        "deferred": "Deferred",
    }


def test_shipped_bodies(shipped: d.Workflow) -> None:
    """CMT and Cabinet are the approving bodies, with their titles and no chair."""
    assert shipped.bodies == {
        "CMT": d.Body("CMT", "Corporate Management Team"),
        "Cabinet": d.Body("Cabinet", "Cabinet"),
    }
    assert shipped.body_title("CMT") == "Corporate Management Team"
    assert shipped.body_title("Council") == "Council"


@pytest.mark.parametrize(
    ("trigger", "sources", "dest", "body", "conditions", "reason", "new_target"),
    [
        ("approve", ("drafted",), "approved", "CMT", (), False, False),
        ("start", ("approved",), "in_progress", None, (), False, False),
        ("complete", ("in_progress",), "complete", "CMT", ("has_progress_update",), False, False),
        (
            "defer",
            ("drafted", "approved", "in_progress"),
            "deferred",
            "Cabinet",
            (),
            True,
            False,
        ),
        ("resume", ("deferred",), "in_progress", "CMT", (), False, False),
        ("reopen", ("complete",), "in_progress", "CMT", (), True, False),
        (
            "revise_target",
            ("approved", "in_progress"),
            d.SAME_STATE,
            "CMT",
            ("target_date_changes",),
            True,
            True,
        ),
    ],
)
def test_shipped_transition(
    shipped: d.Workflow,
    trigger: str,
    sources: tuple[str, ...],
    dest: str,
    body: str | None,
    conditions: tuple[str, ...],
    reason: bool,
    new_target: bool,
) -> None:
    """Each shipped transition has the sources, destination, approver and guards of the file."""
    t = shipped.transition(trigger)
    assert t.trigger == trigger
    assert t.sources == sources
    assert t.dest == dest
    assert t.approval == (d.ApprovalRule(body=body, quorum=1) if body else None)
    assert t.conditions == conditions
    assert t.requires_reason is reason
    assert t.requires_new_target is new_target


def test_shipped_transitions_are_exactly_seven_in_file_order(shipped: d.Workflow) -> None:
    """No transition is added or lost, and the file's order is kept."""
    assert list(shipped.transitions) == [
        "approve", "start", "complete", "defer", "resume", "reopen", "revise_target",
    ]  # fmt: skip


def test_shipped_requesters(shipped: d.Workflow) -> None:
    """Only owners and admins may start work; owner, lead and admin may ask for the rest."""
    assert shipped.transition("start").requested_by == frozenset({"owner", "admin"})
    for trigger in ("approve", "complete", "defer", "resume", "reopen", "revise_target"):
        assert shipped.transition(trigger).requested_by == EVERYONE, trigger


def test_shipped_transition_labels(shipped: d.Workflow) -> None:
    """Transition labels are read from the file, for use in messages."""
    assert shipped.transition("revise_target").label == "change the target date"
    assert shipped.transition("start").label == "start work"


def test_revise_target_keeps_the_state(shipped: d.Workflow) -> None:
    """A '=' destination means the action stays in whichever state it was in."""
    revise = shipped.transition("revise_target")
    assert revise.destination_from("approved") == "approved"
    assert revise.destination_from("in_progress") == "in_progress"
    assert shipped.transition("defer").destination_from("approved") == "deferred"


def test_unknown_trigger_lookup_is_refused(shipped: d.Workflow) -> None:
    """Asking the workflow for a trigger it lacks names the trigger and the known ones."""
    with pytest.raises(exceptions.IllegalTransition) as caught:
        shipped.transition("archive")
    assert "'archive' is not a transition of the improvement_action workflow" in str(caught.value)
    assert "revise_target" in str(caught.value)


def test_peer_challenge_plan_kind_override(shipped: d.Workflow) -> None:
    """Peer-challenge plans send defer and revise_target to Cabinet; nothing else changes."""
    assert shipped.approval_by_plan_kind == {
        "peer_challenge": {"defer": "Cabinet", "revise_target": "Cabinet"}
    }


@pytest.mark.parametrize(
    ("trigger", "plan_kind", "overrides", "expected"),
    [
        ("revise_target", "peer_challenge", {}, "Cabinet"),
        ("revise_target", "service_plan", {}, "CMT"),
        ("approve", "peer_challenge", {}, "CMT"),
        ("defer", "action_plan", {}, "Cabinet"),
        ("revise_target", "peer_challenge", {"revise_target": "CMT"}, "CMT"),
        ("approve", "service_plan", {"approve": "Cabinet"}, "Cabinet"),
        ("start", "peer_challenge", {"start": "Cabinet"}, None),
    ],
)
def test_approval_for_plan(
    shipped: d.Workflow,
    trigger: str,
    plan_kind: str,
    overrides: dict[str, str],
    expected: str | None,
) -> None:
    """A plan's own override beats its kind's, which beats the transition's own body."""
    rule = shipped.approval_for(trigger, plan_kind, overrides)
    assert (rule.body if rule else None) == expected
    if rule is not None:
        assert rule.quorum == 1


def test_shipped_reminder_policy(shipped: d.Workflow) -> None:
    """The reminder section of the shipped file is read in full."""
    assert shipped.reminders == d.ReminderPolicy(
        offsets_working_days=(20, 10, 5, 1),
        send_time=time(9, 0),
        timezone="Europe/London",
        bank_holidays="england-and-wales",
        states=("approved", "in_progress"),
        progress_prompt_weeks=4,
        catch_up_days=2,
    )


def test_shipped_escalation_policy(shipped: d.Workflow) -> None:
    """The three escalation levels are read with their days, recipients and RAG trigger."""
    assert shipped.escalation == d.EscalationPolicy(
        stalled_after_days=42,
        levels=(
            d.EscalationLevel(1, 1, ("owner",)),
            d.EscalationLevel(2, 5, ("owner", "CMT")),
            d.EscalationLevel(3, 20, ("owner", "Cabinet", "lead"), on_rag="red"),
        ),
    )


def test_shipped_approval_chase_policy(shipped: d.Workflow) -> None:
    """Pending approvals are chased after 3 working days and go to the chair after 10."""
    assert shipped.approvals == d.ApprovalChasePolicy(3, 10)


# Defaults ----------------------------------------------------------------------------------------


def test_minimal_workflow_takes_every_default(tmp_path: Path) -> None:
    """Omitted policies, labels, titles, approvals and conditions take their documented defaults."""
    workflow = load_workflow(write(tmp_path, MINIMAL))
    assert workflow.name == "minimal"
    assert workflow.description == ""
    assert workflow.bodies == {"CMT": d.Body("CMT", "CMT", None)}
    assert workflow.states["in_progress"] == d.State("in_progress", "in progress", final=False)
    assert workflow.initial == "approved"
    start = workflow.transition("start_work")
    assert start.label == "start work"
    assert start.approval is None
    assert start.requested_by == frozenset({"owner"})
    assert start.conditions == ()
    assert start.requires_reason is False
    assert start.requires_new_target is False
    assert workflow.transition("finish").requested_by == frozenset({"owner", "CMT"})
    assert workflow.approval_by_plan_kind == {}
    assert workflow.reminders == d.ReminderPolicy()
    assert workflow.escalation == d.EscalationPolicy()
    assert workflow.approvals == d.ApprovalChasePolicy()


def test_partial_policies_fill_the_rest_with_defaults(tmp_path: Path) -> None:
    """A policy section that sets one value keeps the defaults for the others."""
    text = MINIMAL + (
        "reminders:\n  send_time: '17:30'\n"
        "escalation:\n  stalled_after_days: 10\n"
        "approvals:\n  remind_after_working_days: 1\n"
    )
    workflow = load_workflow(write(tmp_path, text))
    assert workflow.reminders == d.ReminderPolicy(send_time=time(17, 30))
    assert workflow.escalation == d.EscalationPolicy(stalled_after_days=10)
    assert workflow.approvals == d.ApprovalChasePolicy(remind_after_working_days=1)


def test_reminder_offsets_are_sorted_furthest_first(tmp_path: Path) -> None:
    """Offsets written in any order are kept largest first."""
    text = edited(("offsets_working_days: [20, 10, 5, 1]", "offsets_working_days: [1, 20, 5]"))
    assert load_workflow(write(tmp_path, text)).reminders.offsets_working_days == (20, 5, 1)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"09:00"', time(9, 0)),
        ("9:00", time(9, 0)),
        ("'17:45'", time(17, 45)),
        ("8:05", time(8, 5)),
    ],
)
def test_send_time_quoted_or_not(tmp_path: Path, written: str, expected: time) -> None:
    """A send time reads the same whether YAML sees text or a base-60 number."""
    text = edited(('send_time: "09:00"', f"send_time: {written}"))
    assert load_workflow(write(tmp_path, text)).reminders.send_time == expected


def test_quorum_and_chair_are_read(tmp_path: Path) -> None:
    """An explicit quorum is kept and a chair's email is lower-cased."""
    text = edited(
        ("  CMT:\n    title: Corporate Management Team\n",
         "  CMT:\n    title: Corporate Management Team\n    chair: Sam@Council.Example\n"),
        (APPROVE_RULE, APPROVE_RULE.replace("{body: CMT}", "{body: CMT, quorum: 2}")),
    )  # fmt: skip
    workflow = load_workflow(write(tmp_path, text))
    assert workflow.bodies["CMT"].chair == "sam@council.example"
    assert workflow.transition("approve").approval == d.ApprovalRule("CMT", 2)
    assert workflow.approval_for("approve", "service_plan", {"approve": "Cabinet"}) == (
        d.ApprovalRule("Cabinet", 2)
    )


def test_yml_extension_and_no_approval_key(tmp_path: Path) -> None:
    """A transition with no approval key applies at once, just like 'approval: none'."""
    text = edited(("    approval: none\n", ""))
    workflow = load_workflow(write(tmp_path, text, "improvement_action.yml"))
    assert workflow.transition("start").approval is None


# Refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replacements", "key", "fragment"),
    [
        pytest.param(
            [("source: drafted\n", "source: draft\n")],
            "transitions.approve.source",
            "unknown state 'draft'",
            id="unknown-source",
        ),
        pytest.param(
            [("[drafted, approved, in_progress]", "[drafted, approved, in_progres]")],
            "transitions.defer.source",
            "unknown state 'in_progres'",
            id="unknown-source-in-list",
        ),
        pytest.param(
            [("dest: complete\n", "dest: completed\n")],
            "transitions.complete.dest",
            "unknown state 'completed'",
            id="unknown-dest",
        ),
        pytest.param(
            [("    dest: deferred\n    approval: {body: Cabinet}",
              "    dest: deferred\n    approval: {body: Council}")],
            "transitions.defer.approval.body",
            "'Council' is not a body defined under 'bodies'",
            id="undefined-body",
        ),
        pytest.param(
            [(APPROVE_RULE, APPROVE_RULE.replace("{body: CMT}", "{quorum: 2}"))],
            "transitions.approve.approval.body",
            "is missing",
            id="approval-without-body",
        ),
        pytest.param(
            [("    approval: none\n", "    approval: nobody\n")],
            "transitions.start.approval",
            "must be a mapping",
            id="approval-neither-none-nor-mapping",
        ),
        pytest.param(
            [("  drafted:\n    initial: true\n", "  drafted:\n")],
            "states",
            "no state is marked 'initial: true'",
            id="no-initial-state",
        ),
        pytest.param(
            [("    label: Deferred\n", "    label: Deferred\n    initial: true\n")],
            "states",
            "only one state may be initial, found: drafted, deferred",
            id="two-initial-states",
        ),
        pytest.param(
            [("    initial: true\n", "    initial: yes please\n")],
            "states.drafted.initial",
            "must be true or false",
            id="initial-not-a-flag",
        ),
        pytest.param(
            [("    dest: deferred\n", "    dest: deferred\n    requires_reson: true\n")],
            "transitions.defer.requires_reson",
            "unknown key",
            id="typo-in-transition",
        ),
        pytest.param(
            [("    final: true\n", "    finall: true\n")],
            "states.complete.finall",
            "unknown key",
            id="typo-in-state",
        ),
        pytest.param(
            [("catch_up_days: 2", "catchup_days: 2")],
            "reminders.catchup_days",
            "unknown key",
            id="typo-in-reminders",
        ),
        pytest.param(
            [("    title: Cabinet\n", "    titel: Cabinet\n")],
            "bodies.Cabinet.titel",
            "unknown key",
            id="typo-in-body",
        ),
        pytest.param(
            [("      working_days_overdue: 5\n", "      working_day_overdue: 5\n")],
            "escalation.levels[1].working_day_overdue",
            "unknown key",
            id="typo-in-escalation-level",
        ),
        pytest.param(
            [("    requires_reason: true\n    requested_by: [owner, lead, admin]\n  resume:",
              "    requires_reason: perhaps\n    requested_by: [owner, lead, admin]\n  resume:")],
            "transitions.defer.requires_reason",
            "must be true or false, not 'perhaps'",
            id="requires-reason-not-a-flag",
        ),
        pytest.param(
            [("conditions: [has_progress_update]", "conditions: [has_progress_updates]")],
            "transitions.complete.conditions",
            "unknown condition 'has_progress_updates' (known: has_progress_update,",
            id="unknown-condition",
        ),
        pytest.param(
            [("requested_by: [owner, admin]", "requested_by: [owner, admin, mayor]")],
            "transitions.start.requested_by",
            "unknown requester 'mayor' (allowed: admin, lead, owner, CMT, Cabinet)",
            id="unknown-requester",
        ),
        pytest.param(
            [("    approval: none\n    requested_by: [owner, admin]\n", "    approval: none\n")],
            "transitions.start.requested_by",
            "is missing",
            id="missing-requested-by",
        ),
        pytest.param(
            [(APPROVE_RULE, APPROVE_RULE.replace("{body: CMT}", "{body: CMT, quorum: 0}"))],
            "transitions.approve.approval.quorum",
            "must be a whole number of at least 1, not 0",
            id="quorum-zero",
        ),
        pytest.param(
            [(APPROVE_RULE, APPROVE_RULE.replace("{body: CMT}", "{body: CMT, quorum: two}"))],
            "transitions.approve.approval.quorum",
            "must be a whole number of at least 1, not 'two'",
            id="quorum-text",
        ),
        pytest.param(
            [(APPROVE_RULE, APPROVE_RULE.replace("{body: CMT}", "{body: CMT, quorum: true}"))],
            "transitions.approve.approval.quorum",
            "must be a whole number",
            id="quorum-boolean",
        ),
        pytest.param(
            [("      revise_target: Cabinet\n", "      revise_targets: Cabinet\n")],
            "plan_kinds.peer_challenge.approval.revise_targets",
            "'revise_targets' is not a transition",
            id="plan-kind-unknown-transition",
        ),
        pytest.param(
            [("      defer: Cabinet\n", "      defer: Cabinet\n      start: Cabinet\n")],
            "plan_kinds.peer_challenge.approval.start",
            "'start' needs no approval, so no body can be set",
            id="plan-kind-transition-without-approval",
        ),
        pytest.param(
            [("      defer: Cabinet\n", "      defer: Council\n")],
            "plan_kinds.peer_challenge.approval.defer",
            "'Council' is not a body defined under 'bodies'",
            id="plan-kind-undefined-body",
        ),
        pytest.param(
            [("  peer_challenge:\n", "  peer_review:\n")],
            "plan_kinds.peer_review",
            "unknown key (expected one of:",
            id="unknown-plan-kind",
        ),
        pytest.param(
            [("    - level: 1\n      working_days_overdue: 1\n",
              "    - level: 2\n      working_days_overdue: 1\n"),
             ("    - level: 2\n      working_days_overdue: 5\n",
              "    - level: 1\n      working_days_overdue: 5\n")],
            "escalation.levels",
            "levels must be numbered 1, 2, 3, ... in order",
            id="escalation-levels-out-of-order",
        ),
        pytest.param(
            [("    - level: 3\n", "    - level: 4\n")],
            "escalation.levels",
            "levels must be numbered 1, 2, 3, ... in order",
            id="escalation-level-skipped",
        ),
        pytest.param(
            [("      notify: [owner, CMT]\n", "      notify: [owner, Board]\n")],
            "escalation.levels[1].notify",
            "unknown recipient 'Board'",
            id="escalation-unknown-recipient",
        ),
        pytest.param(
            [("on_rag: red", "on_rag: purple")],
            "escalation.levels[2].on_rag",
            "must be one of: green, amber, red",
            id="escalation-unknown-rag",
        ),
        pytest.param(
            [("      working_days_overdue: 20\n", "")],
            "escalation.levels[2].working_days_overdue",
            "must be a whole number of at least 1, not None",
            id="escalation-level-without-days",
        ),
        pytest.param(
            [("stalled_after_days: 42", "stalled_after_days: six weeks")],
            "escalation.stalled_after_days",
            "must be a whole number of at least 1",
            id="escalation-stalled-not-a-number",
        ),
        pytest.param(
            [('send_time: "09:00"', "send_time: nine o'clock")],
            "reminders.send_time",
            "must be a time of day such as '09:00', not \"nine o'clock\"",
            id="send-time-words",
        ),
        pytest.param(
            [('send_time: "09:00"', 'send_time: "25:00"')],
            "reminders.send_time",
            "must be a time of day such as '09:00', not '25:00'",
            id="send-time-impossible-hour",
        ),
        pytest.param(
            [('send_time: "09:00"', "send_time: [9, 0]")],
            "reminders.send_time",
            "must be non-empty text, not list",
            id="send-time-list",
        ),
        pytest.param(
            [("bank_holidays: england-and-wales", "bank_holidays: wales")],
            "reminders.bank_holidays",
            "must be one of: england-and-wales, scotland, northern-ireland",
            id="unknown-bank-holiday-region",
        ),
        pytest.param(
            [("  states: [approved, in_progress]\n", "  states: [approved, started]\n")],
            "reminders.states",
            "unknown state 'started'",
            id="reminders-unknown-state",
        ),
        pytest.param(
            [("offsets_working_days: [20, 10, 5, 1]", "offsets_working_days: []")],
            "reminders.offsets_working_days",
            "must be a list of whole numbers",
            id="reminder-offsets-empty",
        ),
        pytest.param(
            [("offsets_working_days: [20, 10, 5, 1]", "offsets_working_days: [20, -1]")],
            "reminders.offsets_working_days",
            "must be a whole number of at least 0, not -1",
            id="reminder-offset-negative",
        ),
        pytest.param(
            [("progress_prompt_weeks: 4", "progress_prompt_weeks: 0")],
            "reminders.progress_prompt_weeks",
            "at least 1, not 0",
            id="progress-prompt-zero",
        ),
        pytest.param(
            [("remind_after_working_days: 3", "remind_after_working_days: 0")],
            "approvals.remind_after_working_days",
            "at least 1, not 0",
            id="approval-reminder-zero",
        ),
        pytest.param(
            [("escalate_to_chair_after_working_days: 10",
              "escalate_to_chair_after_working_days: soon")],
            "approvals.escalate_to_chair_after_working_days",
            "not 'soon'",
            id="approval-escalation-text",
        ),
        pytest.param(
            [("workflow: improvement_action\n", "")],
            "workflow",
            "is missing",
            id="missing-workflow-name",
        ),
        pytest.param(
            [("workflow: improvement_action\n", "workflow: '  '\n")],
            "workflow",
            "must be non-empty text",
            id="blank-workflow-name",
        ),
    ],
)  # fmt: skip
def test_broken_workflow_is_refused_naming_the_key(
    tmp_path: Path, replacements: list[tuple[str, str]], key: str, fragment: str
) -> None:
    """A targeted break of the shipped file is refused on one line naming the file and key."""
    error = refusal(write(tmp_path, edited(*replacements)))
    assert error.key == key
    assert fragment in error.problem


def test_top_level_typo_is_refused(tmp_path: Path) -> None:
    """A misspelt top-level key is refused, naming the misspelling and the keys allowed."""
    error = refusal(write(tmp_path, edited(("description:", "descripton:"))))
    assert error.key == "descripton"
    assert error.problem.startswith("unknown key (expected one of:")
    assert "transitions" in error.problem


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        pytest.param("", "(top level)", "must be a mapping, not nothing", id="empty-file"),
        pytest.param("- a\n- b\n", "(top level)", "must be a mapping, not list", id="a-list"),
        pytest.param(
            MINIMAL.replace("bodies:\n  CMT:\n", "bodies: {}\n"),
            "bodies",
            "must name at least one approving body",
            id="no-bodies",
        ),
        pytest.param(
            MINIMAL.split("transitions:")[0] + "transitions: {}\n",
            "transitions",
            "must name at least one transition",
            id="no-transitions",
        ),
        pytest.param(
            MINIMAL.replace("  in_progress: {}\n", "  in_progress: [1]\n"),
            "states.in_progress",
            "must be a mapping, not list",
            id="state-not-a-mapping",
        ),
        pytest.param(
            MINIMAL.replace("transitions:\n", "transitions:\n  broken:\n"),
            "transitions.broken",
            "must be a mapping, not nothing",
            id="transition-not-a-mapping",
        ),
        pytest.param(
            "workflow: x\n\tbodies: 1\n",
            "line 2",
            "not valid YAML: found character '\\t' that cannot start any token",
            id="tab-indent",
        ),
        pytest.param(
            "workflow: x\nbodies: [CMT\nstates: {}\n",
            "line 3",
            "not valid YAML:",
            id="unclosed-bracket",
        ),
    ],
)
def test_small_broken_files_are_refused(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    """Small hand-written broken files are refused on one line naming the file and key."""
    error = refusal(write(tmp_path, text))
    assert error.key == key
    assert fragment in error.problem


def test_invalid_yaml_edit_of_shipped_file_names_a_line(tmp_path: Path) -> None:
    """A syntax error in an otherwise good file is reported with the line YAML stopped at."""
    path = write(tmp_path, edited(("bodies:\n", "bodies: [\n")))
    error = refusal(path)
    assert error.key.startswith("line ")
    assert int(error.key.removeprefix("line ")) > 1
    assert error.problem.startswith("not valid YAML: ")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A workflow file that does not exist is refused naming the file."""
    error = refusal(tmp_path / "absent.yaml")
    assert error.key == "(file)"
    assert "No such file" in error.problem


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    """A folder where a file was expected is refused as a definition error, not an OSError."""
    folder = tmp_path / "workflow.yaml"
    folder.mkdir()
    error = refusal(folder)
    assert error.key == "(file)"
    assert error.problem


def test_refusal_is_a_configuration_error(tmp_path: Path) -> None:
    """Callers that catch ConfigurationError also catch broken workflow files."""
    with pytest.raises(exceptions.ConfigurationError):
        load_workflow(write(tmp_path, edited(("dest: complete\n", "dest: done\n"))))


# The registry ------------------------------------------------------------------------------------


def test_registry_loads_the_shipped_folder() -> None:
    """The shipped folder gives the default workflow and an engine to run it."""
    registry = WorkflowRegistry.from_folder(SHIPPED.parent)
    assert DEFAULT_WORKFLOW in registry.names()
    assert registry.workflow().name == DEFAULT_WORKFLOW
    assert registry.engine().workflow is registry.workflow(DEFAULT_WORKFLOW)


def test_registry_loads_yaml_and_yml_files(tmp_path: Path) -> None:
    """Both .yaml and .yml files in the folder are loaded, each under its own name."""
    write(tmp_path, SHIPPED_TEXT, "improvement_action.yaml")
    write(tmp_path, MINIMAL, "minimal.yml")
    write(tmp_path, "not: a workflow\n", "notes.txt")
    registry = WorkflowRegistry.from_folder(tmp_path)
    assert sorted(registry.names()) == ["improvement_action", "minimal"]
    assert registry.workflow("minimal").file == str(tmp_path / "minimal.yml")


def test_registry_refuses_two_files_defining_the_same_workflow(tmp_path: Path) -> None:
    """Two files with the same workflow name are refused, naming both files."""
    first = write(tmp_path, SHIPPED_TEXT, "a_actions.yaml")
    second = write(tmp_path, SHIPPED_TEXT, "b_actions.yaml")
    with pytest.raises(exceptions.WorkflowDefinitionError) as caught:
        WorkflowRegistry.from_folder(tmp_path)
    error = caught.value
    assert error.file == str(second)
    assert error.key == "workflow"
    assert error.problem == f"'improvement_action' is already defined in {first}"
    assert "\n" not in str(error)


def test_registry_refuses_an_empty_folder(tmp_path: Path) -> None:
    """A folder without workflow files is a configuration error naming the folder."""
    write(tmp_path, "workflow: hidden\n", "readme.txt")
    with pytest.raises(exceptions.ConfigurationError) as caught:
        WorkflowRegistry.from_folder(tmp_path)
    assert not isinstance(caught.value, exceptions.WorkflowDefinitionError)
    assert str(caught.value) == f"No workflow files (*.yaml) in {tmp_path}"


def test_registry_passes_on_a_broken_file(tmp_path: Path) -> None:
    """One broken file in the folder stops the registry with that file's error."""
    write(tmp_path, SHIPPED_TEXT, "improvement_action.yaml")
    broken = write(tmp_path, MINIMAL.replace("dest: complete", "dest: done"), "minimal.yaml")
    with pytest.raises(exceptions.WorkflowDefinitionError) as caught:
        WorkflowRegistry.from_folder(tmp_path)
    assert caught.value.file == str(broken)
    assert caught.value.key == "transitions.finish.dest"


def test_registry_unknown_workflow_is_not_found() -> None:
    """Asking for a workflow that is not loaded names it and the ones that are."""
    registry = WorkflowRegistry.from_folder(SHIPPED.parent)
    with pytest.raises(exceptions.NotFound) as caught:
        registry.engine("grant_application")
    assert "No workflow named 'grant_application' (known: improvement_action" in str(caught.value)


@pytest.mark.parametrize(
    ("replacement", "key", "fragment"),
    [
        pytest.param(
            ('send_time: "09:00"', "send_time: 25:00"),
            "reminders.send_time",
            "write times in quotes",
            id="unquoted-hour-out-of-range",
        ),
        pytest.param(
            ("timezone: Europe/London", "timezone: Mars/Base"),
            "reminders.timezone",
            "not a known time zone",
            id="unknown-time-zone",
        ),
    ],
)
def test_policy_values_out_of_range_are_refused(
    tmp_path: Path, replacement: tuple[str, str], key: str, fragment: str
) -> None:
    """Times and zones that cannot exist are refused with the key, not a raw Python error."""
    error = refusal(write(tmp_path, edited(replacement)))
    assert error.key == key
    assert fragment in error.problem


def test_non_utf8_workflow_is_refused(tmp_path: Path) -> None:
    """A workflow saved in another encoding is refused as not UTF-8, on one line."""
    path = tmp_path / "workflow.yaml"
    path.write_bytes(SHIPPED_TEXT.replace("Cabinet", "Cabinet \xa3").encode("cp1252"))
    error = refusal(path)
    assert error.key == "(file)"
    assert "not UTF-8" in error.problem


def test_control_character_gives_a_one_line_yaml_error(tmp_path: Path) -> None:
    """A YAML reader error (a control character) still reads as one line."""
    error = refusal(write(tmp_path, SHIPPED_TEXT.replace("CMT:\n", "CMT\x07:\n", 1)))
    assert "not valid YAML" in error.problem


def test_default_reminder_states_follow_the_workflow(tmp_path: Path) -> None:
    """Without a reminders section, a workflow lacking 'approved' still loads."""
    text = MINIMAL.replace("approved", "agreed")
    workflow = load_workflow(write(tmp_path, text))
    assert workflow.reminders.states == ("in_progress",)
