"""Header recognition: the many ways councils title the same column, mapped to one field.

A header cell is normalised (HTML removed, lower case, "&" read as "and", bracketed remarks such as
"(if 200708)" dropped, punctuation to spaces) and looked up among known spellings. A short header
that is not known exactly is recognised by a keyword ("Lead Officer/Group" -> lead,
"O/S Tasks Completion Date" -> timescale); long cells never are, so a sentence in a data row that
mentions "progress" does not turn the row into a header.

A row is a header row when it has at least two filled cells, more than half of them are
recognised, and it names something to do (an objective or action column) and something that
makes it an action plan (action, lead, timescale or progress).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from improveflow.importers.html_text import cell_text


class Field(StrEnum):
    """The canonical meaning of a column."""

    REFERENCE = "reference"
    OBJECTIVE = "objective"
    OUTCOMES = "outcomes"
    ACTION = "action"
    LEAD = "lead"
    TIMESCALE = "timescale"
    PROGRESS = "progress"
    MONITORING = "monitoring"
    EINA = "eina"
    RISK = "risk"


# Known spellings after normalisation, separated by "|".
_SPELLINGS: dict[Field, str] = {
    Field.REFERENCE: "ref|reference|ref no|no|number|item",
    Field.OBJECTIVE: (
        "challenge|challenges|key challenge|priority|priorities|scc priority|key priority"
        "|objective|objectives|key objective|key objectives|service objective"
        "|strategic objective|aim|aims|recommendation"
    ),
    Field.OUTCOMES: (
        "outcomes|outcome|outcomes measures of success|measures of success"
        "|performance and outcome measures|key measures of success|success criteria|measures"
        "|measure|success measures|performance measures|kpis|key performance indicators"
        "|expected outcomes"
    ),
    Field.ACTION: (
        "action|actions|milestones|milestone|key actions|key milestones|actions milestones"
        "|tasks|activities|what we will do"
    ),
    Field.LEAD: (
        "lead|leads|owner|owners|lead officer|lead officers|lead officer group"
        "|responsible officer|responsible|responsibility|by whom|who|contact|contact details"
    ),
    Field.TIMESCALE: (
        "target date|timescale|timescales|deadline for completion|deadline|target|due date"
        "|completion date|by when|when|date"
    ),
    Field.PROGRESS: (
        "progress|progress update|progress to date|comments|comment|update|status|latest position"
    ),
    Field.MONITORING: "monitoring arrangements|monitoring|reported to",
    Field.EINA: "eina y n|eina|eia|equality impact assessment",
    Field.RISK: "risk rating|risk|risk score|risk level",
}
_EXACT: dict[str, Field] = {
    spelling: column
    for column, spellings in _SPELLINGS.items()
    for spelling in spellings.split("|")
}

# Checked in this order: "Progress to date" is progress, not a date; "Tasks completion date" is
# a timescale, not an action.
_KEYWORDS: tuple[tuple[Field, re.Pattern[str]], ...] = (
    (Field.EINA, re.compile(r"\beina\b|\bequality impact\b")),
    (Field.RISK, re.compile(r"\brisks?\b")),
    (Field.MONITORING, re.compile(r"\bmonitor(ing|ed)?\b")),
    (Field.PROGRESS, re.compile(r"\b(progress|comments?|updates?|status)\b")),
    (Field.TIMESCALE, re.compile(r"\b(target|timescales?|deadlines?|dates?|due|when)\b")),
    (Field.LEAD, re.compile(r"\b(leads?|owners?|responsib\w*|officers?|contacts?)\b")),
    (Field.OUTCOMES, re.compile(r"\b(outcomes?|measures?|success|kpis?|indicators?|criteria)\b")),
    (Field.ACTION, re.compile(r"\b(actions?|milestones?|tasks?|activit(y|ies))\b")),
    (Field.OBJECTIVE, re.compile(r"\b(objectives?|priorit(y|ies)|challenges?|aims?|goals?)\b")),
)
_MAX_KEYWORD_HEADER_WORDS = 6
# A row with a longer cell holds sentences: it is a data row, never a header row.
_MAX_HEADER_CHARS = 80
_SENTENCE_END = (".", "!", "?", ";")
_BRACKETED = re.compile(r"\([^)]*\)")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")

# Fields that make a table an action plan rather than, say, a list of aims and outcomes.
_ACTION_PLAN_FIELDS = frozenset({Field.ACTION, Field.LEAD, Field.TIMESCALE, Field.PROGRESS})


def normalise_header(header: str) -> str:
    """Lower case, HTML and bracketed remarks removed, "&" as "and", punctuation as spaces."""
    text = cell_text(header) if "<" in header or "&" in header else header
    text = text.lower().replace("&", " and ")
    text = _BRACKETED.sub(" ", text)
    return _NOT_ALPHANUMERIC.sub(" ", text).strip()


@functools.lru_cache(maxsize=4096)  # short cells ("Ongoing", "HRMT") recur on every row
def recognise_column(header: str) -> Field | None:
    """The field a header names, or None when it is not a known column."""
    name = normalise_header(header)
    if not name:
        return None
    exact = _EXACT.get(name)
    if exact is not None or len(name.split()) > _MAX_KEYWORD_HEADER_WORDS:
        return exact
    if header.rstrip().endswith(_SENTENCE_END):
        return None  # "Some progress." is a sentence of a data row, not a title
    for column, keyword in _KEYWORDS:
        if keyword.search(name):
            return column
    return None


@dataclass(frozen=True)
class TableLayout:
    """Which column of a table holds what.

    ``outcomes`` is an objective-level column (it comes before the action column, as in
    "Challenge | Outcomes | Action"); ``measures`` is per action (it follows the action column, or
    the table has no action column). ``theme`` is the first of two objective-like columns
    ("SCC priority | Key Objective"): it groups the objectives. ``extras`` are the other columns,
    kept as (index, key) pairs: EINA as "eina", unrecognised headers under their own title.
    """

    headers: tuple[str, ...]
    theme: int | None = None
    reference: int | None = None
    objective: int | None = None
    outcomes: int | None = None
    action: int | None = None
    measures: int | None = None
    lead: int | None = None
    timescale: int | None = None
    progress: int | None = None
    monitoring: int | None = None
    risk: int | None = None
    extras: tuple[tuple[int, str], ...] = ()

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def key(self) -> int | None:
        """The column whose filled cell starts a new objective: the reference column if any."""
        if self.reference is not None:
            return self.reference
        return self.objective if self.objective is not None else self.action


def read_header_row(cells: Sequence[str]) -> TableLayout | None:
    """The layout a header row describes, or None when the row is not a header row."""
    return layout_from_texts([cell_text(cell) for cell in cells])


def layout_from_texts(texts: Sequence[str]) -> TableLayout | None:
    """As :func:`read_header_row`, for cells already turned into text."""
    headers = list(texts)
    while headers and not headers[-1]:
        headers.pop()
    filled = [index for index, text in enumerate(headers) if text]
    if len(filled) < 2 or any(len(headers[index]) > _MAX_HEADER_CHARS for index in filled):
        return None
    fields = {index: recognise_column(headers[index]) for index in filled}
    recognised = [index for index in filled if fields[index] is not None]
    found = {fields[index] for index in recognised}
    if len(recognised) * 2 <= len(filled) or not found & _ACTION_PLAN_FIELDS:
        return None
    if Field.OBJECTIVE not in found and Field.ACTION not in found:
        # "Review | Details | Progress to date | Completion date | Contact": the first unnamed
        # column is what the rows are about.
        unnamed = [index for index in filled if fields[index] is None]
        if not unnamed:
            return None
        fields[unnamed[0]] = Field.OBJECTIVE
    return _layout(tuple(headers), fields)


def _layout(headers: tuple[str, ...], fields: dict[int, Field | None]) -> TableLayout:
    slots: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    objectives = [index for index, column in sorted(fields.items()) if column is Field.OBJECTIVE]
    if len(objectives) >= 2:
        slots["theme"] = objectives[0]
        fields[objectives[0]] = None
    action = next((i for i, column in sorted(fields.items()) if column is Field.ACTION), None)
    for index in sorted(fields):
        column = fields[index]
        if index in slots.values():
            continue
        slot = _slot_for(column, index, action)
        if slot is not None and slot not in slots:
            slots[slot] = index
        elif column is Field.EINA:
            extras.append((index, "eina"))
        else:
            extras.append((index, headers[index]))
    if headers and not headers[0] and "reference" not in slots and 0 not in slots.values():
        # An unlabelled first column holds the letters of lettered priorities (A, B, <b>C</b>).
        slots["reference"] = 0
    used = set(slots.values()) | {index for index, _ in extras}
    # Cells under an empty header are still kept, named by their position.
    extras.extend(
        (index, f"column {index + 1}") for index in range(len(headers)) if index not in used
    )
    return TableLayout(headers=headers, extras=tuple(extras), **slots)


def _slot_for(column: Field | None, index: int, action: int | None) -> str | None:
    if column is None:
        return None
    if column is Field.OUTCOMES:
        return "outcomes" if action is not None and index < action else "measures"
    if column is Field.EINA:
        return None
    return column.value
