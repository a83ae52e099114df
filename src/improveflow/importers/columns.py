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
from dataclasses import dataclass, field
from enum import StrEnum

from improveflow.importers.html_text import cell_text


class Field(StrEnum):
    """The canonical meaning of a column."""

    THEME = "theme"
    REFERENCE = "reference"
    OBJECTIVE = "objective"
    OUTCOMES = "outcomes"
    MEASURES = "measures"  # per action; only named so by --map (headers say "outcomes")
    ACTION = "action"
    LEAD = "lead"
    TIMESCALE = "timescale"
    ORIGINAL_TARGET = "original_target"
    REVISED_TARGET = "revised_target"
    START = "start"
    COMPLETED = "completed"
    PROGRESS = "progress"
    STATUS = "status"
    RAG = "rag"
    PRIORITY = "priority"
    MONITORING = "monitoring"
    EINA = "eina"
    RISK = "risk"
    # Kept as other details and never read as a target, an action or a lead: when a record was
    # created or changed, a meeting's date, an export's bookkeeping.
    DETAILS = "details"


# Known spellings after normalisation, separated by "|".
_SPELLINGS: dict[Field, str] = {
    Field.THEME: (
        "theme|themes|bucket|bucket name|audit|audit title|audit name|audit area|audit review"
        "|select committee|committee|scrutiny committee|service area|directorate|workstream"
        "|work stream|strand|category|section"
    ),
    Field.REFERENCE: (
        "ref|reference|ref no|no|number|item|rec no|recommendation no|recommendation number"
        "|rec ref|action no|action number|action ref"
    ),
    Field.OBJECTIVE: (
        "challenge|challenges|key challenge|priority|priorities|scc priority|key priority"
        "|objective|objectives|key objective|key objectives|service objective"
        "|strategic objective|aim|aims|recommendation|recommendations|recommendation made"
        "|what|issue|governance issue|significant governance issue|area for improvement"
        "|areas for improvement|finding|findings|audit finding|weakness|issue identified"
    ),
    Field.OUTCOMES: (
        "outcomes|outcome|outcomes measures of success|measures of success"
        "|performance and outcome measures|key measures of success|success criteria|measures"
        "|measure|success measures|performance measures|kpis|key performance indicators"
        "|expected outcomes"
    ),
    Field.ACTION: (
        "action|actions|milestones|milestone|key actions|key milestones|actions milestones"
        "|tasks|activities|what we will do|what will we do|how|task|task name|agreed action"
        "|agreed actions|action required|actions required|action to be taken"
        "|actions to be taken|management response|management action|agreed management action"
        "|response|council response|proposed action|planned action|planned actions"
        "|action agreed|actions agreed|title|improvement action|improvement actions"
    ),
    Field.LEAD: (
        "lead|leads|owner|owners|lead officer|lead officers|lead officer group"
        "|responsible officer|responsible|responsibility|by whom|who|contact|contact details"
        "|who by|assigned to|action owner|action owners|officer|accountable officer"
        "|responsible person|recommendation made to|made to|lead responsible officer"
    ),
    Field.TIMESCALE: (
        "target date|timescale|timescales|deadline for completion|deadline|target|due date"
        "|completion date|by when|when|date|due|timetable|target completion date"
        "|implementation date|agreed implementation date|target timescale|end date"
    ),
    Field.ORIGINAL_TARGET: (
        "original target date|original target|original date|original deadline"
        "|original due date|original timescale|original implementation date"
    ),
    Field.REVISED_TARGET: (
        "revised target date|revised date|revised target|revised deadline|new target date"
        "|revised timescale|revised due date|revised implementation date|new date"
    ),
    Field.START: "start date|start|date started|started",
    Field.COMPLETED: (
        "completed date|date completed|completed on|date closed|closed date|date implemented"
        "|actual completion date|date of completion"
    ),
    Field.PROGRESS: (
        "progress|progress update|progress to date|comments|comment|update|latest position"
        "|latest update|action taken|actions taken|commentary|progress comments"
        "|position statement|current position|progress notes|notes|update on progress"
    ),
    Field.STATUS: "status|current status|implementation status|state",
    Field.RAG: (
        "rag|rag status|rag rating|red amber green|traffic light|rag rating status"
        "|status rag|rag score"
    ),
    Field.PRIORITY: "priority rating|priority level|recommendation priority|risk priority",
    Field.MONITORING: "monitoring arrangements|monitoring|reported to",
    Field.EINA: "eina y n|eina|eia|equality impact assessment",
    Field.RISK: "risk rating|risk|risk score|risk level",
    Field.DETAILS: (
        "created|created date|date created|created by|modified|modified by|date modified"
        "|meeting date|date of meeting|committee date|date raised|date agreed|report date"
        "|date reported|date identified|item type|path|content type|version|attachments"
        "|completed by|is recurring|late|checklist items|completed checklist items|labels"
        "|id|task id|cabinet member|portfolio holder|lead member|portfolio"
    ),
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
    (Field.RAG, re.compile(r"\brag\b")),
    (Field.DETAILS, re.compile(r"\b(created|modified|meeting)\b")),
    (Field.REVISED_TARGET, re.compile(r"\b(revised|new)\b.*\b(dates?|target|deadline|due)\b")),
    (Field.ORIGINAL_TARGET, re.compile(r"\boriginal\b.*\b(dates?|target|deadline|due)\b")),
    (Field.RISK, re.compile(r"\brisks?\b")),
    (Field.MONITORING, re.compile(r"\bmonitor(ing|ed)?\b")),
    (Field.PROGRESS, re.compile(r"\b(progress|comments?|updates?)\b")),
    (Field.STATUS, re.compile(r"\bstatus\b")),
    (Field.TIMESCALE, re.compile(r"\b(target|timescales?|deadlines?|dates?|due|when)\b")),
    (Field.LEAD, re.compile(r"\b(leads?|owners?|responsib\w*|officers?|contacts?)\b")),
    (Field.OUTCOMES, re.compile(r"\b(outcomes?|measures?|success|kpis?|indicators?|criteria)\b")),
    (Field.ACTION, re.compile(r"\b(actions?|milestones?|tasks?|activit(y|ies))\b")),
    (
        Field.OBJECTIVE,
        re.compile(r"\b(objectives?|priorit(y|ies)|challenges?|aims?|goals?|recommendations?)\b"),
    ),
)
# Any of the keywords: most cells of data rows ("IA24-001", "Ongoing") have none of them.
_ANY_KEYWORD = re.compile("|".join(f"(?:{keyword.pattern})" for _, keyword in _KEYWORDS))
_MAX_KEYWORD_HEADER_WORDS = 6
# A row with a longer cell holds sentences: it is a data row, never a header row.
_MAX_HEADER_CHARS = 80
_SENTENCE_END = (".", "!", "?", ";")
_BRACKETED = re.compile(r"\([^)]*\)")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")

# Fields that make a table an action plan rather than, say, a list of aims and outcomes.
_ACTION_PLAN_FIELDS = frozenset(
    {
        Field.ACTION,
        Field.LEAD,
        Field.TIMESCALE,
        Field.ORIGINAL_TARGET,
        Field.REVISED_TARGET,
        Field.PROGRESS,
        Field.STATUS,
        Field.RAG,
    }
)


class Strength(StrEnum):
    """How sure a header makes the field of its column."""

    EXACT = "exact"  # a known spelling ("Target Date")
    KEYWORD = "keyword"  # a word in a short header ("O/S Tasks Completion Date")


def normalise_header(header: str) -> str:
    """Lower case, HTML and bracketed remarks removed, "&" as "and", punctuation as spaces."""
    text = cell_text(header) if "<" in header or "&" in header else header
    text = text.lower().replace("&", " and ")
    text = _BRACKETED.sub(" ", text)
    return _NOT_ALPHANUMERIC.sub(" ", text).strip()


@functools.lru_cache(maxsize=4096)  # short cells ("Ongoing", "HRMT") recur on every row
def recognise(header: str) -> tuple[Field, Strength] | None:
    """The field a header names and how surely, or None when it is not a known column."""
    name = normalise_header(header)
    if not name:
        return None
    exact = _EXACT.get(name)
    if exact is not None:
        return exact, Strength.EXACT
    if len(name.split()) > _MAX_KEYWORD_HEADER_WORDS:
        return None
    if header.rstrip().endswith(_SENTENCE_END):
        return None  # "Some progress." is a sentence of a data row, not a title
    if _ANY_KEYWORD.search(name) is None:
        return None
    for column, keyword in _KEYWORDS:
        if keyword.search(name):
            return column, Strength.KEYWORD
    return None


def recognise_column(header: str) -> Field | None:
    """The field a header names, or None when it is not a known column."""
    found = recognise(header)
    return found[0] if found else None


class Reason(StrEnum):
    """Why a column was given its field: shown by ``plan import --dry-run``."""

    HEADER = "header"
    CONTENT = "content"
    MAP = "--map"
    STORED = "stored mapping"
    POSITION = "position"


@dataclass(frozen=True)
class ColumnChoice:
    """One column's meaning and why it was chosen, with a few of its values."""

    slot: str  # a TableLayout slot ("action", "timescale") or "details"
    index: int
    header: str
    reason: Reason
    detail: str = ""
    samples: tuple[str, ...] = ()


# Per-action slots beside the action text and the lead.
DATE_SLOTS = ("timescale", "original", "start", "completed")
LABEL_SLOTS = ("rag", "priority", "status")


@dataclass(frozen=True)
class TableLayout:
    """Which column of a table holds what.

    ``outcomes`` is an objective-level column (it comes before the action column, as in
    "Challenge | Outcomes | Action"); ``measures`` is per action (it follows the action column, or
    the table has no action column). ``theme`` groups the objectives: a theme column, or the
    first of two objective-like columns ("SCC priority | Key Objective"). ``timescale`` is the
    current target: the revised date column where the table has one, with the first target in
    ``original``. ``extras`` are the other columns, kept as (index, key) pairs: EINA as "eina",
    others under their own title. ``choices`` say why each column got its meaning.
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
    original: int | None = None
    start: int | None = None
    completed: int | None = None
    progress: int | None = None
    status: int | None = None
    rag: int | None = None
    priority: int | None = None
    monitoring: int | None = None
    risk: int | None = None
    extras: tuple[tuple[int, str], ...] = ()
    choices: tuple[ColumnChoice, ...] = field(default=(), compare=False)

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def key(self) -> int | None:
        """The column whose filled cell starts a new objective: the reference column if any."""
        if self.reference is not None:
            return self.reference
        return self.objective if self.objective is not None else self.action

    @property
    def grouping(self) -> frozenset[int]:
        """Columns whose merged cells mean "the same objective" rather than "the same value"."""
        return frozenset(
            index for index in (self.reference, self.objective, self.outcomes) if index is not None
        )


def read_header_row(cells: Sequence[str]) -> TableLayout | None:
    """The layout a header row describes, or None when the row is not a header row."""
    return layout_from_texts([cell_text(cell) for cell in cells])


def header_fields(texts: Sequence[str]) -> dict[int, tuple[Field, Strength]] | None:
    """Each filled column's field as its header names it; None when the row is no header row.

    A header row has at least two filled cells, none of sentence length, more than half of
    them recognised, and names something that makes the table an action plan.
    """
    headers = list(texts)
    while headers and not headers[-1]:
        headers.pop()
    filled = [index for index, text in enumerate(headers) if text]
    if len(filled) < 2 or any(len(headers[index]) > _MAX_HEADER_CHARS for index in filled):
        return None
    fields: dict[int, tuple[Field, Strength]] = {}
    unrecognised = 0
    for index in filled:
        found = recognise(headers[index])
        if found is not None:
            fields[index] = found
            continue
        unrecognised += 1
        if unrecognised * 2 >= len(filled):
            return None  # half the cells name no column: a data row, whatever the rest say
    found_fields = {found[0] for found in fields.values()}
    if not found_fields & _ACTION_PLAN_FIELDS:
        return None
    return fields


def layout_from_texts(texts: Sequence[str]) -> TableLayout | None:
    """As :func:`read_header_row`, for cells already turned into text."""
    recognised = header_fields(texts)
    if recognised is None:
        return None
    headers = list(texts)
    while headers and not headers[-1]:
        headers.pop()
    fields: dict[int, Field | None] = {
        index: recognised[index][0] if index in recognised else None
        for index, text in enumerate(headers)
        if text
    }
    return layout_from_fields(tuple(headers), fields)


def layout_from_fields(
    headers: tuple[str, ...],
    fields: dict[int, Field | None],
    choices: tuple[ColumnChoice, ...] = (),
) -> TableLayout:
    """The layout of a table whose filled columns have these fields (None: not recognised)."""
    fields = dict(fields)
    found = {column for column in fields.values() if column is not None}
    if Field.OBJECTIVE not in found and Field.ACTION not in found:
        # "Review | Details | Progress to date | Completion date | Contact": the first unnamed
        # column is what the rows are about.
        unnamed = [index for index in sorted(fields) if fields[index] is None]
        if unnamed:
            fields[unnamed[0]] = Field.OBJECTIVE
    slots: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    objectives = [index for index, column in sorted(fields.items()) if column is Field.OBJECTIVE]
    if len(objectives) >= 2 and Field.THEME not in found:
        slots["theme"] = objectives[0]
        fields[objectives[0]] = None
    revised = Field.REVISED_TARGET in found
    action = next((i for i, column in sorted(fields.items()) if column is Field.ACTION), None)
    for index in sorted(fields):
        column = fields[index]
        if index in slots.values():
            continue
        slot = _slot_for(column, index, action, revised=revised)
        if slot is not None and slot not in slots:
            slots[slot] = index
        elif slot == "timescale" and revised and "original" not in slots:
            slots["original"] = index
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
    return TableLayout(headers=headers, extras=tuple(extras), choices=choices, **slots)


def _slot_for(column: Field | None, index: int, action: int | None, *, revised: bool) -> str | None:
    if column is None or column in (Field.EINA, Field.DETAILS):
        return None
    if column is Field.OUTCOMES:
        return "outcomes" if action is not None and index < action else "measures"
    if column is Field.REVISED_TARGET:
        return "timescale"
    if column is Field.ORIGINAL_TARGET:
        return "original" if revised else "timescale"
    if column is Field.TIMESCALE and revised:
        return "original"
    return _FIELD_SLOTS.get(column, column.value)


_FIELD_SLOTS = {Field.START: "start", Field.COMPLETED: "completed", Field.MEASURES: "measures"}
