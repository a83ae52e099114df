"""The words email templates use, as filters: dates, working days, counts, short texts.

Pure functions of plain values, registered on the renderer's environment and usable alone.
Nothing here counts working days: the counts arrive in the context, made with the calendar
of the action's own workflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from improveflow.calendar import as_london

__all__ = [
    "DESCRIPTION_MAX",
    "EN_DASH",
    "SUBJECT_MAX",
    "and_list",
    "digest_summary",
    "due",
    "humanise",
    "long_date",
    "one_line",
    "plural",
    "quiet_for",
    "quiet_for_all",
    "regarding",
    "shorten",
    "working_days",
]

SUBJECT_MAX = 150
DESCRIPTION_MAX = 60
ELLIPSIS = "\u2026"
EN_DASH = "\u2013"

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Digest subject wording, in the order the parts are listed.
_DIGEST_PARTS = (
    ("reminder", "reminder", "reminders"),
    ("progress_prompt", "progress update needed", "progress updates needed"),
    ("escalation", "escalation", "escalations"),
    ("no_progress", "action with no recent progress", "actions with no recent progress"),
    ("approval_needed", "approval needed", "approvals needed"),
    ("decision", "decision", "decisions"),
    ("reply_recorded", "reply recorded", "replies recorded"),
)


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif len(value) == 10:
        return date.fromisoformat(value)
    else:
        moment = datetime.fromisoformat(value)
    # A moment is shown as the day it was in London, where the councils are.
    return as_london(moment).date() if moment.tzinfo is not None else moment.date()


def long_date(value: str | date | None) -> str:
    """'Friday 31 July 2015' from an ISO date or moment; '' for none."""
    day = _as_date(value)
    if day is None:
        return ""
    # Spelled out here rather than with strftime, which follows the machine's locale.
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def working_days(n: int | None) -> str:
    """'in 5 working days', 'today' or '1 working day ago'; '' for none."""
    if n is None:
        return ""
    if n == 0:
        return "today"
    unit = "working day" if abs(n) == 1 else "working days"
    return f"in {n} {unit}" if n > 0 else f"{-n} {unit} ago"


def due(item: Mapping[str, Any]) -> str:
    """'is due in 5 working days', 'is due today', 'is due tomorrow', 'is due on Tuesday',
    'was due 2 working days ago', from an item's `working_days_left` and `target_date`.

    With `as_of` (the day the working days were counted on) the day is named whenever a
    weekend or bank holiday makes 'in 1 working day' unclear. Without it (an email queued by
    an older version) only the count is said, which is true whatever the calendar.
    """
    n = item.get("working_days_left")
    target = _as_date(item.get("target_date"))
    if n is None or target is None:
        return "has no target date"
    today = _as_date(item.get("as_of"))
    if today is not None:
        days = (target - today).days
        if days == 0:
            return "is due today"
        if days == 1:
            return "is due tomorrow"
        if days == -1:
            return "was due yesterday"
        if 1 < days < 7 and n <= 1:
            return f"is due on {_DAYS[target.weekday()]}"
        if -7 < days < -1 and n == 0:
            return f"was due on {_DAYS[target.weekday()]}"
    if n == 0:
        return "is due today"
    if n < 0:
        return f"was due {working_days(n)}"
    return f"is due {working_days(n)}"


def quiet_for(days: int | None) -> str:
    """How long there has been no news: '6 weeks' (whole weeks from two weeks on), '10 days'."""
    if days is None:
        return ""
    if days >= 14:
        return plural(days // 7, "week")
    return plural(days, "day")


def quiet_for_all(items: Sequence[Mapping[str, Any]]) -> str:
    """How long several actions have had no news: '6 weeks', or '6 weeks or more' when they
    differ (the shortest)."""
    said = {quiet_for(item["days_quiet"]) for item in items}
    shortest = quiet_for(min(item["days_quiet"] for item in items))
    return shortest if len(said) == 1 else f"{shortest} or more"


def and_list(values: Sequence[Any]) -> str:
    """'2', '2 and 3', '1, 2 and 3'."""
    words = [str(value) for value in values]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def plural(n: int, singular: str, many: str | None = None) -> str:
    """'1 action', '3 actions'."""
    return f"{n} {singular if n == 1 else (many or singular + 's')}"


def shorten(text: str | None, width: int = DESCRIPTION_MAX) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - len(ELLIPSIS)]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-" + EN_DASH) + ELLIPSIS


def one_line(text: str, width: int = SUBJECT_MAX) -> str:
    """A subject line: no line breaks, single spaces, at most `width` characters."""
    return shorten(text, width)


def regarding(label: str, description: str) -> str:
    """The change and the action it is about, for a subject.

    "change the target date of 'X'", or "mark the action complete" + en dash + "'X'" when the
    label already names the action.
    """
    if "action" in label.split():
        return f"{label} {EN_DASH} '{description}'"
    return f"{label} of '{description}'"


def humanise(name: str | None) -> str:
    """'in_progress' -> 'In progress'."""
    return (name or "").replace("_", " ").capitalize()


def digest_summary(sections: Sequence[Mapping[str, Any]]) -> str:
    """'3 reminders, 1 progress update needed' from a digest's sections."""
    counts: dict[str, int] = {}
    for section in sections:
        context = section["context"]
        # Decisions and approvals are one per section; the rest list items.
        counted = len(context["items"]) if "items" in context else 1
        counts[section["kind"]] = counts.get(section["kind"], 0) + counted
    return ", ".join(
        plural(counts[kind], one, many) for kind, one, many in _DIGEST_PARTS if counts.get(kind)
    )


# Who, besides an owner, a level may tell: "you are ..., and ... are told of ...".
