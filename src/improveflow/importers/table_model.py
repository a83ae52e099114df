"""The one table model every reader ends in: a document's rows of cells, headings and breaks.

Readers (converted text, CSV, XLSX, DOCX, PDF, HTML) turn a file into a :class:`SourceDocument`:
its parts in reading order, each row with the cells as written and where it came from. Header
scoring, column typing, mapping, dates, leads and the review report are written once, after
this point (see :mod:`layout_choice` and :mod:`assemble`).

Cells are text. Several paragraphs in a cell are kept as HTML (``<p>``, ``<ul><li>``) or as
newline-separated plain text, which :mod:`html_text` reads the same way.

A cell that continues the cell above it (a vertically merged cell in Word, a ``rowspan`` in
HTML, a merged range in Excel) holds the same text as the cell it continues, and its column is
listed in :attr:`Row.continued`: the assembler then treats a continued key column (the
challenge or recommendation) as "the same objective" and copies per-action columns (lead,
date) into each row the merge spans. A horizontally merged cell (``gridSpan``, ``colspan``)
keeps its text in its first column; the columns it covers are empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath


@dataclass(frozen=True, slots=True)
class Row:
    """One table row.

    ``line`` orders the rows of a document and is the record's line number: the source line
    for text and CSV, the sheet's row number for a workbook, a running number elsewhere.
    ``where`` says where a person finds the row ("page 2, table 1, row 5", "sheet Tracker,
    row 12", "table 2, row 5"); None means "line ``line``".
    """

    line: int
    cells: list[str]
    where: str | None = None
    continued: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading between tables; it may name the theme of the rows below it."""

    line: int
    text: str
    level: int  # 1 for the document's top headings; 7 for a bold paragraph used as a heading


@dataclass(frozen=True, slots=True)
class PageBreak:
    """A page break, blank line or rule: the next row may continue the one before it."""


@dataclass(frozen=True, slots=True)
class Prose:
    """Narrative text outside any table: whatever table was open has ended."""


@dataclass(frozen=True, slots=True)
class TableStart:
    """A new table begins (a new sheet, a new ``<table>``): nothing continues across it."""

    name: str | None = None  # "sheet Tracker", "table 2"


Part = Row | Heading | PageBreak | Prose | TableStart


@dataclass
class SourceDocument:
    """Everything a reader found in one file, before any column is given a meaning."""

    file: str
    title: str | None
    parts: list[Part] = field(default_factory=list)
    encoding: str | None = None  # how text was decoded; None for binary formats
    notes: list[str] = field(default_factory=list)  # what the reader skipped, for the report

    def rows(self) -> list[Row]:
        """Every row in reading order."""
        return [part for part in self.parts if isinstance(part, Row)]

    def position(self, line: int) -> str:
        """Where the row at ``line`` is within the file: "line 12", "table 2, row 5"."""
        for part in self.parts:
            if isinstance(part, Row) and part.line == line and part.where:
                return part.where
        return f"line {line}"

    def where(self, line: int) -> str:
        """How a person finds the row at ``line``: "plan.txt:12", "plan.docx, table 2, row 5"."""
        name = PurePath(self.file).name
        position = self.position(line)
        return f"{name}:{line}" if position == f"line {line}" else f"{name}, {position}"
