"""Plans printed to PDF: each rule of reading them into the table model.

The fixtures are built by ``tests/fixtures/plans/sources/build_pdf.py`` from
``peer_challenge_plan.yaml``; the expected texts below come from that YAML.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from pdfplumber.table import Table

from improveflow.exceptions import InputFileError
from improveflow.importers.html_text import cell_blocks, cell_paragraphs, cell_text
from improveflow.importers.pdf_reader import (
    _Builder,
    _Line,
    _Page,
    _Span,
    _Table,
    _table,
    read_pdf_document,
)
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Part,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
PLAN_PDF = PLANS / "peer_challenge_plan.pdf"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    """The description the PDF fixtures were printed from."""
    loaded: dict[str, Any] = yaml.safe_load(
        (PLANS / "sources" / "peer_challenge_plan.yaml").read_text(encoding="utf-8")
    )
    return loaded


@pytest.fixture(scope="module")
def doc() -> SourceDocument:
    """The peer challenge plan PDF, read once."""
    return read_pdf_document(PLAN_PDF)


def _actions(plan: dict[str, Any]) -> list[dict[str, str]]:
    return [
        action
        for table in plan["tables"]
        for recommendation in table["recommendations"]
        for action in recommendation["actions"]
    ]


def _row_with(doc: SourceDocument, column: int, text: str) -> Row:
    return next(row for row in doc.rows() if cell_text(row.cells[column]) == text)


def _index(parts: list[Part], part: Part) -> int:
    return next(index for index, candidate in enumerate(parts) if candidate is part)


# The printed plan -----------------------------------------------------------------------------


def test_headings_found_in_order_with_levels(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """The title is a level-1 heading and each table's heading a level-2 one, in reading order."""
    headings = [(part.text, part.level) for part in doc.parts if isinstance(part, Heading)]
    assert headings == [
        (plan["title"], 1),
        (plan["tables"][0]["heading"], 2),
        (plan["tables"][1]["heading"], 2),
    ]


def test_title_and_introduction(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """The document's title is the plan's title, and the introduction is prose before any table."""
    assert doc.title == plan["title"]
    assert isinstance(doc.parts[0], Heading)
    assert isinstance(doc.parts[1], Prose)
    assert isinstance(doc.parts[2], Heading)


def test_header_row_cells(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """The first row of each table is its header, one cell per column, as a paragraph."""
    first = doc.rows()[0]
    assert first.cells == [f"<p>{name}</p>" for name in plan["tables"][0]["columns"]]
    assert first.where == "page 1, row 1"
    assert first.continued == frozenset()


def test_every_row_has_as_many_cells_as_columns(doc: SourceDocument) -> None:
    """Merged cells never shorten a row: each row has the table's six cells."""
    assert {len(row.cells) for row in doc.rows()} == {6}


def test_table_crossing_a_page_continues_without_table_start(doc: SourceDocument) -> None:
    """The first table runs on to page 2 with a PageBreak and its repeated header, no TableStart."""
    parts = doc.parts
    first_table = next(i for i, part in enumerate(parts) if isinstance(part, TableStart))
    next_heading = next(
        i for i, part in enumerate(parts) if isinstance(part, Heading) and i > first_table
    )
    between = parts[first_table + 1 : next_heading]
    assert [type(part) for part in between if not isinstance(part, Row)] == [PageBreak]
    page_break = next(i for i, part in enumerate(between) if isinstance(part, PageBreak))
    repeated = between[page_break + 1]
    assert isinstance(repeated, Row)
    assert repeated.cells == doc.rows()[0].cells  # the header, kept for the assembler
    assert repeated.where == "page 2, row 1"


def test_table_starts_are_named_by_page(doc: SourceDocument) -> None:
    """Only the two real tables start a table; the second starts on page 3 after its heading."""
    starts = [part.name for part in doc.parts if isinstance(part, TableStart)]
    assert starts == ["page 1, table 1", "page 3, table 1"]


def test_heading_at_foot_of_page_then_table(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """A heading left at the foot of page 2 is followed by the page break and then its table."""
    parts = doc.parts
    heading = next(
        p for p in parts if isinstance(p, Heading) and p.text == plan["tables"][1]["heading"]
    )
    at = _index(parts, heading)
    assert [type(part) for part in parts[at + 1 : at + 4]] == [PageBreak, TableStart, Row]


def test_every_action_is_exactly_one_paragraph(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """Wrapped lines are rejoined: each action of the plan is one whole paragraph, found once."""
    paragraphs = [p for row in doc.rows() for cell in row.cells for p in cell_paragraphs(cell)]
    for action in _actions(plan):
        assert paragraphs.count(action["action"]) == 1, action["action"]


def test_cells_are_html_paragraphs(doc: SourceDocument) -> None:
    """Filled cells are written as escaped <p> paragraphs; empty cells are empty strings."""
    for row in doc.rows():
        for cell in row.cells:
            assert cell == "" or re.fullmatch(r"(<p>[^<>]+</p>)+", cell), cell


def test_merged_recommendation_repeated_as_continued(
    doc: SourceDocument, plan: dict[str, Any]
) -> None:
    """A recommendation merged over its actions is repeated in each and its columns continued."""
    first, second = plan["tables"][0]["recommendations"][0]["actions"]
    recommendation = plan["tables"][0]["recommendations"][0]["text"]
    opening = _row_with(doc, 2, first["action"])
    covered = _row_with(doc, 2, second["action"])
    assert [cell_text(cell) for cell in opening.cells[:2]] == ["R1", recommendation]
    assert opening.continued == frozenset()
    assert [cell_text(cell) for cell in covered.cells[:2]] == ["R1", recommendation]
    assert covered.continued == frozenset({0, 1})


def test_merged_cell_running_on_to_next_page(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """Rows on page 2 under a merge begun on page 1 repeat its whole text, both pages' parts."""
    recommendation = plan["tables"][0]["recommendations"][1]
    for action in recommendation["actions"][1:]:
        row = _row_with(doc, 2, action["action"])
        assert row.where is not None
        assert row.where.startswith("page 2,")
        assert [cell_text(cell) for cell in row.cells[:2]] == ["R2", recommendation["text"]]
        assert row.continued == frozenset({0, 1})


def test_row_cut_by_page_break_stays_two_rows(doc: SourceDocument, plan: dict[str, Any]) -> None:
    """The row cut by the page break is two rows either side of the PageBreak, not joined."""
    cut = plan["tables"][0]["recommendations"][1]["actions"][0]
    parts = doc.parts
    before = _row_with(doc, 2, cut["action"])
    at = _index(parts, before)
    assert isinstance(parts[at + 1], PageBreak)
    header, rest = parts[at + 2], parts[at + 3]
    assert isinstance(header, Row)
    assert isinstance(rest, Row)
    assert header.cells == doc.rows()[0].cells
    assert (before.where, rest.where) == ("page 1, row 4", "page 2, row 2")
    assert cell_text(rest.cells[2]) == ""  # the action was finished on page 1
    head, tail = cell_text(before.cells[5]), cell_text(rest.cells[5])
    assert head
    assert tail
    assert f"{head} {tail}" == cut["progress"]
    assert rest.continued == frozenset()


def test_lines_and_where_labels(doc: SourceDocument) -> None:
    """Rows are numbered 1, 2, 3... and each says its page and its row in that page's table."""
    rows = doc.rows()
    assert [row.line for row in rows] == list(range(1, len(rows) + 1))
    assert all(re.fullmatch(r"page [1-4], row \d+", row.where or "") for row in rows)
    assert [row.where for row in rows if row.where and row.where.endswith("row 1")] == [
        "page 1, row 1",
        "page 2, row 1",
        "page 3, row 1",
        "page 4, row 1",
    ]
    assert doc.where(rows[1].line) == "peer_challenge_plan.pdf, page 1, row 2"


# Timed on thousands of rows: run with the integration tier, outside the unit tier's budget.
@pytest.mark.integration
def test_reading_is_fast() -> None:
    """Reading the four-page fixture takes well under a second."""
    started = time.perf_counter()
    read_pdf_document(PLAN_PDF)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.2f}s"


def test_prose_only_pdf_has_no_rows() -> None:
    """A PDF with text but no table gives headings and prose, no rows, and says why in a note."""
    doc = read_pdf_document(PLANS / "no_table.pdf")
    assert doc.rows() == []
    assert any(isinstance(part, Prose) for part in doc.parts)
    assert any("no ruled table" in note for note in doc.notes)


# Files that cannot be read --------------------------------------------------------------------


def test_scanned_page_is_refused() -> None:
    """A page holding only a picture of the table is refused, naming the page and what to do."""
    with pytest.raises(InputFileError) as raised:
        read_pdf_document(PLANS / "scanned_plan.pdf")
    assert raised.value.line == 1
    assert "page 1 has no text layer (a scanned image?)" in raised.value.problem
    assert "run OCR first" in raised.value.problem


def test_encrypted_pdf_is_refused() -> None:
    """A PDF with a user password is refused with the advice to save an unprotected copy."""
    with pytest.raises(InputFileError) as raised:
        read_pdf_document(PLANS / "encrypted_plan.pdf")
    assert raised.value.problem == (
        "the PDF is password-protected: save an unprotected copy and import that"
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PLAN_PDF.read_bytes()[:6000], id="truncated"),
        pytest.param(b"Action\tLead\nAgree a vision\tChief Executive\n", id="not-a-pdf"),
        pytest.param(b"", id="empty"),
    ],
)
def test_damaged_pdf_is_refused(tmp_path: Path, content: bytes) -> None:
    """A truncated, empty or non-PDF file is refused with one clear sentence, not a traceback."""
    path = tmp_path / "plan.pdf"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as raised:
        read_pdf_document(path)
    assert raised.value.file == str(path)
    assert raised.value.problem.startswith("not a readable PDF (it is damaged or not a PDF")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path with no file behind it is an InputFileError, not an OSError."""
    with pytest.raises(InputFileError, match="cannot be read"):
        read_pdf_document(tmp_path / "absent.pdf")


# Rules on synthetic pages (positions in points) -----------------------------------------------


def _line(top: float, text: str, size: float = 10.0, bold: bool = False) -> _Line:
    return _Line(top=top, bottom=top + size, size=size, bold=bold, text=text)


def _cell(top: float, *texts: str, pitch: float = 12.0) -> list[_Line]:
    return [_line(top + index * pitch, text) for index, text in enumerate(texts)]


def _builder() -> _Builder:
    return _Builder("synthetic.pdf", None, [])


def test_wrapped_lines_join_and_spaced_lines_split() -> None:
    """Lines at the normal spacing are one paragraph; a clearly larger gap starts a new one."""
    lines = [*_cell(100, "Agree a place vision with", "the partnership."), _line(130, "Then")]
    paragraphs = _builder()._paragraphs(lines)
    assert [p.text for p in paragraphs] == ["Agree a place vision with the partnership.", "Then"]


def test_bullets_and_numbers_start_paragraphs() -> None:
    """A line starting with a bullet or a number starts a paragraph even without a gap."""
    lines = _cell(100, "Deliver:", "• a vision", "wrapped", "- a summary", "2. Report back")
    paragraphs = _builder()._paragraphs(lines)
    assert [(p.text, p.bullet) for p in paragraphs] == [
        ("Deliver:", False),
        ("a vision wrapped", True),
        ("a summary", True),
        ("2. Report back", False),
    ]


def test_line_broken_after_a_hyphen_rejoins_the_word() -> None:
    """A compound word wrapped after its hyphen is rejoined without a space."""
    paragraphs = _builder()._paragraphs(_cell(100, "Agree a member-", "officer protocol."))
    assert [p.text for p in paragraphs] == ["Agree a member-officer protocol."]


def _document(*pages: _Page) -> SourceDocument:
    return _Builder("synthetic.pdf", None, list(pages)).document()


def _grid(top: float, *rows: list[list[_Line] | _Span], x: float = 50.0) -> _Table:
    columns = tuple(x + 100.0 * index for index in range(len(rows[0]) + 1))
    return _Table(top, columns, list(rows))


def test_bullet_paragraphs_written_as_list_and_escaped() -> None:
    """Bullets become <ul><li> items, other paragraphs <p>, with &, < and > escaped."""
    cell = _cell(100, "Costs & savings <draft>:", "• cut energy use", "• share offices")
    page = _Page(1, 800.0, [_grid(90, [cell])])
    [row] = _document(page).rows()
    assert row.cells == [
        "<p>Costs &amp; savings &lt;draft&gt;:</p><ul><li>cut energy use</li>"
        "<li>share offices</li></ul>"
    ]
    assert [block.text for block in cell_blocks(row.cells[0])] == [
        "Costs & savings <draft>:\ncut energy use\nshare offices"
    ]


def test_spans_repeat_below_and_stay_empty_to_the_right() -> None:
    """A None below a cell repeats its text as continued; a None right of one is empty."""
    table = _grid(
        90,
        [_cell(100, "A1"), _cell(100, "Both columns"), "colspan"],
        ["rowspan", _cell(130, "B2"), _cell(130, "B3")],
    )
    rows = _document(_Page(1, 800.0, [table])).rows()
    assert [row.cells for row in rows] == [
        ["<p>A1</p>", "<p>Both columns</p>", ""],
        ["<p>A1</p>", "<p>B2</p>", "<p>B3</p>"],
    ]
    assert [row.continued for row in rows] == [frozenset(), frozenset({0})]


def test_found_cells_tell_rowspan_from_colspan() -> None:
    """Where pdfplumber finds no cell, a cell from its left means colspan; else rowspan."""
    cells: list[tuple[float, float, float, float]] = [(0, 0, 100, 40), (100, 0, 300, 20)]
    cells += [(100, 20, 200, 40), (200, 20, 300, 40)]
    grid = _table(Table(cast(Any, None), cells), {})
    assert grid.columns == (0.0, 100.0, 200.0, 300.0)
    assert grid.rows == [[[], [], "colspan"], ["rowspan", [], []]]


def test_table_continues_when_columns_line_up_without_repeated_header() -> None:
    """A table at the top of the next page whose columns line up continues without TableStart."""
    one = _Page(1, 800.0, [_grid(90, [_cell(100, "Action"), _cell(100, "Lead")])])
    two = _Page(2, 800.0, [_grid(60, [_cell(70, "Report"), _cell(70, "Head of Finance")], x=51)])
    kinds = [type(part) for part in _document(one, two).parts]
    assert kinds == [TableStart, Row, PageBreak, Row]


def test_moved_columns_or_text_above_start_a_new_table() -> None:
    """Columns that do not line up, or prose above the table, mean a new table."""
    one = _Page(1, 800.0, [_grid(90, [_cell(100, "Action"), _cell(100, "Lead")])])
    moved = _Page(2, 800.0, [_grid(60, [_cell(70, "Report"), _cell(70, "Finance")], x=80)])
    after_prose = _Page(
        3, 800.0, [_line(200, "Some narrative."), _grid(230, [_cell(240, "X"), _cell(240, "Y")])]
    )
    kinds = [type(part) for part in _document(one, moved, after_prose).parts]
    assert kinds == [TableStart, Row, PageBreak, TableStart, Row, PageBreak, Prose, TableStart, Row]


def test_page_numbers_and_running_footers_are_not_prose() -> None:
    """Page furniture at the foot of pages is skipped, so the table continues across the page."""
    pages = [
        _Page(
            number,
            800.0,
            [
                _grid(60, [_cell(70, "Action"), _cell(70, f"Lead {number}")]),
                _line(760, "OFFICIAL"),
                _line(775, f"Page {number} of 2"),
            ],
        )
        for number in (1, 2)
    ]
    kinds = [type(part) for part in _document(*pages).parts]
    assert kinds == [TableStart, Row, PageBreak, Row]
