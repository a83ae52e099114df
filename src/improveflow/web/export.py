"""A plan's table as CSV or XLSX, ready for a lead to sort, filter and send on.

The header is the first row. Dates are dates: real Excel dates shown as dd/mm/yyyy in the
workbook, ISO 8601 in the CSV. The current target date and the original one are separate
columns, and a changed date or state carries the reason given in the approved request.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return) are written with a leading apostrophe, so text from a progress update stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from tempfile import SpooledTemporaryFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from improveflow.services.plan_export import ExportRow
from improveflow.web.pages import rag_label

Value = str | int | date | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_DATE = "dd/mm/yyyy"


def safe(value: str | None) -> str:
    """Text a spreadsheet shows as text: control characters removed first, then a leading
    formula character neutralised. In the other order, "\x01=HYPERLINK(...)" would pass the
    check and become a live formula once the control character was stripped."""
    text = _printable(value or "")
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class Column:
    header: str
    width: int  # in characters, for the workbook
    value: Callable[[ExportRow, dict[str, str]], Value]


def _text(read: Callable[[ExportRow], str | None]) -> Callable[[ExportRow, dict[str, str]], Value]:
    return lambda item, states: safe(read(item))


COLUMNS: tuple[Column, ...] = (
    Column("Action ID", 10, lambda item, states: item.row.id),
    Column("Theme", 24, _text(lambda item: item.row.theme)),
    Column("Challenge ref", 10, _text(lambda item: item.row.objective_ref)),
    Column("Challenge", 40, _text(lambda item: item.row.objective)),
    Column("Action ref", 10, _text(lambda item: item.row.reference)),
    Column("Action", 50, _text(lambda item: item.row.description)),
    Column("Lead in the plan", 24, _text(lambda item: item.row.lead)),
    Column("Owner", 20, _text(lambda item: item.row.owner)),
    Column("Owner email", 28, _text(lambda item: item.row.owner_email)),
    Column("Priority", 10, _text(lambda item: item.row.priority)),
    Column("Target date", 12, lambda item, states: item.row.target_date),
    Column("Original target date", 12, lambda item, states: item.original_target_date),
    Column("Date changes", 30, lambda item, states: item.ledger),
    Column("Reason for new target date", 36, _text(lambda item: item.target_reason)),
    # Only where there is no date ("Ongoing", "Quarterly"): beside a date it could contradict it.
    Column(
        "Timescale",
        14,
        _text(lambda item: None if item.row.target_date else item.row.timescale),
    ),
    Column("State", 12, lambda item, states: states.get(item.row.state, item.row.state)),
    Column("Reason for current state", 36, _text(lambda item: item.state_reason)),
    Column("Status as written", 16, _text(lambda item: item.row.status_text)),
    Column("RAG", 9, lambda item, states: rag_label(item.row.rag) if item.row.rag else ""),
    Column(
        "Latest progress",
        60,
        _text(lambda item: item.row.progress.text if item.row.progress else None),
    ),
    Column(
        "Progress date",
        12,
        lambda item, states: item.row.progress.day if item.row.progress else None,
    ),
    # A scrutiny plan's committee sign-off: the day of its meeting, and the minute.
    Column(
        "Signed off by committee",
        12,
        lambda item, states: item.sign_off.signed_off_on if item.sign_off else None,
    ),
    Column(
        "Committee minute", 14, _text(lambda item: item.sign_off.minute if item.sign_off else None)
    ),
    # A governance statement's action carried on in next year's plan, once rolled over.
    Column(
        "Carried forward to",
        30,
        _text(lambda item: item.carried_to.words if item.carried_to else None),
    ),
)
HEADERS = tuple(column.header for column in COLUMNS)


def values(item: ExportRow, states: dict[str, str]) -> list[Value]:
    return [column.value(item, states) for column in COLUMNS]


def csv_chunks(rows: Iterable[ExportRow], states: dict[str, str]) -> Iterator[str]:
    """The CSV text in pieces, so a large plan streams instead of sitting in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark lets Excel open the file as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(HEADERS)
    for n, item in enumerate(rows, start=1):
        writer.writerow(
            "" if value is None else value.isoformat() if isinstance(value, date) else value
            for value in values(item, states)
        )
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _printable(text: str) -> str:
    # Control characters (pasted from Word, say) are not allowed in a workbook's XML.
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def _cell(sheet: WriteOnlyWorksheet, value: Value) -> WriteOnlyCell | Value:
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = EXCEL_DATE
        return cell
    if isinstance(value, str):
        # Every text is a string cell, said outright: openpyxl would make "=..." a formula.
        cell = WriteOnlyCell(sheet, _printable(value))
        cell.data_type = "s"
        return cell
    return value


def xlsx_file(
    rows: Iterable[ExportRow], states: dict[str, str], title: str
) -> SpooledTemporaryFile[bytes]:
    """A workbook with one sheet of the table, in a temporary file rewound to its start.

    The header row is bold, frozen and filtered; the plan's title is the workbook's title.
    """
    book = Workbook(write_only=True)
    book.properties.title = _printable(title)
    sheet = book.create_sheet(title="Actions")
    # Set before any row: a write-only sheet writes its view and columns first.
    sheet.freeze_panes = "A2"
    for number, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, text)
        cell.font = bold
        cell.alignment = wrapped
        header.append(cell)
    sheet.append(header)
    count = 0
    for item in rows:
        sheet.append([_cell(sheet, value) for value in values(item, states)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    # Handed to the response, which closes it once sent.
    out: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out
