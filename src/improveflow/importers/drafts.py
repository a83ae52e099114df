"""Mutable drafts of themes, objectives and actions while a table is being read.

Text is held as a list of paragraphs so that a row continued after a page break can extend the
last paragraph ("Develop an organisation wide" + "leadership and change management programme.")
without rebuilding the rest; :meth:`ThemeDraft.to_record` turns the drafts into plain records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from improveflow.importers.records import ParsedAction, ParsedObjective, ParsedTheme

# "(key challenge suggestion 2)", "(key challenge suggestions 2 and 3)": the peer review's own
# numbering, kept as the objective's reference and taken out of its text.
_SUGGESTION = re.compile(r"\(\s*(key\s+challenge\s+suggestions?\b[^()]*?)\s*\)", re.IGNORECASE)
# "1. Ensure that ..." numbers the objectives of some service plans.
_LEADING_NUMBER = re.compile(r"^(\d{1,2})[.)]\s+(?=\S)")
_LIST_MARKER = re.compile(r"^(?:[•·▪◦●]\s*|-\s+)")


def continue_paragraph(parts: list[str], text: str) -> None:
    """Join text to the last paragraph, as the rest of a sentence cut by a page break."""
    if parts:
        parts[-1] = f"{parts[-1]} {text}"
    else:
        parts.append(text)


def attach_item(parts: list[str], text: str) -> None:
    """Add a list item under the last paragraph (the rest of a list cut by a page break)."""
    if parts:
        parts[-1] = f"{parts[-1]}\n{text}"
    else:
        parts.append(text)


def joined(parts: list[str]) -> str | None:
    """Paragraphs as one text, or None when there are none."""
    if len(parts) < 2:  # most fields of most rows: called for each of them
        return parts[0] or None if parts else None
    text = "\n".join(part for part in parts if part)
    return text or None


def without_marker(text: str) -> str:
    """A list item's text without its bullet or dash, used when a measure describes an action."""
    return "\n".join(_LIST_MARKER.sub("", line, count=1) for line in text.split("\n"))


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def split_reference(text: str, reference: str | None) -> tuple[str | None, str]:
    """The objective's reference and its text without the reference written into it."""
    suggestions = [" ".join(match.split()) for match in _SUGGESTION.findall(text)]
    if suggestions:
        text = _SUGGESTION.sub(" ", text)
        found = "; ".join(suggestions)
        reference = f"{reference}; {found}" if reference else found
    text = _tidy(text)
    if reference is None:
        number = _LEADING_NUMBER.match(text)
        if number:
            reference = number.group(1)
            text = text[number.end() :]
    return reference, text


@dataclass
class ActionDraft:
    """An action being read. ``description`` None means "described by its objective's text"."""

    line: int
    description: list[str] | None
    lead: list[str] = field(default_factory=list)
    timescale: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    original: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    rag: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)
    lead_inherited: bool = False  # the row's lead cell was empty: the lead is the action above's
    lead_follows_break: bool = False  # see ParsedAction.lead_follows_break

    def flag(self, reason: str) -> None:
        if reason not in self.review:
            self.review.append(reason)

    def parts(self, name: str) -> list[str]:
        """The paragraphs of a per-action field by cell name: "lead", "extra:eina", "action"."""
        if name.startswith("extra:"):
            return self.extra.setdefault(name.removeprefix("extra:"), [])
        if name == "action":
            if self.description is None:
                self.description = []  # still described by the objective while it stays empty
            return self.description
        parts: list[str] = getattr(self, name)
        return parts

    def to_record(self, objective_text: str) -> ParsedAction:
        description = joined(self.description) if self.description is not None else None
        return ParsedAction(
            description=_tidy(description) if description else objective_text,
            lead=joined(self.lead),
            timescale=joined(self.timescale),
            measures=joined(self.measures),
            progress=joined(self.progress),
            line=self.line,
            review=list(self.review),
            extra={key: text for key, parts in self.extra.items() if (text := joined(parts))},
            original_timescale=joined(self.original),
            start=joined(self.start),
            completed=joined(self.completed),
            rag=joined(self.rag),
            priority=joined(self.priority),
            status=joined(self.status),
            lead_follows_break=self.lead_follows_break,
        )


@dataclass
class ObjectiveDraft:
    """An objective being read, with its actions."""

    line: int
    reference: str | None
    text: list[str]
    outcomes: list[str] = field(default_factory=list)
    monitoring: list[str] = field(default_factory=list)
    risk: list[str] = field(default_factory=list)
    actions: list[ActionDraft] = field(default_factory=list)

    def to_record(self) -> ParsedObjective:
        reference, text = split_reference(joined(self.text) or "", self.reference)
        return ParsedObjective(
            reference=reference,
            text=text,
            outcomes=joined(self.outcomes),
            monitoring=joined(self.monitoring),
            risk_rating=joined(self.risk),
            line=self.line,
            actions=[action.to_record(text) for action in self.actions],
        )


@dataclass
class ThemeDraft:
    """A theme being read."""

    title: str
    line: int
    objectives: list[ObjectiveDraft] = field(default_factory=list)

    def to_record(self) -> ParsedTheme:
        return ParsedTheme(
            title=self.title,
            line=self.line,
            objectives=[objective.to_record() for objective in self.objectives],
        )
