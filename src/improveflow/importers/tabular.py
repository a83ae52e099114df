"""CSV and XLSX exports of a council's action table, read with the same rules as converted text.

Rows go to the same :class:`PlanAssembler` as the rows of a converted document: a row with only
its first cell filled is a theme heading, header rows are recognised by :mod:`columns`, and the
other rows are objectives, actions and continuations. Spreadsheets have no page breaks, so blank
rows are simply skipped. The line of each record is the CSV line on which its row starts, or the
spreadsheet row number.

Before the first header row, when two or more rows have only their first cell filled, the first
of them is the plan's title and the last names the first theme.

CSV: the bytes are decoded as described in :mod:`text_files`; the delimiter (comma, semicolon or
tab) is detected from the start of the file. XLSX: the first worksheet that holds a header row is
read; dates are written as ISO dates ("2015-02-28"), whole numbers without a decimal point.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from improveflow.exceptions import InputFileError
from improveflow.importers.assemble import PlanAssembler
from improveflow.importers.columns import read_header_row
from improveflow.importers.html_text import cell_text
from improveflow.importers.records import ParsedPlan
from improveflow.importers.text_files import decode_plan_bytes

NumberedRow = tuple[int, list[str]]

_SNIFF_SAMPLE = 64 * 1024
_NO_HEADER = (
    "no recognisable header row: expected a row naming columns such as "
    "Action, Lead, Timescale or Progress"
)


def read_csv_file(path: Path) -> ParsedPlan:
    """Read a plan exported as CSV."""
    file = str(path)
    text, encoding = decode_plan_bytes(path.read_bytes(), file)
    return assemble_rows(_csv_rows(text, file), file, encoding=encoding)


def read_xlsx_file(path: Path) -> ParsedPlan:
    """Read a plan exported as an Excel workbook (.xlsx)."""
    file = str(path)
    try:
        import openpyxl  # slow to import; only workbooks need it

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputFileError(file, None, f"not a readable .xlsx workbook: {error}") from error
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # some exporters record a wrong used range
            rows = list(_sheet_rows(sheet.iter_rows(min_row=1, values_only=True)))
            if any(read_header_row(cells) for _, cells in rows):
                return assemble_rows(rows, file, encoding=None)
    finally:
        workbook.close()
    raise InputFileError(file, None, _NO_HEADER)


def assemble_rows(rows: list[NumberedRow], file: str, *, encoding: str | None) -> ParsedPlan:
    """Turn numbered rows of cells into a plan; raises when no header row is found."""
    rows = [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]
    title, rows = _take_title(rows)
    assembler = PlanAssembler(file, untitled_theme=title or Path(file).stem)
    assembler.title = title
    for line, cells in rows:
        assembler.row(line, cells)
    if not assembler.header_seen:
        raise InputFileError(file, None, _NO_HEADER)
    return assembler.finish(encoding)


def _take_title(rows: list[NumberedRow]) -> tuple[str | None, list[NumberedRow]]:
    leading: list[int] = []
    for index, (_, cells) in enumerate(rows):
        if read_header_row(cells) is not None:
            break
        if cells and cells[0].strip() and not any(cell.strip() for cell in cells[1:]):
            leading.append(index)
    if len(leading) < 2:
        return None, rows
    first = leading[0]
    title = " ".join(cell_text(rows[first][1][0]).split())
    return title or None, rows[:first] + rows[first + 1 :]


def _csv_rows(text: str, file: str) -> list[NumberedRow]:
    sample = text[:_SNIFF_SAMPLE]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[NumberedRow] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InputFileError(file, reader.line_num, f"malformed CSV: {error}") from error
    return rows


def _sheet_rows(values: Iterable[tuple[Any, ...]]) -> Iterable[NumberedRow]:
    for number, row in enumerate(values, start=1):
        yield number, [_cell_string(value) for value in row]


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
