"""YAML -> Workflow, validated; every error names the file, the key and what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from improveflow import exceptions
from improveflow.workflow import definition as d
from improveflow.workflow.conditions import CONDITIONS

_TOP_KEYS = {
    "workflow", "description", "bodies", "states", "transitions",
    "plan_kinds", "reminders", "escalation", "approvals",
}  # fmt: skip
_TRANSITION_KEYS = {
    "label", "source", "dest", "approval", "requested_by", "conditions",
    "requires_reason", "requires_new_target",
}  # fmt: skip
_TOP = "(top level)"
PLAN_KINDS = (
    "peer_challenge",
    "service_plan",
    "action_plan",
    "scrutiny",
    "governance_statement",
)
RAGS = ("green", "amber", "red")


class _Reader:
    """Walks the parsed YAML, raising WorkflowDefinitionError with the key's path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, problem: str) -> exceptions.WorkflowDefinitionError:
        return exceptions.WorkflowDefinitionError(self.file, key, problem)

    def mapping(self, value: Any, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, not {_kind(value)}")
        for name in value:
            if not isinstance(name, str):
                raise self.fail(key, f"key {name!r} must be text")
            if allowed is not None and name not in allowed:
                path = name if key == _TOP else f"{key}.{name}"
                expected = _list(sorted(allowed))
                raise self.fail(path, f"unknown key (expected one of: {expected})")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be non-empty text, not {_kind(value)}")
        return value.strip()

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(self.text(item, key) for item in items)

    def count(self, value: Any, key: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number of at least {minimum}, not {value!r}")
        return value

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def clock_time(self, value: Any, key: str) -> time:
        problem = f"must be a time of day such as '09:00', not {value!r}"
        # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540 (minutes).
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 24 * 60:
                raise self.fail(key, f"{problem} (write times in quotes)")
            return time(value // 60, value % 60)
        try:
            return time.fromisoformat(self.text(value, key))
        except ValueError:
            raise self.fail(key, problem) from None


def load_workflow(path: Path) -> d.Workflow:
    file = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise exceptions.WorkflowDefinitionError(
            file, "(file)", error.strerror or str(error)
        ) from None
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text (byte {error.start}: {error.reason})"
        raise exceptions.WorkflowDefinitionError(file, "(file)", problem) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        key = f"line {where.line + 1}" if where is not None else "(file)"
        raise exceptions.WorkflowDefinitionError(
            file, key, f"not valid YAML: {yaml_problem(error)}"
        ) from None
    return parse_workflow(raw, file)


def yaml_problem(error: yaml.YAMLError) -> str:
    """The one-line gist of a YAML error, without its multi-line source excerpt."""
    problem = getattr(error, "problem", None) or getattr(error, "reason", None)
    return str(problem or str(error).splitlines()[0])


def parse_workflow(raw: Any, file: str) -> d.Workflow:
    r = _Reader(file)
    top = r.mapping(raw, _TOP, _TOP_KEYS)
    for required in ("workflow", "bodies", "states", "transitions"):
        if required not in top:
            raise r.fail(required, "is missing")
    bodies = _bodies(r, top["bodies"])
    states, initial = _states(r, top["states"])
    transitions = {
        trigger: _transition(r, trigger, spec, states, bodies)
        for trigger, spec in r.mapping(top["transitions"], "transitions").items()
    }
    if not transitions:
        raise r.fail("transitions", "must name at least one transition")
    return d.Workflow(
        name=r.text(top["workflow"], "workflow"),
        file=file,
        description=str(top.get("description") or "").strip(),
        states=states,
        initial=initial,
        bodies=bodies,
        transitions=transitions,
        approval_by_plan_kind=_plan_kinds(r, top.get("plan_kinds") or {}, transitions, bodies),
        reminders=_reminders(r, top.get("reminders") or {}, states),
        escalation=_escalation(r, top.get("escalation") or {}, bodies),
        approvals=_approvals(r, top.get("approvals") or {}),
    )


def _bodies(r: _Reader, raw: Any) -> dict[str, d.Body]:
    bodies = {}
    for name, spec in r.mapping(raw, "bodies").items():
        key = f"bodies.{name}"
        spec = r.mapping(spec or {}, key, {"title", "chair"})
        chair = spec.get("chair")
        bodies[name] = d.Body(
            name=name,
            title=r.text(spec.get("title", name), f"{key}.title"),
            chair=r.text(chair, f"{key}.chair").lower() if chair is not None else None,
        )
    if not bodies:
        raise r.fail("bodies", "must name at least one approving body")
    return bodies


def _states(r: _Reader, raw: Any) -> tuple[dict[str, d.State], str]:
    states: dict[str, d.State] = {}
    initial: list[str] = []
    for name, spec in r.mapping(raw, "states").items():
        key = f"states.{name}"
        spec = r.mapping(spec or {}, key, {"label", "initial", "final"})
        if r.flag(spec.get("initial", False), f"{key}.initial"):
            initial.append(name)
        states[name] = d.State(
            name=name,
            label=r.text(spec.get("label", name.replace("_", " ")), f"{key}.label"),
            final=r.flag(spec.get("final", False), f"{key}.final"),
        )
    if not initial:
        raise r.fail("states", "no state is marked 'initial: true'")
    if len(initial) > 1:
        raise r.fail("states", f"only one state may be initial, found: {_list(initial)}")
    return states, initial[0]


def _transition(
    r: _Reader,
    trigger: str,
    spec: Any,
    states: Mapping[str, d.State],
    bodies: Mapping[str, d.Body],
) -> d.Transition:
    key = f"transitions.{trigger}"
    spec = r.mapping(spec, key, _TRANSITION_KEYS)
    for required in ("source", "dest", "requested_by"):
        if required not in spec:
            raise r.fail(f"{key}.{required}", "is missing")
    sources = r.names(spec["source"], f"{key}.source")
    for source in sources:
        if source not in states:
            raise r.fail(f"{key}.source", f"unknown state '{source}' (states: {_list(states)})")
    dest = r.text(spec["dest"], f"{key}.dest")
    if dest != d.SAME_STATE and dest not in states:
        raise r.fail(f"{key}.dest", f"unknown state '{dest}' (states: {_list(states)})")
    requested_by = frozenset(r.names(spec["requested_by"], f"{key}.requested_by"))
    for who in requested_by:
        if who not in d.REQUESTER_KINDS and who not in bodies:
            allowed = _list(sorted(d.REQUESTER_KINDS) + list(bodies))
            raise r.fail(f"{key}.requested_by", f"unknown requester '{who}' (allowed: {allowed})")
    conditions = r.names(spec.get("conditions", []), f"{key}.conditions")
    for condition in conditions:
        if condition not in CONDITIONS:
            raise r.fail(
                f"{key}.conditions", f"unknown condition '{condition}' (known: {_list(CONDITIONS)})"
            )
    return d.Transition(
        trigger=trigger,
        label=r.text(spec.get("label", trigger.replace("_", " ")), f"{key}.label"),
        sources=sources,
        dest=dest,
        approval=_approval(r, spec.get("approval"), f"{key}.approval", bodies),
        requested_by=requested_by,
        conditions=conditions,
        requires_reason=r.flag(spec.get("requires_reason", False), f"{key}.requires_reason"),
        requires_new_target=r.flag(
            spec.get("requires_new_target", False), f"{key}.requires_new_target"
        ),
    )


def _approval(
    r: _Reader, raw: Any, key: str, bodies: Mapping[str, d.Body]
) -> d.ApprovalRule | None:
    if raw is None or raw == "none":
        return None
    spec = r.mapping(raw, key, {"body", "quorum"})
    if "body" not in spec:
        raise r.fail(f"{key}.body", "is missing (or write 'approval: none')")
    body = _body_name(r, spec["body"], f"{key}.body", bodies)
    return d.ApprovalRule(body=body, quorum=r.count(spec.get("quorum", 1), f"{key}.quorum", 1))


def _body_name(r: _Reader, raw: Any, key: str, bodies: Mapping[str, d.Body]) -> str:
    body = r.text(raw, key)
    if body not in bodies:
        raise r.fail(key, f"'{body}' is not a body defined under 'bodies' ({_list(bodies)})")
    return body


def _plan_kinds(
    r: _Reader,
    raw: Any,
    transitions: Mapping[str, d.Transition],
    bodies: Mapping[str, d.Body],
) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for kind, spec in r.mapping(raw, "plan_kinds", set(PLAN_KINDS)).items():
        key = f"plan_kinds.{kind}"
        overrides = r.mapping(r.mapping(spec, key, {"approval"}).get("approval", {}), key)
        result[kind] = {}
        for trigger, body in overrides.items():
            item = f"{key}.approval.{trigger}"
            if trigger not in transitions:
                raise r.fail(item, f"'{trigger}' is not a transition")
            if transitions[trigger].approval is None:
                raise r.fail(item, f"'{trigger}' needs no approval, so no body can be set")
            result[kind][trigger] = _body_name(r, body, item, bodies)
    return result


def _reminders(r: _Reader, raw: Any, states: Mapping[str, d.State]) -> d.ReminderPolicy:
    allowed = {
        "offsets_working_days", "send_time", "timezone", "bank_holidays", "states",
        "progress_prompt_weeks", "catch_up_days",
    }  # fmt: skip
    spec = r.mapping(raw, "reminders", allowed)
    default = d.ReminderPolicy()
    offsets = spec.get("offsets_working_days", list(default.offsets_working_days))
    if not isinstance(offsets, list) or not offsets:
        raise r.fail("reminders.offsets_working_days", "must be a list of whole numbers")
    if "states" in spec:
        reminded = r.names(spec["states"], "reminders.states")
        for state in reminded:
            if state not in states:
                raise r.fail("reminders.states", f"unknown state '{state}'")
    else:
        # The defaults apply only to the states this workflow has.
        reminded = tuple(state for state in default.states if state in states)
    zone = r.text(spec.get("timezone", default.timezone), "reminders.timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("reminders.timezone", f"'{zone}' is not a known time zone") from None
    holidays = r.text(spec.get("bank_holidays", default.bank_holidays), "reminders.bank_holidays")
    regions = ("england-and-wales", "scotland", "northern-ireland")
    if holidays not in regions:
        raise r.fail("reminders.bank_holidays", f"must be one of: {_list(regions)}")
    return d.ReminderPolicy(
        offsets_working_days=tuple(
            sorted((r.count(o, "reminders.offsets_working_days", 0) for o in offsets), reverse=True)
        ),
        send_time=r.clock_time(spec.get("send_time", "09:00"), "reminders.send_time"),
        timezone=zone,
        bank_holidays=holidays,
        states=reminded,
        progress_prompt_weeks=r.count(
            spec.get("progress_prompt_weeks", default.progress_prompt_weeks),
            "reminders.progress_prompt_weeks",
            1,
        ),
        catch_up_days=r.count(
            spec.get("catch_up_days", default.catch_up_days), "reminders.catch_up_days"
        ),
    )


def _escalation(r: _Reader, raw: Any, bodies: Mapping[str, d.Body]) -> d.EscalationPolicy:
    spec = r.mapping(raw, "escalation", {"stalled_after_days", "levels"})
    levels = []
    for index, item in enumerate(spec.get("levels") or []):
        key = f"escalation.levels[{index}]"
        level = r.mapping(item, key, {"level", "working_days_overdue", "notify", "on_rag"})
        notify = r.names(level.get("notify", []), f"{key}.notify")
        for who in notify:
            if who not in d.REQUESTER_KINDS and who not in bodies:
                raise r.fail(f"{key}.notify", f"unknown recipient '{who}'")
        on_rag = level.get("on_rag")
        if on_rag is not None and on_rag not in RAGS:
            raise r.fail(f"{key}.on_rag", f"must be one of: {_list(RAGS)}")
        levels.append(
            d.EscalationLevel(
                level=r.count(level.get("level", index + 1), f"{key}.level", 1),
                working_days_overdue=r.count(
                    level.get("working_days_overdue"), f"{key}.working_days_overdue", 1
                ),
                notify=notify,
                on_rag=on_rag,
            )
        )
    if [lvl.level for lvl in levels] != list(range(1, len(levels) + 1)):
        raise r.fail("escalation.levels", "levels must be numbered 1, 2, 3, ... in order")
    stalled = spec.get("stalled_after_days", d.EscalationPolicy().stalled_after_days)
    return d.EscalationPolicy(
        stalled_after_days=r.count(stalled, "escalation.stalled_after_days", 1),
        levels=tuple(levels),
    )


def _approvals(r: _Reader, raw: Any) -> d.ApprovalChasePolicy:
    spec = r.mapping(
        raw, "approvals", {"remind_after_working_days", "escalate_to_chair_after_working_days"}
    )
    default = d.ApprovalChasePolicy()
    return d.ApprovalChasePolicy(
        remind_after_working_days=r.count(
            spec.get("remind_after_working_days", default.remind_after_working_days),
            "approvals.remind_after_working_days",
            1,
        ),
        escalate_to_chair_after_working_days=r.count(
            spec.get(
                "escalate_to_chair_after_working_days",
                default.escalate_to_chair_after_working_days,
            ),
            "approvals.escalate_to_chair_after_working_days",
            1,
        ),
    )


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _list(names: Any) -> str:
    return ", ".join(str(name) for name in names)
