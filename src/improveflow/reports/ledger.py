"""The date ledger in words: an action's first target date and how often it was changed."""

from __future__ import annotations

from datetime import date

from improveflow.templating import short_date

_TIMES = {1: "once", 2: "twice"}


def times(count: int) -> str:
    """'once', 'twice', '3 times'."""
    return _TIMES.get(count, f"{count} times")


def ledger_line(first_target: date | None, changes: int) -> str:
    """'first due 31 July 2014; re-dated twice'; 'first due 31 July 2014; not re-dated'; ''
    when the action never had a target date."""
    if first_target is None:
        return ""
    changed = f"re-dated {times(changes)}" if changes else "not re-dated"
    return f"first due {short_date(first_target)}; {changed}"
