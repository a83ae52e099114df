"""Frozen descriptions of a workflow, as loaded from YAML. No behaviour beyond lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from improveflow import exceptions

# Who may ask for a transition, besides members of a named body.
OWNER = "owner"  # the action's owner
LEAD = "lead"  # a peer-challenge lead (role peer_challenge_lead)
ADMIN = "admin"  # an administrator (role admin)
REQUESTER_KINDS = frozenset({OWNER, LEAD, ADMIN})

# `dest: "="` keeps the action in its state (a change of target date, say).
SAME_STATE = "="


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False


@dataclass(frozen=True)
class Body:
    """An approving body such as CMT or Cabinet."""

    name: str
    title: str
    chair: str | None = None  # email of the chair, told when approvals stall


@dataclass(frozen=True)
class ApprovalRule:
    body: str
    quorum: int = 1  # how many members must approve


@dataclass(frozen=True)
class Transition:
    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str  # a state name, or SAME_STATE
    approval: ApprovalRule | None
    requested_by: frozenset[str]
    conditions: tuple[str, ...] = ()
    requires_reason: bool = False
    requires_new_target: bool = False

    def destination_from(self, source: str) -> str:
        return source if self.dest == SAME_STATE else self.dest


@dataclass(frozen=True)
class ReminderPolicy:
    offsets_working_days: tuple[int, ...] = (20, 10, 5, 1)
    send_time: time = time(9, 0)
    timezone: str = "Europe/London"
    bank_holidays: str = "england-and-wales"
    states: tuple[str, ...] = ("approved", "in_progress")
    progress_prompt_weeks: int = 4  # for actions with no target date ("Ongoing")
    catch_up_days: int = 2  # a reminder missed while stopped is still sent within this


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    working_days_overdue: int
    notify: tuple[str, ...]  # owner, lead, admin or body names
    on_rag: str | None = None  # also reached at once when the owner reports this RAG


@dataclass(frozen=True)
class EscalationPolicy:
    stalled_after_days: int = 42
    levels: tuple[EscalationLevel, ...] = ()


@dataclass(frozen=True)
class ApprovalChasePolicy:
    remind_after_working_days: int = 3
    escalate_to_chair_after_working_days: int = 10


@dataclass(frozen=True)
class Workflow:
    name: str
    file: str
    description: str
    states: Mapping[str, State]
    initial: str
    bodies: Mapping[str, Body]
    transitions: Mapping[str, Transition]
    # plan kind -> trigger -> body that approves instead of the transition's own
    approval_by_plan_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    approvals: ApprovalChasePolicy = field(default_factory=ApprovalChasePolicy)

    def transition(self, trigger: str) -> Transition:
        try:
            return self.transitions[trigger]
        except KeyError:
            known = ", ".join(self.transitions)
            raise exceptions.IllegalTransition(
                f"'{trigger}' is not a transition of the {self.name} workflow (known: {known})"
            ) from None

    def approval_for(
        self, trigger: str, plan_kind: str, plan_overrides: Mapping[str, str]
    ) -> ApprovalRule | None:
        """Who must approve `trigger` on a plan: the plan's own override, then its kind's."""
        rule = self.transition(trigger).approval
        if rule is None:
            return None
        body = plan_overrides.get(trigger) or self.approval_by_plan_kind.get(plan_kind, {}).get(
            trigger
        )
        return ApprovalRule(body=body, quorum=rule.quorum) if body else rule

    def body_title(self, body: str) -> str:
        known = self.bodies.get(body)
        return known.title if known else body
