"""One place that decides what each row of a plan's table is: theme, header, objective, action.

Readers (council text, CSV, XLSX) feed rows as ``(line, cells)`` plus, for documents, headings,
page breaks and prose; :class:`PlanAssembler` follows the document's outline (themes, headings,
which table is open) and hands each data row to :class:`RowPlacer`.

Rules:
- A header row (see :mod:`columns`) starts a table; the same header repeated on the next page
  continues it. Prose closes the table, and so does a row shaped unlike the header (another cell
  count) right after a heading. Tab rows outside any table are narrative and reported in
  ``sections_skipped``, as are headings under which no row was placed.
- A row with only its first cell filled is a theme heading; a repeated heading is the same theme
  (compared ignoring case, spacing and punctuation). A table with a theme column ("SCC priority |
  Key Objective") takes its themes from that column. Otherwise the theme is the heading above the
  table: the latest numbered one ("7. Health & Safety Action Plan") if any, else the latest of the
  highest level; without any heading, the document's title or the file's name.
- A blank line, a ``--`` rule, a repeated header or heading is a page break: the next row may
  continue the last one (see :mod:`place_rows`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from improveflow.exceptions import InputFileError
from improveflow.importers import records
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.columns import TableLayout
from improveflow.importers.drafts import ThemeDraft
from improveflow.importers.html_text import Block, cell_blocks
from improveflow.importers.paragraph_rules import starts_lowercase
from improveflow.importers.place_rows import RowPlacer
from improveflow.importers.table_choices import NO_HEADER, TableChoices, choose_tables
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)
from improveflow.importers.table_row import TableRow

_RULE_CELL = re.compile("^[\\s\\-\u2013\u2014_=:|]*$")
_REFERENCE_LIKE = re.compile(r"^(?:[A-Z]{1,2}|\d{1,3}[a-z]?)[.)]?$")
_NUMBERED_HEADING = re.compile(r"^\d+(?:\.\d+)*[.)]?\s")
_THEME_KEY_NOISE = re.compile(r"[\W_]+")
_PREVIEW_CHARS = 120


@dataclass
class _Heading:
    line: int
    text: str
    level: int
    used: bool = False


def _choose_heading(headings: Sequence[_Heading]) -> _Heading:
    numbered = [heading for heading in headings if _NUMBERED_HEADING.match(heading.text)]
    if numbered:
        return numbered[-1]
    top = min(heading.level for heading in headings)
    return [heading for heading in headings if heading.level == top][-1]


def _theme_key(title: str) -> str:
    return _THEME_KEY_NOISE.sub(" ", title.casefold()).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


class PlanAssembler:
    """Builds a :class:`records.ParsedPlan` from the rows and lines of one file."""

    def __init__(self, file: str, untitled_theme: str, choices: TableChoices) -> None:
        self._file = file
        self._untitled_theme = untitled_theme
        self._choices = choices
        self.title: str | None = None
        self.header_seen = False
        self._placer = RowPlacer()
        self._layout: TableLayout | None = None
        self._header_cells = 0
        self._themes: list[ThemeDraft] = []
        self._theme_index: dict[str, ThemeDraft] = {}
        self._theme: ThemeDraft | None = None
        self._break_pending = False
        self._headings: list[_Heading] = []  # since the last data row: may name the next theme
        self._sections: list[_Heading] = []  # every heading, to report those without rows
        self._outside: tuple[int, str] | None = None  # first row of a narrative table
        self._skipped: list[str] = []

    # Lines that are not table rows ------------------------------------------------------------

    def heading(self, line: int, text: str, level: int) -> None:
        """A heading of the document: it may name the theme of the next table."""
        self._close_outside()
        heading = _Heading(line, text, level)
        self._headings.append(heading)
        self._sections.append(heading)
        self._break_pending = True

    def page_break(self) -> None:
        """A blank line, a rule or page furniture: the next row may continue the last one."""
        self._close_outside()
        self._break_pending = True

    def prose(self) -> None:
        """Narrative text: whatever table was open has ended."""
        self._close_outside()
        self._layout = None
        self._placer.use_layout(None)
        self._break_pending = True

    # Table rows -------------------------------------------------------------------------------

    def table_start(self) -> None:
        """A new sheet or table: nothing continues across it."""
        self.prose()
        if self._choices.headerless is not None:
            self._start_table(self._choices.headerless, self._choices.headerless.width)

    def row(self, row: Row, blocks: list[list[Block]], texts: list[str]) -> None:
        """One table row: a header, theme heading, data row, rule or narrative row."""
        cells, line = row.cells, row.line
        filled = [index for index, text in enumerate(texts) if text]
        if not filled or all(_RULE_CELL.match(cell) for cell in cells):
            self.page_break()
            return
        layout = self._choices.layout_for(texts)
        if layout is not None:
            self._start_table(layout, len(cells))
        elif filled == [0] and self._is_heading_row(texts[0]):
            self._theme_heading(line, texts[0])
        elif self._layout is not None and self._belongs_to_table(cells):
            if row.continued:
                blocks = _without_merged_groups(blocks, row.continued, self._layout)
            self._data_row(TableRow.from_blocks(self._layout, line, blocks, texts))
        elif self._outside is None:
            preview = " | ".join(texts[index] for index in filled)
            self._outside = (line, _one_line(preview)[:_PREVIEW_CHARS])

    def _belongs_to_table(self, cells: Sequence[str]) -> bool:
        """After a heading, a row shaped unlike the header belongs to a different table."""
        if self._choices.headerless is not None:
            return True
        if not self._headings or len(cells) == self._header_cells:
            return True
        self._layout = None
        self._placer.use_layout(None)
        return False

    def _start_table(self, layout: TableLayout, cells: int) -> None:
        self._close_outside()
        self.header_seen = True
        self._header_cells = cells
        self._layout = layout
        self._placer.use_layout(layout)
        self._break_pending = True

    def _is_heading_row(self, text: str) -> bool:
        layout = self._layout
        if layout is not None and layout.key == 0 and _REFERENCE_LIKE.match(text):
            return False  # a lone "D" in the reference column is a data row
        # Lower-case text after a page break finishes the objective above; it names no theme.
        continues = self._break_pending and self._placer.has_objective and starts_lowercase(text)
        return not continues

    def _theme_heading(self, line: int, title: str) -> None:
        self._close_outside()
        self._headings.clear()
        self._switch_theme(_one_line(title), line)
        self._break_pending = True

    def _data_row(self, row: TableRow) -> None:
        if row.theme:
            self._headings.clear()
            self._switch_theme(_one_line(" ".join(block.text for block in row.theme)), row.line)
            # A row that names its own theme is a whole record (a tracker's row): an empty
            # lead there means nobody yet, not "the same as above".
            self._placer.start_record()
        elif self._headings:
            heading = _choose_heading(self._headings)
            heading.used = True
            self._headings.clear()
            self._switch_theme(heading.text, heading.line)
        elif self._theme is None:
            self._switch_theme(self._untitled_theme, row.line)
        if self._sections:
            self._sections[-1].used = True
        after_break, self._break_pending = self._break_pending, False
        self._placer.place(row, after_break=after_break)

    def _switch_theme(self, title: str, line: int) -> None:
        key = _theme_key(title)
        theme = self._theme_index.get(key)
        if theme is None:
            theme = ThemeDraft(title=title, line=line)
            self._theme_index[key] = theme
            self._themes.append(theme)
        self._theme = theme
        self._placer.use_theme(theme)

    def _close_outside(self) -> None:
        if self._outside is not None:
            line, preview = self._outside
            self._skipped.append(f"table without recognised columns at line {line}: {preview}")
            self._outside = None

    # Result -----------------------------------------------------------------------------------

    def finish(self, encoding: str | None = "utf-8") -> records.ParsedPlan:
        """The plan read so far."""
        self._close_outside()
        skipped = [f"{h.text} (line {h.line})" for h in self._sections if not h.used]
        themes = []
        for theme in self._themes:
            if theme.objectives:
                themes.append(theme.to_record())
            else:
                skipped.append(f"{theme.title} (line {theme.line}): heading with no rows")
        return records.ParsedPlan(
            file=self._file,
            title=self.title,
            themes=themes,
            unplaced=list(self._placer.unplaced),
            sections_skipped=skipped + self._skipped,
            encoding=encoding,
        )


def _without_merged_groups(
    blocks: list[list[Block]], continued: frozenset[int], layout: TableLayout
) -> list[list[Block]]:
    """A merged challenge or recommendation spans its actions: below its first row, the
    row is a further action of the same objective, so its grouping cells read as empty.
    Other merged cells (a lead, a date) apply to each row they span and are kept."""
    grouping = continued & layout.grouping
    if not grouping:
        return blocks
    return [[] if index in grouping else cell for index, cell in enumerate(blocks)]


def _cell_text(blocks: list[Block]) -> str:
    """A cell's paragraphs as one text; most cells have none or one (read for every cell)."""
    if len(blocks) < 2:
        return blocks[0].text if blocks else ""
    return "\n".join(block.text for block in blocks)


def assemble_document(
    document: SourceDocument, mapping: ColumnMapping, *, tabular: bool
) -> records.ParsedPlan:
    """Turn a reader's document into a plan; raises when no table of actions is found.

    ``tabular``: the file is made of tables (see :func:`table_choices.choose_tables`).
    """
    rows = document.rows()
    blocks = [[cell_blocks(cell) for cell in row.cells] for row in rows]
    texts = [[_cell_text(cell) for cell in row] for row in blocks]
    choices = choose_tables(document, texts, mapping, tabular=tabular)
    untitled = document.title or PurePath(document.file).stem
    assembler = PlanAssembler(document.file, untitled_theme=untitled, choices=choices)
    assembler.title = document.title
    if choices.headerless is not None:
        assembler.table_start()
    title_key = _theme_key(document.title or "")
    index = 0
    for part in document.parts:
        if isinstance(part, Row):
            assembler.row(part, blocks[index], texts[index])
            index += 1
        elif isinstance(part, Heading):
            if _theme_key(part.text) == title_key:
                assembler.page_break()  # the plan's own title names the plan, not a theme
            else:
                assembler.heading(part.line, part.text, part.level)
        elif isinstance(part, PageBreak):
            assembler.page_break()
        elif isinstance(part, Prose):
            assembler.prose()
        elif isinstance(part, TableStart):
            assembler.table_start()
    if not assembler.header_seen:
        raise InputFileError(document.file, None, NO_HEADER)
    parsed = assembler.finish(document.encoding)
    parsed.positions = {row.line: row.where for row in rows if row.where}
    parsed.sections_skipped.extend(document.notes)
    parsed.layouts = list(choices.layouts.values())
    if choices.headerless is not None:
        parsed.layouts.append(choices.headerless)
    return parsed
