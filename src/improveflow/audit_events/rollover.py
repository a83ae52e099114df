"""The events of a governance statement plan's year end: the plan rolled over to next year's,
and each action carried forward into it."""

from __future__ import annotations

from dataclasses import dataclass, field

from improveflow.audit_events.base import Event, column, registered
from improveflow.audit_events.kinds import EventKind


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class PlanRolledOver(Event):
    """A plan rolled over to next year's (`to_plan_id`), and how many of its actions went."""

    KIND = EventKind.PLAN_ROLLED_OVER
    actor_id: int
    plan_id: int
    to_plan_id: int
    from_year: str | None
    to_year: str
    carried: int  # actions carried forward
    left: int  # complete actions that stayed in the plan


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ActionCarriedForward(Event):
    """An action (`action_id`, in next year's plan) carried forward from last year's action
    `from_action_id`, whose history stays with it, in the state it had there."""

    KIND = EventKind.ACTION_CARRIED_FORWARD
    action_id: int
    actor_id: int
    state: str = field(metadata=column("to_state"))
    plan_id: int
    from_action_id: int
    from_plan_id: int
    from_year: str | None
