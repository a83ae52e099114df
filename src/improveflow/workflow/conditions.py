"""Guards a workflow may name under `conditions:`; each explains itself when it fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from improveflow.workflow.details import Detail


@dataclass(frozen=True)
class ActionFacts:
    """What the engine may know about an action: plain data, loaded by the caller."""

    state: str
    progress_updates: int | None  # None when the caller did not count them
    target_date: date | None


@dataclass(frozen=True)
class ChangeAsked:
    reason: str | None = None
    new_target_date: date | None = None


@dataclass(frozen=True)
class Condition:
    name: str
    check: Callable[[ActionFacts, ChangeAsked], bool]
    unmet: str  # completes "... because <unmet>"
    needs_progress_count: bool = False
    concerns: Detail | None = None  # the detail given with the change it is about, if one


def needs_progress_count(conditions: tuple[str, ...]) -> bool:
    """Whether checking these conditions needs the action's progress updates counted."""
    return any(CONDITIONS[name].needs_progress_count for name in conditions)


def _has_progress(facts: ActionFacts, _change: ChangeAsked) -> bool:
    if facts.progress_updates is None:
        raise ValueError("has_progress_update needs the progress updates counted")
    return facts.progress_updates > 0


CONDITIONS: dict[str, Condition] = {
    condition.name: condition
    for condition in (
        Condition(
            "has_progress_update",
            _has_progress,
            "no progress update has been recorded yet",
            needs_progress_count=True,
        ),
        Condition(
            "has_target_date",
            lambda facts, _change: facts.target_date is not None,
            "the action has no target date",
        ),
        Condition(
            "target_date_changes",
            lambda facts, change: change.new_target_date != facts.target_date,
            "the new target date is the same as the current one",
            concerns=Detail.NEW_TARGET_DATE,
        ),
    )
}
