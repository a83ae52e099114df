"""The escalation ladder: the levels an action has reached by lateness or a red RAG, and
stalling (no news for a while), which sits below the ladder as level 0.

Lateness is counted in working days of the workflow's calendar; an action climbs one level at
a time in the record, but a late sweep raises every level reached at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from improveflow.calendar import WorkingCalendar
from improveflow.reminders.working_time import today
from improveflow.workflow.definition import EscalationLevel, EscalationPolicy

OVERDUE = "overdue"
RAG_RED = "rag_red"
STALLED = "stalled"
STALLED_LEVEL = 0
# action.escalation_level when only a 'stalled' escalation is open (0 means none at all).
ONLY_STALLED = -1
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ReachedLevel:
    level: int
    reason: str  # overdue, rag_red or stalled
    notify: tuple[str, ...]


def working_days_overdue(calendar: WorkingCalendar, target: date, now: datetime) -> int:
    """Working days after `target`, up to and including today; 0 before it."""
    return max(0, calendar.working_days_between(target, today(now)))


def overdue_thresholds(
    calendar: WorkingCalendar, policy: EscalationPolicy, now: datetime
) -> list[tuple[EscalationLevel, date]]:
    """Each level reached by lateness, with the latest target date that has reached it.

    The latest target date with `working_days_overdue` at least the level's: the day before
    the level's n-th working day counting back from today. A target on a weekend or bank
    holiday reaches the level on the same day as the working day before it, as the ladder
    counts it (not a day later, and so never on a Saturday).
    """
    after_today = today(now) + _ONE_DAY
    return [
        (level, calendar.subtract_working_days(after_today, level.working_days_overdue) - _ONE_DAY)
        for level in policy.levels
    ]


def stalled_since(policy: EscalationPolicy, now: datetime) -> datetime:
    """Actions not heard from since this moment are stalling."""
    return now - timedelta(days=policy.stalled_after_days)


def rag_levels(policy: EscalationPolicy) -> list[EscalationLevel]:
    """The levels reached at once when the owner reports a given RAG."""
    return [level for level in policy.levels if level.on_rag]


def levels_below(level: int) -> list[int]:
    """The `escalation_level` values from which an action climbs to `level`: none open,
    only stalling open, or a lower level."""
    return list(range(ONLY_STALLED, level))


def levels_reached(
    calendar: WorkingCalendar,
    policy: EscalationPolicy,
    *,
    target: date | None,
    rag: str | None,
    heard_from_at: datetime | None,
    now: datetime,
) -> list[ReachedLevel]:
    """Every escalation level the action has reached now, lowest first."""
    overdue = working_days_overdue(calendar, target, now) if target else 0
    stalled = heard_from_at is not None and heard_from_at <= stalled_since(policy, now)
    reached = []
    if stalled and policy.levels:
        # Stalling sits below the ladder (level 0), telling whom level 1 tells: an action
        # that is both quiet and late still climbs the ladder from level 1.
        reached.append(ReachedLevel(STALLED_LEVEL, STALLED, policy.levels[0].notify))
    for level in policy.levels:
        if target and overdue >= level.working_days_overdue:
            reached.append(ReachedLevel(level.level, OVERDUE, level.notify))
        elif level.on_rag and rag == level.on_rag:
            reached.append(ReachedLevel(level.level, RAG_RED, level.notify))
    return reached


def not_yet_raised(reached: list[ReachedLevel], escalation_level: int) -> list[ReachedLevel]:
    """Of the levels reached, those the action's open `escalation_level` does not cover yet.

    A level counts once it is above the open one; stalling counts only while nothing at all
    is open (an action already on the ladder is not told it is quiet).
    """
    return [
        level
        for level in reached
        if (level.level == STALLED_LEVEL and escalation_level == 0)
        or (level.level != STALLED_LEVEL and level.level > escalation_level)
    ]
