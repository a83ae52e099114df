"""Plain records produced by the plan readers: what a council plan says, before any database work.

Text fields keep the council's wording with HTML removed. A field that held several paragraphs
keeps them separated by newlines ("Head of Strategic HR\\nHR Delivery Manager"), so nothing that
was written is lost and a consumer can still split them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import PurePath

from improveflow.importers.columns import TableLayout

# Reasons a person must look at an action. Each review entry starts with one of these; some add
# detail after a colon, e.g. "paragraphs did not line up: 3 actions, 4 target dates".
REVIEW_PAGE_BREAK_MERGE = "text merged across a page break"
REVIEW_PARAGRAPHS_MISALIGNED = "paragraphs did not line up"
REVIEW_ROW_MERGED = "row without its own action merged into the action above"
REVIEW_NO_LEAD_OR_TIMESCALE = "row gives neither lead nor timescale"
REVIEW_DESCRIPTION_FROM_OBJECTIVE = "row has no action text; the objective describes it"
REVIEW_LEAD_JOINED = "lead joined across a page break"


@dataclass
class ParsedAction:
    """One thing to do, as one row (or one paragraph of a row) of a plan's table states it."""

    description: str
    lead: str | None
    timescale: str | None
    measures: str | None
    progress: str | None
    line: int
    review: list[str] = field(default_factory=list)
    # Columns improveflow has no field for, by header: kept as the action's other details.
    extra: dict[str, str] = field(default_factory=dict)
    original_timescale: str | None = None  # the first target, where the table has a revised one
    start: str | None = None
    completed: str | None = None
    rag: str | None = None
    priority: str | None = None
    status: str | None = None
    # The lead's row continued the action above after a page break, so the lead's first words
    # may be the end of that action's lead; only the directory can tell (see lead_breaks).
    lead_follows_break: bool = False


@dataclass
class ParsedObjective:
    """A challenge, priority or key objective together with the actions that deliver it."""

    reference: str | None
    text: str
    outcomes: str | None
    monitoring: str | None
    risk_rating: str | None
    line: int
    actions: list[ParsedAction] = field(default_factory=list)


@dataclass
class ParsedTheme:
    """A section of the plan; a heading repeated on every page is still one theme."""

    title: str
    line: int
    objectives: list[ParsedObjective] = field(default_factory=list)


@dataclass
class UnplacedRow:
    """A table row the reader could not attach to any objective or action."""

    line: int
    text: str
    reason: str


@dataclass
class ParsedPlan:
    """Everything read from one file."""

    file: str
    title: str | None
    themes: list[ParsedTheme] = field(default_factory=list)
    unplaced: list[UnplacedRow] = field(default_factory=list)
    sections_skipped: list[str] = field(default_factory=list)
    encoding: str | None = "utf-8"  # how the text was decoded; None for a workbook
    # Where a person finds a row that is not simply a line of the file: "table 2, row 5".
    positions: dict[int, str] = field(default_factory=dict)
    layouts: list[TableLayout] = field(default_factory=list)  # each table's columns, and why
    layout_changes: list[str] = field(default_factory=list)  # against the plan's last import

    def source(self, line: int) -> str:
        """ "plan.txt:12", or "plan.docx, table 2, row 5" where the reader said so."""
        name = _file_name(self.file)
        where = self.positions.get(line)
        return f"{name}, {where}" if where else f"{name}:{line}"

    def objectives(self) -> list[ParsedObjective]:
        """Every objective in document order."""
        return [objective for theme in self.themes for objective in theme.objectives]

    def actions(self) -> list[ParsedAction]:
        """Every action in document order."""
        return [action for objective in self.objectives() for action in objective.actions]


@functools.lru_cache(maxsize=64)  # asked once per action of a file
def _file_name(file: str) -> str:
    return PurePath(file).name
