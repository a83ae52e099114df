"""Reading workbook cells from the XML: the values openpyxl would give, and clear refusals."""

from __future__ import annotations

import zipfile
from datetime import datetime, time
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from improveflow.exceptions import InputFileError
from improveflow.importers.tabular import read_xlsx_document
from improveflow.importers.xlsx_sheets import CellValue, WorkbookError, XlsxWorkbook


def _values(path: Path, sheet: int = 0) -> dict[int, list[CellValue]]:
    with XlsxWorkbook(str(path)) as workbook:
        entry = workbook.sheets[sheet]
        return dict(workbook.rows(workbook.sheet_xml(entry)))


def test_values_match_what_openpyxl_reads(tmp_path: Path) -> None:
    """Text, numbers, dates, times, booleans, rich text and sparse rows come out as openpyxl's."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tracker"
    sheet["A1"] = "Ref"
    sheet["B1"] = CellRichText(["Recom", TextBlock(InlineFont(b=True), "mendation")])
    sheet["A2"] = "IA24-01"
    sheet["B2"] = "Review the scheme of delegation\r\nby Cabinet"
    sheet["C2"] = datetime(2025, 3, 31)
    sheet["D2"] = 3
    sheet["E2"] = 2.5
    sheet["F2"] = True
    sheet["G2"] = time(9, 30)
    sheet["J5"] = "far out"  # a sparse row: empty columns before it
    path = tmp_path / "book.xlsx"
    book.save(path)

    rows = _values(path)
    reference = openpyxl.load_workbook(path, read_only=True, data_only=True).active
    assert reference is not None
    expected = {
        number: list(values)
        for number, values in enumerate(reference.iter_rows(values_only=True), 1)
        if any(value is not None for value in values)
    }
    for number, values in expected.items():
        ours = rows[number]
        assert ours + [None] * (len(values) - len(ours)) == values
    assert rows[1][1] == "Recommendation"
    assert rows[2][1] == "Review the scheme of delegation\r\nby Cabinet"
    assert rows[2][2] == datetime(2025, 3, 31)
    assert rows[5][9] == "far out"
    assert rows[5][:9] == [None] * 9


def test_hidden_sheets_are_marked_and_1904_dates_read(tmp_path: Path) -> None:
    """A hidden sheet is listed as not visible; a Mac 1904 workbook's dates are not 4 years out."""
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    first = book.active
    assert first is not None
    first["A1"] = datetime(2026, 11, 30)
    hidden = book.create_sheet("Lookups")
    hidden.sheet_state = "hidden"
    path = tmp_path / "mac.xlsx"
    book.save(path)

    with XlsxWorkbook(str(path)) as workbook:
        assert [(entry.name, entry.visible) for entry in workbook.sheets] == [
            ("Sheet", True),
            ("Lookups", False),
        ]
    assert _values(path)[1] == [datetime(2026, 11, 30)]


def _rewrite_part(source: Path, target: Path, part: str, data: bytes) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, data if item.filename == part else old.read(item.filename))


def _small_book(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Action", "Lead", "Target date"])
    sheet.append(["Publish the plan", "Chief Executive", "31/03/2026"])
    path = tmp_path / "small.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize(
    "sheet_xml",
    [
        b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>0</v></c>",  # cut short
        # An entity expansion bomb: refused by the parser, not expanded into memory.
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b"]><worksheet><sheetData><row r='1'><c t='inlineStr'><is><t>&i;</t></is></c>"
        + b"</row></sheetData></worksheet>",
        # An external entity: never fetched.
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<worksheet><sheetData><row r='1'><c t='inlineStr'><is><t>&x;</t></is></c>"
        b"</row></sheetData></worksheet>",
    ],
    ids=["truncated", "entity-bomb", "external-entity"],
)
def test_a_damaged_or_hostile_sheet_is_refused_in_one_line(
    tmp_path: Path, sheet_xml: bytes
) -> None:
    """A broken or hostile sheet part gives the file's name and what to do, never a traceback."""
    damaged = tmp_path / "damaged.xlsx"
    _rewrite_part(_small_book(tmp_path), damaged, "xl/worksheets/sheet1.xml", sheet_xml)

    with pytest.raises(InputFileError) as refused:
        read_xlsx_document(damaged)
    message = str(refused.value)
    assert str(damaged) in message
    assert "not a readable .xlsx workbook" in message
    assert "save it again as an .xlsx workbook" in message
    assert "root:" not in message  # nothing from the external file


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    """A file named .xlsx that is not a workbook at all is refused with the same sentence."""
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"Action,Lead\nPublish,CEO\n")
    with pytest.raises(InputFileError, match=r"not a readable \.xlsx workbook"):
        read_xlsx_document(path)
    with pytest.raises(WorkbookError, match="not a zip archive"):
        XlsxWorkbook(str(path))
