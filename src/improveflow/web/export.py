"""A plan's table as CSV or XLSX, in the shape of the plan the council published.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return) are written with a leading apostrophe, so text from a progress update stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from tempfile import SpooledTemporaryFile

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from improveflow.services.dashboard import TableRow
from improveflow.web.pages import rag_label, short_date

COLUMNS = (
    "Theme",
    "Ref",
    "Challenge",
    "Action ref",
    "Action",
    "Lead",
    "Owner",
    "Timescale",
    "Target date",
    "State",
    "RAG",
    "Progress",
    "Progress date",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _printable(text: str) -> str:
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def cells(row: TableRow, states: dict[str, str]) -> list[str]:
    progress = row.progress
    return [
        safe(row.theme),
        safe(row.objective_ref),
        safe(row.objective),
        safe(row.reference),
        safe(row.description),
        safe(row.lead),
        safe(row.owner),
        safe(row.timescale),
        row.target_date.isoformat() if row.target_date else "",
        states.get(row.state, row.state),
        rag_label(row.rag) if row.rag else "",
        safe(progress.text) if progress else "",
        short_date(progress.at.date()) if progress else "",
    ]


def csv_chunks(rows: Iterable[TableRow], states: dict[str, str]) -> Iterator[str]:
    """The CSV text in pieces, so a large plan streams instead of sitting in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark lets Excel open the file as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows, start=1):
        writer.writerow(cells(row, states))
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(
    rows: Iterable[TableRow], states: dict[str, str], title: str, exported_on: date
) -> SpooledTemporaryFile[bytes]:
    """A workbook with one sheet of the table, in a temporary file rewound to its start."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Actions")
    sheet.append([_printable(safe(f"{title} (exported {short_date(exported_on)})"))])
    sheet.append(list(COLUMNS))
    for row in rows:
        # Control characters (pasted from Word, say) are not allowed in a workbook's XML.
        sheet.append([_printable(cell) for cell in cells(row, states)])
    # Handed to the response, which closes it once sent.
    out: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out
