"""Building the report's model from the plan's rows: the summary, the exceptions first, then
the plan in its own structure. Pure: the caller reads the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from improveflow.reports.ledger import times
from improveflow.reports.model import (
    ActionLine,
    ChangeLine,
    Count,
    ExceptionLine,
    ObjectivePart,
    Summary,
    ThemePart,
)
from improveflow.templating import short_date

RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "none": "Not rated"}
# States that can no longer be overdue: the work is done, or put off by decision.
_NOT_DUE = {"complete", "deferred"}


@dataclass(frozen=True)
class PlacedAction:
    """An action with its place in the plan."""

    theme: str
    objective_reference: str
    objective: str
    line: ActionLine


@dataclass(frozen=True)
class LoggedChange:
    """A transition or progress update from the audit log, as the summary needs it."""

    action_id: int
    progress: bool  # a progress update; otherwise a transition
    to_state: str | None
    comment: str | None  # the update's text, or the reason the change was asked for
    rag: str | None  # the rating a progress update gave
    redated: tuple[date | None, date | None] | None  # a transition's target date, from and to
    on: date  # the London day it happened


def rag_word(code: str | None) -> str:
    return RAG_WORDS.get(code or "none", (code or "").capitalize())


def is_overdue(state: str, target: date | None, today: date) -> bool:
    return target is not None and target < today and state not in _NOT_DUE


def action_name(line: ActionLine) -> str:
    """'1.2 Extend the strategy' (or the description alone)."""
    return f"{line.reference} {line.description}".strip()


def structure(placed: list[PlacedAction]) -> list[ThemePart]:
    """Themes, then their challenges, then their actions, in the plan's own order."""
    themes: dict[str, dict[tuple[str, str], list[ActionLine]]] = {}
    for item in placed:
        objectives = themes.setdefault(item.theme, {})
        objectives.setdefault((item.objective_reference, item.objective), []).append(item.line)
    return [
        ThemePart(
            title=title,
            objectives=[
                ObjectivePart(reference=ref, text=text, actions=actions)
                for (ref, text), actions in objectives.items()
            ],
        )
        for title, objectives in themes.items()
    ]


def _exception(line: ActionLine, raw_state: str) -> ExceptionLine | None:
    kinds: list[str] = []
    reasons: list[str] = []
    if line.rag_code == "red":
        kinds.append("Red")
        reasons.append(f"Rated red: {line.progress}" if line.progress else "Rated red")
    if line.overdue:
        kinds.append("Overdue")
        reasons.append(f"Past its target date of {short_date(line.target)}")
    if raw_state == "deferred":
        kinds.append("Deferred")
        reasons.append(f"Deferred: {line.state_reason}" if line.state_reason else "Deferred")
    if line.target_changes:
        kinds.append("Re-dated")
        why = f": {line.target_reason}" if line.target_reason else ""
        reasons.append(
            f"Target date changed {times(line.target_changes)}, now {short_date(line.target)}{why}"
        )
    if not kinds:
        return None
    return ExceptionLine(kinds=kinds, action=line, reason=". ".join(reasons))


def exceptions(placed: list[PlacedAction], raw_states: dict[int, str]) -> list[ExceptionLine]:
    """Red, overdue, deferred and re-dated actions, in that order of weight, then plan order."""
    found = [
        found
        for item in placed
        if (found := _exception(item.line, raw_states[item.line.id])) is not None
    ]
    weight = {"Red": 0, "Overdue": 1, "Deferred": 2, "Re-dated": 3}
    return sorted(found, key=lambda e: min(weight[kind] for kind in e.kinds))


def _rated_red(line: ActionLine, today: date) -> ChangeLine:
    """A red rating the log does not date (read from the plan's file): its latest progress."""
    on = line.progress_date or today
    return ChangeLine(action_id=line.id, action=action_name(line), detail=line.progress, on=on)


def summary(
    placed: list[PlacedAction],
    raw_states: dict[int, str],
    state_labels: dict[str, str],
    changes: list[LoggedChange],
    rated_before: dict[int, str],
    today: date,
) -> Summary:
    """Counts now, and the changes logged in the report's window.

    `rated_before`: each action's RAG code when counting began (the last report's, or the
    latest rating before the day asked for); an action is newly red when it is red now and
    was not then.
    """
    lines = {item.line.id: item.line for item in placed}
    states = Counter(raw_states[item.line.id] for item in placed)
    rags = Counter(item.line.rag_code for item in placed)
    completed: list[ChangeLine] = []
    red: dict[int, ChangeLine] = {}
    deferred: list[ChangeLine] = []
    redated: list[ChangeLine] = []
    for change in changes:
        line = lines.get(change.action_id)
        if line is None:
            continue

        def entry(
            detail: str, line: ActionLine = line, change: LoggedChange = change
        ) -> ChangeLine:
            return ChangeLine(
                action_id=line.id, action=action_name(line), detail=detail, on=change.on
            )

        if change.progress:
            if change.rag == "red" and line.rag_code == "red":
                red[line.id] = entry(change.comment or "")
            continue
        if change.to_state == "complete":
            completed.append(entry(change.comment or ""))
        elif change.to_state == "deferred":
            deferred.append(entry(change.comment or ""))
        if change.redated is not None:
            moved = f"from {short_date(change.redated[0])} to {short_date(change.redated[1])}"
            why = f": {change.comment}" if change.comment else ""
            redated.append(entry(moved + why))
    return Summary(
        total=len(placed),
        by_state=[
            Count(label=label, number=states[name])
            for name, label in state_labels.items()
            if states[name]
        ],
        by_rag=[Count(label=word, number=rags[code]) for code, word in RAG_WORDS.items()],
        completed=completed,
        newly_red=[
            red.get(item.line.id) or _rated_red(item.line, today)
            for item in placed
            if item.line.rag_code == "red" and rated_before.get(item.line.id) != "red"
        ],
        deferred=deferred,
        redated=redated,
    )
