"""Cells of converted council tables: HTML fragments and plain text turned into paragraphs."""

from __future__ import annotations

import pytest

from improveflow.importers.html_text import Block, cell_blocks, cell_paragraphs, cell_text

UL = '<ul style="list-style-type: none">'


def test_each_html_paragraph_is_one_paragraph() -> None:
    """Every <p> of a cell is its own paragraph, so it can line up with the next cell's."""
    cell = "<p>Agree the plan.</p> <p>Restructure the team.</p> <p>Launch training.</p>"
    assert cell_paragraphs(cell) == ["Agree the plan.", "Restructure the team.", "Launch training."]


def test_list_items_and_line_breaks_end_paragraphs() -> None:
    """<li> and <br> end a paragraph just as <p> does."""
    assert cell_paragraphs("<ul><li>One</li><li>Two</li></ul>") == ["One", "Two"]
    assert cell_paragraphs("March 2015<br>June 2015<br/>Ongoing") == [
        "March 2015",
        "June 2015",
        "Ongoing",
    ]


def test_inline_formatting_keeps_only_its_text() -> None:
    """<b>, <i>, <u> and <sup> vanish and leave their words in place."""
    assert cell_text("<b>C</b>") == "C"
    assert cell_text("held on 1<sup>st</sup> June, <i>ahead</i> of <u>plan</u>") == (
        "held on 1st June, ahead of plan"
    )


def test_entities_are_decoded() -> None:
    """Character references such as &amp; and &gt; become the characters they stand for."""
    assert cell_text("<p>Take up &gt; 80% in depots &amp; offices&nbsp;now</p>") == (
        "Take up > 80% in depots & offices now"
    )


def test_plain_text_keeps_a_bare_ampersand_and_angle_bracket() -> None:
    """Plain cells such as "H&S Manager" or "a < b" are not mangled as markup."""
    assert cell_text("H&S Manager") == "H&S Manager"
    assert cell_text("Sickness < 8 days & falling") == "Sickness < 8 days & falling"


def test_whitespace_is_collapsed() -> None:
    """Runs of spaces and newlines inside HTML collapse to single spaces."""
    assert cell_text("<p>  Review   the\n   policy </p>") == "Review the policy"


def test_inline_bullets_become_list_items() -> None:
    """ "• a • b" inside a converted list is split into one item per bullet, marker kept."""
    cell = f"{UL} • Clear priorities • Budgets follow priorities "
    assert cell_blocks(cell) == [
        Block("• Clear priorities", list_item=True),
        Block("• Budgets follow priorities", list_item=True),
    ]


def test_dash_markers_in_list_items_are_kept() -> None:
    """Items written "- Scheme launched." keep their dash and are marked as list items."""
    cell = f"{UL} <li>- Scheme launched.</li> <li>- Take up &gt; 25%.</li> </ul>"
    assert cell_blocks(cell) == [
        Block("- Scheme launched.", list_item=True),
        Block("- Take up > 25%.", list_item=True),
    ]


def test_empty_list_items_are_dropped() -> None:
    """An item holding only its marker ("<li>-</li>") carries no text and is left out."""
    assert cell_paragraphs("<ul><li>- Within budget.</li><li>-</li><li>•</li></ul>") == [
        "- Within budget."
    ]


def test_list_introduced_by_a_colon_stays_with_its_introduction() -> None:
    """ "Improve communication including: • a • b" is one paragraph, so it stays one action."""
    cell = f"<p>Improve communication including:</p> {UL} • A clear brand • An intranet </ul>"
    assert cell_paragraphs(cell) == [
        "Improve communication including:\n• A clear brand\n• An intranet"
    ]


def test_paragraph_inside_an_indenting_list_is_not_an_item() -> None:
    """The converter indents with <ul> and no <li>; a <p> inside it is an ordinary paragraph."""
    cell = f"<p>Strategy</p> {UL} Website improvements <p>Develop a leadership programme.</p>"
    assert cell_blocks(cell) == [
        Block("Strategy"),
        Block("Website improvements", list_item=True),
        Block("Develop a leadership programme."),
    ]


@pytest.mark.parametrize(
    ("cell", "paragraphs"),
    [
        (
            "Head of Strategic HR  HR Delivery Manager",
            ["Head of Strategic HR", "HR Delivery Manager"],
        ),
        ("Jun - Nov 2016  Nov 2016  March 2017", ["Jun - Nov 2016", "Nov 2016", "March 2017"]),
        ("Run exit interviews\nPublish results", ["Run exit interviews", "Publish results"]),
        ("April \u2013 Oct 2016", ["April \u2013 Oct 2016"]),
    ],
)
def test_plain_text_paragraphs_are_marked_by_double_spaces_or_newlines(
    cell: str, paragraphs: list[str]
) -> None:
    """In plain cells the converter marks paragraph breaks with two spaces or a newline."""
    assert cell_paragraphs(cell) == paragraphs


def test_dash_item_after_a_finished_sentence_starts_a_new_item() -> None:
    """ "Plan. - Receive accreditation" is a fragment followed by a dashed list item."""
    assert cell_blocks("Plan. - Receive external accreditation.") == [
        Block("Plan."),
        Block("- Receive external accreditation.", list_item=True),
    ]


def test_date_ranges_with_dashes_are_not_split() -> None:
    """A dash between two dates ("Aug - Mar 2017") is not a list marker."""
    assert cell_paragraphs("Aug - Mar 2017") == ["Aug - Mar 2017"]


def test_middle_dot_bullets_after_an_introduction_stay_with_it() -> None:
    """ "detail: · one; · two" keeps the items under their introduction."""
    cell = "Final report detail: · how arrivals integrate; · what employers must do"
    assert cell_paragraphs(cell) == [
        "Final report detail:\n· how arrivals integrate;\n· what employers must do"
    ]


def test_cell_text_puts_each_paragraph_on_its_own_line() -> None:
    """The whole cell as text keeps paragraph breaks as newlines."""
    assert cell_text("<p>One.</p><p>Two.</p>") == "One.\nTwo."


@pytest.mark.parametrize("cell", ["", "   ", None, f"{UL} </ul>", "<p> </p>", "<p>&nbsp;</p>"])
def test_cells_with_only_tags_or_spaces_have_no_paragraphs(cell: str | None) -> None:
    """A cell of tags and spaces holds nothing."""
    assert cell_paragraphs(cell) == []
    assert cell_text(cell) == ""


def test_malformed_html_is_read_without_error() -> None:
    """Unclosed tags, as the converter leaves them, still give their text."""
    assert cell_paragraphs("<p>Open paragraph <ul> • item one <p>Last") == [
        "Open paragraph",
        "• item one",
        "Last",
    ]
