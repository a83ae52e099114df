"""HTML plans (ModernGov committee-report appendices) read into the one table model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from improveflow.exceptions import InputFileError
from improveflow.importers.html_reader import parse_html_document, read_html_document
from improveflow.importers.html_text import Block, cell_blocks, cell_text
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "plans" / "moderngov_appendix.html"


@pytest.fixture(scope="module")
def appendix() -> SourceDocument:
    return read_html_document(FIXTURE)


def _fixture_line(marker: str) -> int:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if marker in line)


def _table_rows(document: SourceDocument, name: str) -> list[Row]:
    rows: list[Row] = []
    current = None
    for part in document.parts:
        if isinstance(part, TableStart):
            current = part.name
        elif isinstance(part, Row) and current == name:
            rows.append(part)
    return rows


def _texts(rows: list[Row]) -> list[list[str]]:
    return [[cell_text(cell) for cell in row.cells] for row in rows]


def _page(body: str) -> str:
    return f"<html><head><title>Plan</title></head><body>{body}</body></html>"


def test_headings_breaks_and_tables_come_in_page_order(appendix: SourceDocument) -> None:
    """Headings (with levels), prose, the rule and each table start appear in reading order."""
    outline = [
        (type(part).__name__, getattr(part, "text", getattr(part, "name", None)))
        for part in appendix.parts
        if not isinstance(part, Row)
    ]
    assert outline == [
        ("Heading", "Appendix A: Scrutiny Recommendations Tracker"),
        ("Prose", None),
        ("Heading", "1. Task and Finish Group: Home Care Commissioning"),
        ("Heading", "Recommendations agreed by Cabinet on 9 July 2024"),
        ("TableStart", "table 1"),
        ("Prose", None),
        ("PageBreak", None),
        ("Heading", "2. Corporate Peer Challenge: Action Plan"),
        ("Heading", "Priority 1: Financial resilience"),
        ("TableStart", "table 2"),
        ("Heading", "RAG ratings"),
        ("Heading", "Key to ratings"),
        ("TableStart", "table 3"),
    ]
    levels = [part.level for part in appendix.parts if isinstance(part, Heading)]
    assert levels == [1, 2, 3, 2, 7, 3, 7]
    assert appendix.title == "Appendix A: Scrutiny Recommendations Tracker"


def test_th_header_and_bold_first_row_header_are_both_rows(appendix: SourceDocument) -> None:
    """A <thead><th> header and a first row of <td><strong> cells both reach the model as rows."""
    first = _table_rows(appendix, "table 1")[0]
    assert _texts([first]) == [
        ["Recommendation", "Action", "Lead Officer", "Timescale", "Progress", "RAG"]
    ]
    assert _texts(_table_rows(appendix, "table 2")[:1]) == [["What?", "How?", "Who by?", "When?"]]


def test_rowspan_repeats_the_text_and_marks_the_column_continued(appendix: SourceDocument) -> None:
    """A recommendation spanning three action rows is in each; the later two mark it continued."""
    rows = _table_rows(appendix, "table 1")[2:5]
    assert {cell_text(row.cells[0]) for row in rows} == {
        "R1. That the Council moves from time-and-task commissioning to outcome-based home care "
        "contracts in the north and west localities."
    }
    assert [row.continued for row in rows] == [frozenset(), frozenset({0}), frozenset({0})]
    assert [cell_text(row.cells[1]).split("\n")[0] for row in rows] == [
        "Complete market engagement with current providers.",
        "Draft the outcome-based specification, including:",
        "Report the procurement route to Cabinet.",
    ]
    assert all(len(row.cells) == 6 for row in rows)


def test_colspan_label_row_keeps_its_text_in_the_first_column(appendix: SourceDocument) -> None:
    """A full-width section label sits in column one with the covered columns empty."""
    label = _table_rows(appendix, "table 1")[1]
    assert label.cells == ["<p>Theme 1: Market sustainability</p>", "", "", "", "", ""]
    assert label.continued == frozenset()


def test_cell_paragraphs_and_lists_keep_their_structure(appendix: SourceDocument) -> None:
    """Several <p>, a <ul> and a <br> in a cell stay separate paragraphs and list items."""
    rows = _table_rows(appendix, "table 1")
    assert rows[3].cells[1] == (
        "<p>Draft the outcome-based specification, including:</p>"
        "<ul><li>reablement goals agreed with each person</li>"
        "<li>a shared care record with the NHS</li></ul>"
    )
    assert cell_blocks(_table_rows(appendix, "table 2")[1].cells[1]) == [
        Block("Agree savings proposals with each directorate."),
        Block("Publish a three-year capital strategy."),
        Block("Review of fees & charges", list_item=True),
        Block("Asset disposals programme", list_item=True),
    ]
    assert rows[3].cells[3] == "<p>March 2025</p><p>Review: June 2025</p>"
    assert rows[2].cells[4] == (
        "<p>Two provider events held in September.</p><p>Survey closed with 41 responses.</p>"
    )


def test_entities_are_decoded_and_escaped_again(appendix: SourceDocument) -> None:
    """&amp; stays escaped in the cell's HTML, &nbsp; is a space and a lone &nbsp; is empty."""
    rows = _table_rows(appendix, "table 1")
    assert rows[3].cells[2] == "<p>Head of Commissioning &amp; Contracts Manager</p>"
    assert cell_text(rows[3].cells[2]) == "Head of Commissioning & Contracts Manager"
    assert rows[7].cells[3] == "<p>May 2025</p>"
    assert rows[7].cells[4] == ""
    assert cell_text(rows[6].cells[4]) == "Funding of \u00a3120,000 agreed for 2025/26."
    document = parse_html_document(
        _page("<table><tr><td>a &lt;b&gt; &amp;&amp; c</td></tr></table>"), "x"
    )
    assert document.rows()[0].cells == ["<p>a &lt;b&gt; &amp;&amp; c</p>"]


def test_page_furniture_never_reaches_the_parts(appendix: SourceDocument) -> None:
    """Skip link, header, nav, footer, scripts and hidden icons give no heading, prose or row."""
    assert isinstance(appendix.parts[0], Heading)  # nothing before the <h1>
    texts = [part.text for part in appendix.parts if isinstance(part, Heading)]
    texts += [cell for row in appendix.rows() for cell in row.cells]
    joined = " ".join(texts)
    furniture_texts = ("Skip to", "Search this site", "Council and democracy", "Page 1 of 3")
    for furniture in (*furniture_texts, "Accessibility", "not a plan"):
        assert furniture not in joined
    assert "\u25ba" not in joined
    assert sum(isinstance(part, TableStart) for part in appendix.parts) == 3
    assert appendix.notes == ["skipped page furniture: footer, nav"]
    hidden = _page(
        '<div style="display: none"><p>Draft</p></div><p hidden>Old</p><noscript>x</noscript>'
        "<table><tr><td>A</td></tr></table>"
    )
    assert parse_html_document(hidden, "x").parts[0] == TableStart("table 1")


def test_rows_say_where_they_are_and_keep_their_source_line(appendix: SourceDocument) -> None:
    """Row.where names the table and row; Row.line and Heading.line are the source lines."""
    rows = _table_rows(appendix, "table 1")
    assert rows[3].where == "table 1, row 4"
    assert rows[3].line == _fixture_line('<tr id="t1-r1b">')
    assert _table_rows(appendix, "table 2")[2].line == _fixture_line('<tr id="t2-r2">')
    assert appendix.where(rows[3].line) == "moderngov_appendix.html, table 1, row 4"
    heading = next(part for part in appendix.parts if isinstance(part, Heading) and part.level == 2)
    assert heading.line == _fixture_line("1. Task and Finish Group")


def test_minified_html_still_gives_unique_increasing_lines() -> None:
    """Rows sharing one source line get distinct, increasing line numbers."""
    rows = parse_html_document(
        "<h2>A</h2><table><tr><td>1</td></tr><tr><td>2</td></tr><tr><td>3</td></tr></table>", "x"
    ).parts
    lines = [part.line for part in rows if isinstance(part, (Row, Heading))]
    assert lines == [1, 2, 3, 4]


def test_unclosed_tags_read_the_same_cells_as_well_formed_html() -> None:
    """Unclosed <td>, <tr>, <p> and <li>, which browsers tolerate, give the same rows."""
    well_formed = _page(
        "<table><thead><tr><th>Action</th><th>Lead</th></tr></thead><tbody>"
        "<tr><td><p>One</p><p>Two</p></td><td><ul><li>Ann</li><li>Bob</li></ul></td></tr>"
        '<tr><td colspan="2"><p>Theme</p></td></tr>'
        "<tr><td>Three<br>Four</td><td>Cy</td></tr></tbody></table><p>After</p>"
    )
    malformed = _page(
        "<table><thead><tr><th>Action<th>Lead<tbody>"
        "<tr><td><p>One<p>Two<td><ul><li>Ann<li>Bob</ul>"
        '<tr><td colspan="2"><p>Theme'
        "<tr><td>Three</br>Four<td>Cy</div></span></table><p>After"
    )
    good, bad = parse_html_document(well_formed, "x"), parse_html_document(malformed, "x")
    assert [row.cells for row in bad.rows()] == [row.cells for row in good.rows()]
    assert [type(part) for part in bad.parts] == [type(part) for part in good.parts]
    assert bad.rows()[1].cells == ["<p>One</p><p>Two</p>", "<ul><li>Ann</li><li>Bob</li></ul>"]


def test_word_markup_and_deep_nesting_do_not_stop_the_reader() -> None:
    """Word's <![if ...]> sections, odd declarations and thousands of unclosed tags still read."""
    word = (
        "<p class=MsoListParagraph><![if !supportLists]><span style='font-family:Symbol'>·"
        "<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span><![endif]>Item</p>"
    )
    text = _page(f"<table><tr><td>{word}<![odd section]>x</td></tr></table>" + "<font>" * 5000)
    assert cell_blocks(parse_html_document(text, "x").rows()[0].cells[0]) == [
        Block("· Item", list_item=True),
        Block("x"),
    ]


def test_a_meta_charset_decides_how_bytes_are_read(tmp_path: Path) -> None:
    """A <meta> charset is honoured: Windows-1252, ISO-8859-1 (as browsers read it), ISO-8859-15."""
    cases = [
        ('<meta charset="windows-1252">', "\u00a32m \u2013 \u2018draft\u2019", "cp1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "", "cp1252"),
        ("<meta charset='iso-8859-15'>", "\u20ac5m", "iso8859-15"),
    ]
    for number, (meta, text, encoding) in enumerate(cases):
        path = tmp_path / f"plan{number}.htm"
        path.write_bytes(_page(f"{meta}<table><tr><td>{text}</td></tr></table>").encode(encoding))
        document = read_html_document(path)
        assert document.encoding == encoding
        if text:
            assert cell_text(document.rows()[0].cells[0]) == text
    # ISO-8859-1 bytes 0x93/0x94 are curly quotes and an undefined 0x81 survives, as in browsers.
    latin = tmp_path / "latin.html"
    latin.write_bytes(
        b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        b"<table><tr><td>caf\xe9 \x93ok\x94 \x81</td></tr></table>"
    )
    assert (
        cell_text(read_html_document(latin).rows()[0].cells[0]) == "caf\u00e9 \u201cok\u201d \x81"
    )


def test_a_page_mislabelled_single_byte_but_written_in_utf8_reads_as_utf8(tmp_path: Path) -> None:
    """Bytes that are valid UTF-8 win over a meta charset of ISO-8859-1, with a note."""
    path = tmp_path / "plan.html"
    path.write_bytes(
        '<meta charset="iso-8859-1"><table><tr><td>\u00a35k</td></tr></table>'.encode()
    )
    document = read_html_document(path)
    assert (document.encoding, cell_text(document.rows()[0].cells[0])) == ("utf-8", "\u00a35k")
    assert document.notes == ["the page declares cp1252 but its bytes are UTF-8: read as UTF-8"]


def test_a_table_nested_in_a_cell_stays_in_that_cell(appendix: SourceDocument) -> None:
    """A small table inside a cell becomes paragraphs of that cell, not rows of the plan."""
    rows = _table_rows(appendix, "table 2")
    assert len(rows) == 3
    assert cell_text(rows[2].cells[1]).split("\n") == [
        "Quarterly budget monitoring to Audit & Governance Committee, with a dashboard:",
        "Quarter 1 | September",
        "Quarter 2 | December",
    ]
    assert all(len(row.cells) == 4 for row in rows)


def test_a_one_column_layout_table_is_read_as_the_page() -> None:
    """A one-column table wrapping the page does not hide the headings and tables inside it."""
    document = parse_html_document(
        _page(
            "<table width='100%'><tr><td><h1>Plan</h1></td></tr><tr><td>"
            "<table><tr><th>Action</th><th>Lead</th></tr><tr><td>Do</td><td>Ann</td></tr></table>"
            "</td></tr></table>"
        ),
        "x",
    )
    assert document.parts[:2] == [Heading(1, "Plan", 1), TableStart("table 1")]
    assert _texts(document.rows()) == [["Action", "Lead"], ["Do", "Ann"]]
    assert document.rows()[1].where == "table 1, row 2"


def test_rowspans_stop_at_the_row_group_and_rows_pad_to_the_table_width() -> None:
    """A rowspan never runs into the next <tbody>; short rows are padded and colspan=99 is cut."""
    document = parse_html_document(
        "<table><tbody><tr><td rowspan='5'>R1</td><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
        "</tbody><tbody><tr><td colspan='99'>Theme</td></tr><tr><td>d</td></tr></tbody></table>",
        "x",
    )
    assert [row.cells for row in document.rows()] == [
        ["<p>R1</p>", "<p>a</p>", "<p>b</p>"],
        ["<p>R1</p>", "<p>c</p>", ""],
        ["<p>Theme</p>", "", ""],
        ["<p>d</p>", "", ""],
    ]
    assert [row.continued for row in document.rows()] == [
        frozenset(),
        {0},
        frozenset(),
        frozenset(),
    ]


def test_a_header_inside_an_article_is_content_but_the_page_header_is_not() -> None:
    """Site chrome in the page-level <header> is skipped; an article's own <header> is read."""
    document = parse_html_document(
        "<header><h1>Southshire County Council</h1></header><article><header><h1>Action plan</h1>"
        "</header><table><tr><td>A</td></tr></table></article>",
        "x",
    )
    assert document.parts[:2] == [Heading(1, "Action plan", 1), TableStart("table 1")]


@pytest.mark.parametrize(
    ("head", "title"),
    [
        ("<title>Action plan - Southshire County Council</title>", "Plan h1"),
        ("<title>Appendix B</title>", "Appendix B"),
        ("", "Plan h1"),
    ],
)
def test_the_title_is_the_title_element_unless_it_carries_a_site_suffix(
    head: str, title: str
) -> None:
    """A <title> with " - Site" gives way to the first <h1>; a plain <title> is kept."""
    document = parse_html_document(f"<head>{head}</head><body><h1>Plan h1</h1></body>", "x")
    assert document.title == title


def test_a_page_without_tables_has_no_rows_and_falls_back_to_no_title() -> None:
    """A page with only prose yields parts but no rows, and no title without <title> or <h1>."""
    document = parse_html_document("<p>Nothing to see.</p><hr><p>More.</p>", "x")
    assert document.rows() == []
    assert document.parts == [Prose(), PageBreak(), Prose()]
    assert document.title is None


def test_unreadable_files_raise_a_clear_input_error(tmp_path: Path) -> None:
    """A missing file, or a PDF saved with an .html name, is an InputFileError naming the file."""
    with pytest.raises(InputFileError, match="cannot read the file"):
        read_html_document(tmp_path / "missing.html")
    pdf = tmp_path / "plan.html"
    pdf.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(InputFileError, match="this is a PDF, not a web page") as error:
        read_html_document(pdf)
    assert error.value.file == str(pdf)


# Timed on thousands of rows: run with the integration tier, outside the unit tier's budget.
@pytest.mark.integration
def test_a_2000_row_table_parses_in_well_under_a_second() -> None:
    """Reading a generated 2,000-row, six-column table stays fast."""
    row = (
        "<tr><td><p>Recommendation {0}</p></td><td><p>Action {0}.</p><ul><li>step</li></ul></td>"
        "<td>Lead &amp; deputy</td><td>March 2025</td><td><p>On track.</p><p>Note.</p></td>"
        "<td>Green</td></tr>\n"
    )
    text = _page("<table>\n" + "".join(row.format(n) for n in range(2000)) + "</table>")
    # Processor time, not wall time: on a busy machine the wall clock counts other work too.
    started = time.process_time()
    document = parse_html_document(text, "big.html")
    elapsed = time.process_time() - started
    assert len(document.rows()) == 2000
    assert elapsed < 1.5, f"took {elapsed:.2f} CPU seconds"
