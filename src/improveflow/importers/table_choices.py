"""The first pass over a document: which rows are header rows, and what each table's columns mean.

A column's meaning depends on its cells as well as its header, so the whole document is looked
at before any row is placed. Rows are grouped under the header row above them; a header repeated
on every page (the same texts) is one table, so its rows are judged together.

Header rows are found by their words (:func:`columns.header_fields`). A table whose header uses
words improveflow does not know ("Item | Owner's view | Date raised") still has a header when
its first row is short labels over rows of longer text: its columns are then typed by content.
A file with no header row at all is read with ``--map``, every row being data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from improveflow.exceptions import InputFileError
from improveflow.importers.column_choice import (
    ColumnChoiceError,
    ColumnMapping,
    choose_layout,
    column_letter,
)
from improveflow.importers.column_content import CellKind, cell_kind
from improveflow.importers.columns import TableLayout, header_fields, normalise_header
from improveflow.importers.table_model import Prose, Row, SourceDocument, TableStart

_SAMPLE_ROWS = 200
_MAX_LABEL_WORDS = 6
NO_HEADER = (
    "no recognisable header row: expected a row naming columns such as Action, Lead, "
    "Target Date or Progress; if the table has no header row, name its columns with --map "
    "(for example --map action=A --map lead=B --map target=C)"
)

Signature = tuple[str, ...]


def signature(texts: Sequence[str]) -> Signature:
    """A header row's identity: its texts without trailing empty cells."""
    end = len(texts)
    while end and not texts[end - 1]:
        end -= 1
    return tuple(texts[:end])


@dataclass
class _Table:
    header: Signature
    where: str
    body: list[list[str]] = field(default_factory=list)


@dataclass
class TableChoices:
    """For each header row (by its texts), the layout chosen; or one layout for headerless rows."""

    layouts: dict[Signature, TableLayout] = field(default_factory=dict)
    headerless: TableLayout | None = None

    def layout_for(self, texts: Sequence[str]) -> TableLayout | None:
        """The layout a header row starts, or None when the row is not a header row."""
        return self.layouts.get(signature(texts))

    @property
    def found(self) -> bool:
        return bool(self.layouts) or self.headerless is not None


def choose_tables(
    document: SourceDocument,
    texts: Sequence[list[str]],
    mapping: ColumnMapping,
    *,
    tabular: bool,
) -> TableChoices:
    """Decide every table's layout; ``texts`` holds each row's cell texts in reading order.

    ``tabular``: the file is made of tables (a spreadsheet, a Word or HTML table), so a first
    row of short labels may be a header even when its words are unknown.
    """
    rows = document.rows()
    tables: dict[Signature, _Table] = {}
    current: _Table | None = None
    starts: list[int] = []  # index of the first row of each table, for label headers
    row_index = 0
    first_in_table = True
    for part in document.parts:
        if isinstance(part, TableStart | Prose):
            current, first_in_table = None, True
            continue
        if not isinstance(part, Row):
            continue
        cells = texts[row_index]
        if first_in_table and sum(1 for text in cells if text) >= 2:
            starts.append(row_index)
            first_in_table = False
        if header_fields(cells) is not None:
            key = signature(cells)
            current = tables.setdefault(key, _Table(key, document.position(part.line)))
        elif current is not None and len(current.body) < _SAMPLE_ROWS:
            current.body.append(cells)
        row_index += 1
    where_of = {index: row.where or f"line {row.line}" for index, row in enumerate(rows)}
    if not tables and tabular and not mapping:
        tables = _label_headers(starts, texts, where_of)
        try:
            return TableChoices(layouts=_choose_each(tables, mapping, document.file))
        except ColumnChoiceError as error:
            if error.no_actions:
                # The short first row was not a header after all.
                raise InputFileError(document.file, None, NO_HEADER) from error
            raise
    if not tables:
        if not mapping:
            raise InputFileError(document.file, None, NO_HEADER)
        body = [cells for cells in texts[:_SAMPLE_ROWS] if any(cells)]
        layout = choose_layout(
            (), body, mapping, file=document.file, where="the table", has_header=False
        )
        return TableChoices(headerless=layout)
    return TableChoices(layouts=_choose_each(tables, mapping, document.file))


def _label_headers(
    starts: list[int], texts: Sequence[list[str]], where_of: dict[int, str]
) -> dict[Signature, _Table]:
    """Headers of unknown words: a table's first row of short labels above longer rows."""
    tables: dict[Signature, _Table] = {}
    for start in starts:
        cells = texts[start]
        filled = [text for text in cells if text]
        if len(filled) < 2 or not all(_is_label(text) for text in filled):
            continue
        key = signature(cells)
        table = tables.setdefault(key, _Table(key, where_of[start]))
        for body in texts[start + 1 : start + 1 + _SAMPLE_ROWS]:
            if signature(body) == key:
                continue
            table.body.append(body)
    return tables


def _is_label(text: str) -> bool:
    words = text.split()
    if len(words) > _MAX_LABEL_WORDS or text.rstrip().endswith((".", ";", "!")):
        return False
    return cell_kind(text) not in (CellKind.DATE, CellKind.NUMBER, CellKind.CODE, CellKind.RAG)


def _choose_each(
    tables: dict[Signature, _Table], mapping: ColumnMapping, file: str
) -> dict[Signature, TableLayout]:
    used: set[int] = set()
    layouts: dict[Signature, TableLayout] = {}
    for table in tables.values():
        own = _entries_for(table.header, mapping, used)
        layouts[table.header] = choose_layout(
            table.header, table.body, own, file=file, where=table.where
        )
    unused = [entry for number, entry in enumerate(mapping.entries) if number not in used]
    if unused:
        name, column = unused[0]
        first = next(iter(tables.values()))
        shown = ", ".join(
            f"{column_letter(index)} '{text}'" for index, text in enumerate(first.header) if text
        )
        raise ColumnChoiceError(
            file,
            None,
            f"{mapping.reason.value} {name}={column}: no column '{column}' in this file "
            f"(its columns: {shown}); the layout may have changed: give --map again",
        )
    return layouts


def _entries_for(header: Signature, mapping: ColumnMapping, used: set[int]) -> ColumnMapping:
    """The mapping's entries that name a column of this table (by text, letter or number)."""
    names = {normalise_header(text) for text in header if text}
    own: list[tuple[str, str]] = []
    for number, (name, column) in enumerate(mapping.entries):
        by_position = column.isdigit() or (len(column) <= 2 and column.isalpha())
        if normalise_header(column) in names or by_position:
            own.append((name, column))
            used.add(number)
    return ColumnMapping(tuple(own), mapping.reason)
