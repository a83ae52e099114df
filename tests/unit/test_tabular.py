"""CSV and XLSX exports of a council's action table, read with the same rules as text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from improveflow.exceptions import InputFileError
from improveflow.importers.records import REVIEW_ROW_MERGED, ParsedPlan
from improveflow.importers.tabular import read_csv_file, read_xlsx_file

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"


@pytest.fixture(scope="module")
def csv_plan() -> ParsedPlan:
    """The customer services plan exported as CSV."""
    return read_csv_file(PLANS / "customer_services_plan.csv")


def _workbook(
    path: Path, rows: list[list[object]], *, sheet_first: list[list[object]] | None = None
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if sheet_first is not None:
        for row in sheet_first:
            sheet.append(row)
        sheet = workbook.create_sheet("Plan")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


XLSX_ROWS: list[list[object]] = [
    ["Northfield Council Housing Improvement Plan"],
    ["Repairs"],
    ["Priority", "Action", "Owner", "Target Date", "Progress Update", "EINA Y/N"],
    [
        "Fix repairs first time",
        "Train operatives",
        "Repairs Manager",
        datetime(2015, 2, 28),
        "Started",
        "Y",
    ],
    [None, "Buy van stock", None, "Ongoing until 2016/17.", None, None],
    [None, None, None, None, None, None],
    ["Cut void times", "Weekly voids meeting", "Voids Lead", 2016, "COMPLETE.", "N"],
    [None, None, None, None, "Average void now 21 days.", None],
]


def test_csv_title_and_themes_come_from_rows_with_one_filled_cell(csv_plan: ParsedPlan) -> None:
    """The first single-cell row is the title, the one above each header a theme."""
    assert csv_plan.title == "Northfield Council \u2013 Customer Services Improvement Plan"
    assert [theme.title for theme in csv_plan.themes] == [
        "Theme 1: Access to Services",
        "Theme 2: Listening to Residents",
    ]


def test_csv_columns_are_recognised_like_council_tables(csv_plan: ParsedPlan) -> None:
    """Ref, Key Objective, Key actions, Responsible officer, Target and Comments are known."""
    first = csv_plan.objectives()[0]
    assert (first.reference, first.text) == ("1", "Make more services available online")
    assert first.actions[0].lead == "Digital Lead"
    assert first.actions[0].progress == "Council tax forms live."
    assert (first.actions[0].rag, first.actions[0].extra) == ("Green", {})


def test_csv_multi_line_cells_line_up_as_paragraphs(csv_plan: ParsedPlan) -> None:
    """Two actions and two dates in quoted multi-line cells become two dated actions."""
    first = csv_plan.objectives()[0]
    assert [(a.description, a.timescale) for a in first.actions[:2]] == [
        ("Move council tax forms online", "June 2024"),
        ("Move waste requests online", "September 2024"),
    ]


def test_csv_lines_are_where_each_row_starts(csv_plan: ParsedPlan) -> None:
    """A row after a quoted multi-line cell cites the line it starts on."""
    assert [a.line for a in csv_plan.actions()] == [4, 4, 7, 11]
    assert csv_plan.themes[1].line == 9


def test_csv_further_action_and_merged_progress(csv_plan: ParsedPlan) -> None:
    """Empty objective cells continue the objective; a progress-only row joins the action above."""
    first = csv_plan.objectives()[0]
    assert first.actions[2].description == "Close the cash office"
    complaints = csv_plan.actions()[-1]
    assert complaints.progress == "Tracker chosen; training booked."
    assert REVIEW_ROW_MERGED in complaints.review
    assert csv_plan.unplaced == []


def test_csv_with_semicolons_is_read(tmp_path: Path) -> None:
    """Semicolon-separated exports (common in European locales) are recognised."""
    path = tmp_path / "plan.csv"
    path.write_text(
        "Objective;Action;Lead;Deadline\nBe greener;Plant trees;Parks Manager;May 2025\n"
    )
    plan = read_csv_file(path)
    assert [(a.description, a.lead, a.timescale) for a in plan.actions()] == [
        ("Plant trees", "Parks Manager", "May 2025")
    ]


def test_csv_in_windows_1252_is_read(tmp_path: Path) -> None:
    """CSV saved by older Excel in Windows-1252 decodes, and the encoding is reported."""
    path = tmp_path / "plan.csv"
    path.write_bytes("Objective,Action,Lead\nSave \u00a35k,Cut costs,Finance\n".encode("cp1252"))
    plan = read_csv_file(path)
    assert plan.encoding == "cp1252"
    assert plan.objectives()[0].text == "Save \u00a35k"


def test_csv_without_header_row_is_refused(tmp_path: Path) -> None:
    """A CSV with no recognisable column names is an error naming the file."""
    path = tmp_path / "numbers.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputFileError) as raised:
        read_csv_file(path)
    assert raised.value.file == str(path)
    assert "no recognisable header row" in raised.value.problem


def test_binary_csv_is_refused(tmp_path: Path) -> None:
    """A binary file given as CSV is refused as binary."""
    path = tmp_path / "plan.csv"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputFileError, match="binary"):
        read_csv_file(path)


def test_xlsx_rows_become_themes_objectives_and_actions(tmp_path: Path) -> None:
    """A workbook is read with the same rules: title, theme, header, objectives, actions."""
    plan = read_xlsx_file(_workbook(tmp_path / "plan.xlsx", XLSX_ROWS))
    assert plan.title == "Northfield Council Housing Improvement Plan"
    assert plan.encoding is None
    assert [theme.title for theme in plan.themes] == ["Repairs"]
    assert [o.text for o in plan.objectives()] == ["Fix repairs first time", "Cut void times"]
    assert [a.description for a in plan.actions()] == [
        "Train operatives",
        "Buy van stock",
        "Weekly voids meeting",
    ]


def test_xlsx_values_become_text_and_lines_are_row_numbers(tmp_path: Path) -> None:
    """Dates become ISO text, whole numbers lose ".0", and each action cites its sheet and row."""
    plan = read_xlsx_file(_workbook(tmp_path / "plan.xlsx", XLSX_ROWS))
    train, van, voids = plan.actions()
    assert (train.timescale, train.extra) == ("2015-02-28", {"eina": "Y"})
    assert plan.source(train.line) == "plan.xlsx, sheet Sheet, row 4"
    assert (van.lead, van.timescale) == ("Repairs Manager", "Ongoing until 2016/17.")
    assert plan.source(van.line) == "plan.xlsx, sheet Sheet, row 5"
    assert voids.timescale == "2016"
    assert plan.source(voids.line) == "plan.xlsx, sheet Sheet, row 7"
    assert voids.progress == "COMPLETE.\nAverage void now 21 days."


def test_xlsx_reads_the_first_sheet_with_a_header(tmp_path: Path) -> None:
    """A cover sheet without a table is passed over for the sheet that holds the plan."""
    cover: list[list[object]] = [["Cover sheet"], ["Prepared by the Policy Team"]]
    plan = read_xlsx_file(_workbook(tmp_path / "plan.xlsx", XLSX_ROWS, sheet_first=cover))
    assert len(plan.actions()) == 3


def test_xlsx_without_header_is_refused(tmp_path: Path) -> None:
    """A workbook with no action table is an error naming the file."""
    path = _workbook(tmp_path / "empty.xlsx", [["Just a note"], ["Another note"]])
    with pytest.raises(InputFileError, match="no recognisable header row"):
        read_xlsx_file(path)


def test_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    """A text file named .xlsx gives a clear error, not a crash."""
    path = tmp_path / "fake.xlsx"
    path.write_text("Objective,Action\n")
    with pytest.raises(InputFileError, match=r"not a readable \.xlsx workbook"):
        read_xlsx_file(path)
