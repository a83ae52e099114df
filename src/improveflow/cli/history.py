"""An action's history as lines of text: the sentences of its web page, one entry a line."""

from __future__ import annotations

from collections.abc import Sequence

from improveflow.calendar import as_london
from improveflow.cli.wording import day, rag_label
from improveflow.services.action_history import (
    Added,
    Ask,
    CarriedForward,
    Changed,
    Decided,
    Escalated,
    EscalationClosed,
    HistoryEntry,
    Imported,
    NoProgress,
    ProgressRecorded,
    RequestClosed,
    RequestOutcome,
    SignedOff,
    Waiting,
)


def _said(text: str | None) -> str:
    return f" ({text})" if text else ""


def _names(decisions: Sequence[Decided]) -> str:
    named = [
        f"{d.by}{f' as deputy for {d.deputy_for}' if d.deputy_for else ''}{_said(d.comment)}"
        for d in decisions
    ]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _asked(ask: Ask) -> str:
    return f"asked by {ask.by or 'someone no longer listed'}{_said(ask.reason)}"


def _what(ask: Ask) -> str:
    if ask.new_target_date is None:
        return ask.label
    since = f" from {day(ask.target_then)}" if ask.target_then else ""
    return f"{ask.label}{since} to {day(ask.new_target_date)}"


def _changed(entry: Changed) -> str:
    parts = []
    if entry.state_changed:
        parts.append(f"State changed from {entry.from_state} to {entry.to_state}")
    if entry.target_changed:
        lead = "and target date " if parts else "Target date "
        if entry.target_from:
            parts.append(f"{lead}changed from {day(entry.target_from)} to {day(entry.target_to)}")
        else:
            parts.append(f"{lead}set to {day(entry.target_to)}")
    line = ", ".join(parts) if parts else entry.label.capitalize()
    if entry.ask:
        line += f": {_asked(entry.ask)}, approved by {_names(entry.ask.approvals)}"
    elif entry.by:
        line += f" by {entry.by}{_said(entry.reason)}"
    else:
        line += _said(entry.reason)
    if entry.closed_levels:
        levels = [str(level) for level in entry.closed_levels]
        if len(levels) == 1:
            line += f". This closed the escalation at level {levels[0]}"
        else:
            line += (
                f". This closed the escalations at levels {', '.join(levels[:-1])} and {levels[-1]}"
            )
    return line


def _closed(entry: RequestClosed) -> str:
    ask = entry.ask
    if entry.outcome is RequestOutcome.REJECTED:
        by = _names(ask.rejections) if ask.rejections else entry.by
        return f"Request to {_what(ask)} rejected: {_asked(ask)}, rejected by {by}"
    if entry.outcome is RequestOutcome.WITHDRAWN:
        return (
            f"Request to {_what(ask)} withdrawn: {_asked(ask)}, withdrawn by {entry.by or ask.by}"
        )
    approved = f", approved by {_names(ask.approvals)}" if ask.approvals else ""
    return (
        f"Request to {_what(ask)} closed with no change: {_asked(ask)}{approved}, but by then "
        "it no longer applied to the action"
    )


def _waiting(entry: Waiting) -> str:
    ask = entry.ask
    line = (
        f"{ask.by or 'Someone no longer listed'} asked to {_what(ask)}{_said(ask.reason)}: "
        f"waiting for a decision by {ask.body}"
    )
    if ask.approvals:
        line += (
            f" ({len(ask.approvals)} of {ask.quorum} approvals so far, "
            f"from {_names(ask.approvals)})"
        )
    return line


def _escalated(entry: Escalated) -> str:
    if entry.rating:
        why = f"the action was rated {rag_label(entry.rating)}"
    elif entry.target_date:
        days = entry.working_days_overdue
        why = (
            f"{days} working {'day' if days == 1 else 'days'} past its target date, "
            f"{day(entry.target_date)}"
        )
    else:
        why = "it is past its target date"
    return f"Escalated to level {entry.level}: {why}"


def sentence(entry: HistoryEntry) -> str:
    """The entry as the action's page says it (a progress update's text after a colon)."""
    if isinstance(entry, Changed):
        return _changed(entry)
    if isinstance(entry, Waiting):
        return _waiting(entry)
    if isinstance(entry, RequestClosed):
        return _closed(entry)
    if isinstance(entry, ProgressRecorded):
        source = (
            f" from the plan's file ({entry.source})"
            if entry.source
            else (f" by {entry.by}" if entry.by else "")
        )
        rated = f", rated {rag_label(entry.rag)}" if entry.rag else ""
        return f"Progress update{source}{rated}: {' '.join(entry.text.split())}"
    if isinstance(entry, Escalated):
        return _escalated(entry)
    if isinstance(entry, EscalationClosed):
        return f"Escalation at level {entry.level} closed"
    if isinstance(entry, NoProgress):
        since = f"since {day(entry.since)}" if entry.since else "for a long while"
        return f"No news {since}: a progress update was asked for"
    if isinstance(entry, SignedOff):
        line = f"Signed off by committee on {day(entry.on)}"
        line += f" (minute {entry.minute})" if entry.minute else ""
        line += f", recorded by {entry.by}" if entry.by else ""
        return line + (f", in place of {day(entry.earlier)}" if entry.earlier else "")
    if isinstance(entry, Imported):
        line = f"Imported from the plan's file{_said(entry.source)} as {entry.state}"
        if entry.evidence:
            line += f". Its state comes from these words in its progress: “{entry.evidence}”"
        return line
    if isinstance(entry, CarriedForward):
        by = f", by {entry.by}" if entry.by else ""
        return (
            f"Carried forward from {entry.origin}{by}, as {entry.state}; its earlier history "
            f"is under 'improveflow action show {entry.from_action_id}'"
        )
    assert isinstance(entry, Added)
    return f"Action added to the plan{f' by {entry.by}' if entry.by else ''} as {entry.state}"


def lines(entries: Sequence[HistoryEntry]) -> list[str]:
    """One line per entry, oldest first, each starting with its London date and time."""
    return [
        f"{as_london(entry.at):%Y-%m-%d %H:%M}  {sentence(entry)}" for entry in reversed(entries)
    ]
