"""CSV and XLSX files as the table model: rows of cells, a sheet at a time.

CSV: the bytes are decoded as described in :mod:`text_files`; the delimiter (comma, semicolon or
tab) is sniffed from the start of the file. A row's line is the CSV line on which it starts. A
quoted field that swallows what look like whole rows of their own (a stray opening quote) is
refused with the line where it began: read on, it would silently merge a theme and its actions
into one comment.

XLSX: every visible sheet in order (or only ``sheet``), each a new table; the header row is found
wherever it is (title rows above it are fine). Dates are written as ISO dates ("2015-02-28"),
whole numbers without a decimal point. A merged range repeats its text down the rows it covers
(the columns are listed in ``Row.continued``); across, it keeps its text in its first column.

Before the first header row, the first row with only its first cell filled is the plan's title;
a second such row names the first theme.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from improveflow.exceptions import InputFileError
from improveflow.importers.assemble import assemble_document
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.columns import read_header_row
from improveflow.importers.html_text import cell_text
from improveflow.importers.records import ParsedPlan
from improveflow.importers.table_model import Part, Row, SourceDocument, TableStart
from improveflow.importers.text_files import decode_plan_bytes
from improveflow.importers.xlsx_sheets import CellValue, WorkbookError, XlsxWorkbook

_SNIFF_SAMPLE = 64 * 1024
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DEFAULT_SHEET_NAME = re.compile(r"^(?:sheet|feuil|tabelle|hoja)\s*\d*$", re.IGNORECASE)


def read_csv_file(path: Path, mapping: ColumnMapping | None = None) -> ParsedPlan:
    """Read a plan exported as CSV."""
    return assemble_document(read_csv_document(path), mapping or ColumnMapping(), tabular=True)


def read_xlsx_file(
    path: Path, mapping: ColumnMapping | None = None, sheet: str | None = None
) -> ParsedPlan:
    """Read a plan kept as an Excel workbook (.xlsx)."""
    document = read_xlsx_document(path, sheet)
    return assemble_document(document, mapping or ColumnMapping(), tabular=True)


# CSV --------------------------------------------------------------------------------------------


def read_csv_document(path: Path) -> SourceDocument:
    """A plan exported as CSV, as rows of cells."""
    file = str(path)
    text, encoding = decode_plan_bytes(path.read_bytes(), file)
    rows = _csv_rows(text, file)
    title, rows = _take_title(rows)
    parts: list[Part] = [TableStart()]
    parts.extend(Row(line, cells) for line, cells in rows)
    return SourceDocument(file=file, title=title, parts=parts, encoding=encoding)


def _csv_rows(text: str, file: str) -> list[tuple[int, list[str]]]:
    sample = text[:_SNIFF_SAMPLE]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str], int]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells, reader.line_num))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InputFileError(file, reader.line_num, f"malformed CSV: {error}") from error
    _refuse_swallowed_rows(rows, str(dialect.delimiter), text, file)
    return [(line, cells) for line, cells, _ in rows]


def _refuse_swallowed_rows(
    rows: list[tuple[int, list[str], int]], delimiter: str, text: str, file: str
) -> None:
    """Refuse a quoted field that runs over lines shaped like rows of the table."""
    widths = Counter(len(cells) for _, cells, _ in rows if len(cells) > 1)
    if not widths:
        return
    width = widths.most_common(1)[0][0]
    unclosed_at_end = text.count('"') % 2 == 1
    for start, cells, end in rows:
        if end == start:
            continue
        swallowed = [
            line
            for cell in cells
            if "\n" in cell or "\r" in cell
            for line in cell.splitlines()[1:]
            if line.count(delimiter) >= max(1, width - 1)
        ]
        reaches_end = end >= rows[-1][2] and unclosed_at_end
        if swallowed and (len(cells) != width or reaches_end):
            shown = "; ".join(" ".join(line.split())[:40] for line in swallowed[:1])
            raise InputFileError(
                file,
                start,
                f"a quoted field opens on this line and runs on to line {end}, taking in "
                f"{len(swallowed)} line(s) shaped like rows of their own (first: {shown!r}): "
                "a stray double quote? Remove it or close the quote, then import again",
            )


# XLSX -------------------------------------------------------------------------------------------


def read_xlsx_document(path: Path, sheet: str | None = None) -> SourceDocument:
    """A workbook's sheets (or one named sheet) as rows of cells."""
    file = str(path)
    try:
        workbook = XlsxWorkbook(file)
    except (WorkbookError, OSError) as error:
        raise _unreadable(file, error) from error
    with workbook:
        sheets = [entry for entry in workbook.sheets if entry.visible]
        if sheet is not None:
            sheets = [entry for entry in workbook.sheets if entry.name == sheet]
            if not sheets:
                names = ", ".join(f"'{entry.name}'" for entry in workbook.sheets)
                raise InputFileError(file, None, f"no sheet '{sheet}' (the sheets: {names})")
        parts: list[Part] = []
        notes: list[str] = []
        line = 0
        title: str | None = None
        try:
            for entry in sheets:
                data = workbook.sheet_xml(entry)
                numbered = list(_sheet_rows(workbook.rows(data), _merged_ranges(data)))
                if not numbered:
                    notes.append(f"sheet '{entry.name}': empty")
                    continue
                rows = [(number, cells) for number, cells, _ in numbered]
                if title is None and not parts:
                    title, rows = _take_title(rows)
                kept = {number for number, _ in rows}
                parts.append(TableStart(name=f"sheet {entry.name}"))
                for number, cells, continued in numbered:
                    if number not in kept:
                        continue
                    line += 1
                    where = f"sheet {entry.name}, row {number}"
                    parts.append(Row(line, cells, where, continued))
        except (WorkbookError, zipfile.BadZipFile, zlib.error, OSError) as error:
            raise _unreadable(file, error) from error
    if not parts:
        names = ", ".join(f"'{entry.name}'" for entry in sheets) or "none visible"
        raise InputFileError(
            file, None, f"nothing to import: the workbook's sheets ({names}) are empty"
        )
    if title is None and len(sheets) == 1 and not _DEFAULT_SHEET_NAME.match(sheets[0].name):
        title = sheets[0].name  # Planner and other exports name the sheet after the plan
    return SourceDocument(file=file, title=title, parts=parts, encoding=None, notes=notes)


def _unreadable(file: str, error: Exception) -> InputFileError:
    return InputFileError(
        file,
        None,
        f"not a readable .xlsx workbook ({error}): open it in Excel and save it again as an "
        ".xlsx workbook",
    )


def _merged_ranges(data: bytes) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range, 1-based.

    Merges follow the cells in the sheet's XML, so they are found before the rows are read.
    """
    tail = data[data.rfind(b"</sheetData>") :] if b"</sheetData>" in data else data
    ranges = []
    for first_col, first_row, last_col, last_row in _MERGE_REF.findall(tail):
        ranges.append(
            (
                int(first_row),
                _column_number(first_col),
                int(last_row or first_row),
                _column_number(last_col or first_col),
            )
        )
    return ranges


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.decode("ascii"):
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_rows(
    values: Iterable[tuple[int, list[CellValue]]], merges: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[str], frozenset[int]]]:
    """Non-empty rows as (row number, cells, merged-from-above columns)."""
    # For each covered cell below the first row of a vertical merge: the merge's top-left cell.
    below: dict[tuple[int, int], tuple[int, int]] = {}
    for first_row, first_col, last_row, _last_col in merges:
        for row in range(first_row + 1, last_row + 1):
            below[(row, first_col)] = (first_row, first_col)
    kept: dict[tuple[int, int], str] = {}
    wanted = set(below.values())
    for number, row_values in values:
        # Most cells are text: kept as they are without a call each.
        cells = [v if type(v) is str else _cell_string(v) for v in row_values]
        continued: set[int] = set()
        if below:
            for column in range(1, len(cells) + 1):
                if (number, column) in wanted:
                    kept[(number, column)] = cells[column - 1]
                source = below.get((number, column))
                if source is not None and source in kept:
                    cells[column - 1] = kept[source]
                    continued.add(column - 1)
        if any(cell.strip() for cell in cells):
            yield number, cells, frozenset(continued)


def _cell_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Titles -----------------------------------------------------------------------------------------


def _take_title(
    rows: list[tuple[int, list[str]]],
) -> tuple[str | None, list[tuple[int, list[str]]]]:
    """The title row above the first table, and the rows without it.

    Rows with only their first cell filled before the first header row: the first is the
    title; any after it name themes. A file that starts with its header has no title.
    """
    leading: list[int] = []
    for index, (_, cells) in enumerate(rows):
        filled = [cell for cell in cells if cell.strip()]
        single = len(filled) == 1 and bool(cells[0].strip())
        if read_header_row(cells) is not None or not single:
            break
        leading.append(index)
    if not leading:
        return None, rows
    first = leading[0]
    title = " ".join(cell_text(rows[first][1][0]).split())
    return title or None, rows[:first] + rows[first + 1 :]
