"""Word (.docx) plans read into the table model: headings, tables, merged cells, lists, errors."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.table import _Cell

from improveflow.exceptions import InputFileError
from improveflow.importers.docx_reader import read_docx_document
from improveflow.importers.html_text import cell_blocks, cell_paragraphs
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HEADER = ["Ref", "Recommendation", "Action", "Lead Officer", "Target Date", "Progress"]


@pytest.fixture(scope="module")
def plan() -> SourceDocument:
    """The peer challenge plan built by tests/fixtures/plans/sources/build_docx.py."""
    return read_docx_document(PLANS / "peer_challenge_plan.docx")


def _table_rows(document: SourceDocument, number: int) -> list[Row]:
    return [
        row for row in document.rows() if row.where and row.where.startswith(f"table {number},")
    ]


def _texts(row: Row) -> list[str]:
    return ["\n".join(cell_paragraphs(cell)) for cell in row.cells]


def _write_docx(path: Path, body_xml: str, *, core_title: str | None = None) -> Path:
    """A .docx whose body is ``body_xml`` (WordprocessingML, prefix ``w``)."""
    document = docx.Document()
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    wrapper = parse_xml(f'<w:body xmlns:w="{W_NS}">{body_xml}</w:body>')
    for index, child in enumerate(list(wrapper)):
        body.insert(index, child)
    if core_title is not None:
        document.core_properties.title = core_title
    document.save(str(path))
    return path


def _cell(xml: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{xml}</w:tc>"


def _p(text: str, props: str = "") -> str:
    return f'<w:p><w:pPr>{props}</w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def _one_cell_table(cell_xml: str) -> str:
    return f"<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr>{_cell(cell_xml)}</w:tr></w:tbl>"


def _only_cell(tmp_path: Path, cell_xml: str) -> str:
    document = read_docx_document(_write_docx(tmp_path / "cell.docx", _one_cell_table(cell_xml)))
    return document.rows()[0].cells[0]


# The fixture ------------------------------------------------------------------------------------


def test_title_heading_and_table_headings_come_in_reading_order(plan: SourceDocument) -> None:
    """The Title paragraph, the intro and each Heading 2 appear before the table they precede."""
    assert plan.title == "Northshire District Council - Corporate Peer Challenge Improvement Plan"
    outline = [
        (type(part).__name__, getattr(part, "text", None) or getattr(part, "name", None))
        for part in plan.parts
        if not isinstance(part, Row)
    ]
    assert outline == [
        ("Heading", plan.title),
        ("Prose", None),
        ("Heading", "Place leadership and governance"),
        ("TableStart", "table 1"),
        ("PageBreak", None),
        ("Heading", "Financial sustainability"),
        ("TableStart", "table 2"),
        ("PageBreak", None),
    ]
    headings = [part for part in plan.parts if isinstance(part, Heading)]
    assert [heading.level for heading in headings] == [1, 2, 2]


def test_each_table_starts_with_its_header_row_once(plan: SourceDocument) -> None:
    """The repeated header row (w:tblHeader) is one row, the first of its table, cells as <p>."""
    for number in (1, 2):
        rows = _table_rows(plan, number)
        assert rows[0].cells == [f"<p>{name}</p>" for name in HEADER]
        assert sum(_texts(row) == HEADER for row in rows) == 1


def test_merged_recommendation_is_repeated_and_marked_continued(plan: SourceDocument) -> None:
    """A Ref/Recommendation merged down three action rows is on each, continued after the first."""
    rows = _table_rows(plan, 1)
    r2 = [row for row in rows if _texts(row)[0] == "R2"]
    assert len(r2) == 3
    recommendation = "Strengthen the working relationship between Cabinet and the Corporate "
    assert all(_texts(row)[1] == recommendation + "Management Team." for row in r2)
    assert [row.continued for row in r2] == [frozenset(), frozenset({0, 1}), frozenset({0, 1})]
    assert [_texts(row)[3] for row in r2] == ["Chief Executive", *["Monitoring Officer"] * 2]


def test_full_width_label_row_keeps_text_in_first_column(plan: SourceDocument) -> None:
    """A row merged across all six columns holds its text in column 0 and five empty cells."""
    label = _table_rows(plan, 2)[1]
    assert label.cells == ["<p>Financial sustainability</p>", "", "", "", "", ""]
    assert label.continued == frozenset()


def test_bulleted_action_cell_becomes_a_html_list(plan: SourceDocument) -> None:
    """List Bullet paragraphs in a cell become one <ul> of <li> after the action's paragraph."""
    row = next(row for row in _table_rows(plan, 1) if "member-officer" in row.cells[2])
    assert row.cells[2] == (
        "<p>Agree a member-officer protocol and train every councillor on it.</p>"
        "<ul><li>Draft the protocol with Group Leaders.</li>"
        "<li>Run a training session each quarter.</li></ul>"
    )
    assert [block.list_item for block in cell_blocks(row.cells[2])] == [False, True, True]


def test_two_paragraph_progress_cell_keeps_both_paragraphs(plan: SourceDocument) -> None:
    """Each paragraph of a cell is its own <p>, so it can line up with the next cell's."""
    row = next(row for row in _table_rows(plan, 2) if _texts(row)[0] == "R5")
    assert row.cells[5] == "<p>COMPLETE.</p><p>Both posts filled in November 2026.</p>"


def test_nested_table_text_is_kept_in_its_cell(plan: SourceDocument) -> None:
    """A table inside a cell adds one paragraph per row and no rows of its own."""
    row = next(row for row in _table_rows(plan, 2) if "property portfolio" in row.cells[2])
    assert cell_paragraphs(row.cells[5]) == [
        "Condition surveys finished for 40 of 60 buildings.",
        "Milestone | Date",
        "Surveys of remaining buildings | May 2027",
    ]
    assert len(plan.rows()) == 1 + 5 + 1 + 1 + 6  # header + actions, twice, and the label row


def test_rows_are_numbered_over_the_document_and_located_by_table(plan: SourceDocument) -> None:
    """Row.line runs from 1 across tables; where says "table t, row r" with r counted per table."""
    rows = plan.rows()
    assert [row.line for row in rows] == list(range(1, len(rows) + 1))
    assert [row.where for row in _table_rows(plan, 2)][:3] == [
        "table 2, row 1",
        "table 2, row 2",
        "table 2, row 3",
    ]
    assert plan.where(rows[6].line) == "peer_challenge_plan.docx, table 2, row 1"
    assert all(len(row.cells) == 6 for row in rows)


# Cells ------------------------------------------------------------------------------------------


def test_line_breaks_split_paragraphs_and_tabs_become_spaces(tmp_path: Path) -> None:
    """A w:br ends a paragraph and a w:tab reads as a space."""
    cell = _only_cell(
        tmp_path, "<w:p><w:r><w:t>Q1</w:t><w:tab/><w:t>2027</w:t><w:br/><w:t>Q2</w:t></w:r></w:p>"
    )
    assert cell == "<p>Q1 2027</p><p>Q2</p>"


def test_markup_characters_in_text_are_escaped(tmp_path: Path) -> None:
    """< > & in Word text are escaped so the cell's HTML reads back as the same text."""
    cell = _only_cell(tmp_path, _p("Sickness &lt; 8 days &amp; falling"))
    assert cell == "<p>Sickness &lt; 8 days &amp; falling</p>"
    assert cell_paragraphs(cell) == ["Sickness < 8 days & falling"]


def test_numbered_paragraphs_are_list_items_unless_numbering_is_removed(tmp_path: Path) -> None:
    """w:numPr makes a list item; numId 0 (numbering switched off) leaves a plain paragraph."""
    numbered = '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr>'
    switched_off = '<w:pStyle w:val="ListBullet"/><w:numPr><w:numId w:val="0"/></w:numPr>'
    cell = _only_cell(
        tmp_path, _p("One", numbered) + _p("Two", numbered) + _p("Note", switched_off)
    )
    assert cell == "<ul><li>One</li><li>Two</li></ul><p>Note</p>"


def test_tracked_changes_hyperlinks_fields_and_content_controls(tmp_path: Path) -> None:
    """Deleted text is dropped; inserted, hyperlink, field and content control text is kept."""
    paragraph = (
        "<w:p>"
        "<w:r><w:t>Agree</w:t></w:r>"
        '<w:del w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z">'
        "<w:r><w:delText> the old</w:delText></w:r><w:r><w:br/></w:r></w:del>"
        '<w:ins w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z">'
        '<w:r><w:t xml:space="preserve"> the new</w:t></w:r></w:ins>'
        '<w:hyperlink w:anchor="x"><w:r><w:t xml:space="preserve"> policy</w:t></w:r></w:hyperlink>'
        '<w:fldSimple w:instr=" DATE ">'
        '<w:r><w:t xml:space="preserve"> by 2027</w:t></w:r></w:fldSimple>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>!</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t xml:space="preserve"> (Cabinet)</w:t></w:r>'
        "</w:sdtContent></w:sdt>"
        "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>"
        "<w:r><w:t>Click or tap here to enter text.</w:t></w:r></w:sdtContent></w:sdt>"
        "</w:p>"
    )
    assert _only_cell(tmp_path, paragraph) == "<p>Agree the new policy by 2027! (Cabinet)</p>"


def test_vertical_merge_under_a_wide_cell_and_short_rows(tmp_path: Path) -> None:
    """A merge continued under a two-column cell repeats its text; short rows are padded."""
    grid = "<w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
    top = _cell(_p("Theme"), '<w:gridSpan w:val="2"/><w:vMerge w:val="restart"/>')
    under = _cell(_p(""), '<w:gridSpan w:val="2"/><w:vMerge/>')
    body = f"<w:tbl>{grid}<w:tr>{top}{_cell(_p('a'))}</w:tr><w:tr>{under}</w:tr></w:tbl>"
    rows = read_docx_document(_write_docx(tmp_path / "merge.docx", body)).rows()
    assert [row.cells for row in rows] == [
        ["<p>Theme</p>", "", "<p>a</p>"],
        ["<p>Theme</p>", "", ""],
    ]
    assert [row.continued for row in rows] == [frozenset(), frozenset({0})]


# The body ---------------------------------------------------------------------------------------


def test_body_paragraphs_become_headings_prose_and_breaks(tmp_path: Path) -> None:
    """Heading styles and bold lines are headings, text is prose, empty lines and page breaks
    are breaks."""
    body = (
        _p("Plan", '<w:pStyle w:val="Heading1"/>')
        + _p("Theme one", '<w:pStyle w:val="Heading3"/>')
        + "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Bold theme</w:t></w:r></w:p>"
        + _p("Some narrative.")
        + "<w:p/>"
        + '<w:p><w:r><w:br w:type="page"/></w:r><w:r><w:t>After the break</w:t></w:r></w:p>'
    )
    document = read_docx_document(_write_docx(tmp_path / "body.docx", body))
    assert document.parts == [
        Heading(1, "Plan", 1),
        Heading(1, "Theme one", 3),
        Heading(1, "Bold theme", 7),
        Prose(),
        PageBreak(),
        PageBreak(),
        Prose(),
    ]
    assert document.title == "Plan"
    assert document.rows() == []


def test_core_properties_title_wins_over_the_first_heading(tmp_path: Path) -> None:
    """The title set in File > Properties is the document's title when there is one."""
    body = _p("Plan heading", '<w:pStyle w:val="Title"/>') + _one_cell_table(_p("x"))
    path = _write_docx(tmp_path / "titled.docx", body, core_title="Corporate Plan 2026")
    document = read_docx_document(path)
    assert document.title == "Corporate Plan 2026"
    assert isinstance(document.parts[1], TableStart)


# Files that are not readable .docx --------------------------------------------------------------


def test_corrupt_docx_is_refused_with_a_clear_message() -> None:
    """A damaged zip is an InputFileError that says so and what to do, not a traceback."""
    with pytest.raises(InputFileError) as caught:
        read_docx_document(PLANS / "corrupt_plan.docx")
    assert caught.value.line is None
    assert caught.value.problem == (
        "not a readable Word .docx file (the zip is damaged): "
        "open it in Word and save it again as a Word Document (.docx)"
    )


def test_old_binary_doc_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    """A Word 97-2003 file (OLE signature D0 CF 11 E0) is named as such with how to convert it."""
    path = tmp_path / "plan.docx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024))
    with pytest.raises(InputFileError) as caught:
        read_docx_document(path)
    assert caught.value.problem == (
        "an old Word 97-2003 .doc file, not a .docx: "
        "open it in Word and save it again as a Word Document (.docx)"
    )


def test_password_protected_docx_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    """An encrypted Word file (an OLE file holding EncryptedPackage) asks for the password off."""
    path = tmp_path / "plan.docx"
    stream = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512) + stream + bytes(512))
    with pytest.raises(InputFileError, match="password-protected: open it in Word, remove"):
        read_docx_document(path)


def test_zip_without_a_word_document_is_refused(tmp_path: Path) -> None:
    """A zip with no word/document.xml (not a Word file at all) is refused, naming the part."""
    path = tmp_path / "plan.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(InputFileError, match=r"it has no word/document\.xml"):
        read_docx_document(path)


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    """Text saved with a .docx name is refused as not a zip archive."""
    path = tmp_path / "plan.docx"
    path.write_text("Ref,Action\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="it is not a zip archive"):
        read_docx_document(path)


# Speed ------------------------------------------------------------------------------------------


# Timed on thousands of rows: run with the integration tier, outside the unit tier's budget.
@pytest.mark.integration
def test_two_thousand_row_table_is_read_quickly(tmp_path: Path) -> None:
    """A 2,000-row, 6-column table (formatted runs, merged first column) parses in well under
    the bound (about 0.15 s when the machine is idle)."""
    document = docx.Document()
    table = document.add_table(rows=2000, cols=6)
    for index, tc in enumerate(table._tbl.iter(qn("w:tc"))):
        row, column = divmod(index, 6)
        paragraph = _Cell(tc, table).paragraphs[0]
        paragraph.add_run(f"Row {row} ").bold = True
        paragraph.add_run(f"column {column}: review the policy with partners.")
        if column == 0 and row > 0:
            vmerge = tc.get_or_add_tcPr()._add_vMerge()
            if row % 4 == 1:
                vmerge.val = "restart"
    path = tmp_path / "big.docx"
    document.save(str(path))

    # Processor time, not wall time: on a busy machine the wall clock counts other work too.
    start = time.process_time()
    parsed = read_docx_document(path)
    elapsed = time.process_time() - start

    rows = parsed.rows()
    assert len(rows) == 2000
    assert rows[1999].cells[5] == "<p>Row 1999 column 5: review the policy with partners.</p>"
    assert rows[2].continued == frozenset({0})
    assert rows[2].cells[0] == "<p>Row 1 column 0: review the policy with partners.</p>"
    assert elapsed < 1.5, f"2,000 rows took {elapsed:.2f} CPU seconds"
