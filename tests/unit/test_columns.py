"""Header recognition: every way councils title a column maps to one field."""

from __future__ import annotations

import pytest

from improveflow.importers.columns import Field, read_header_row, recognise_column


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Challenge", Field.OBJECTIVE),
        ("Priority", Field.OBJECTIVE),
        ("SCC priority", Field.OBJECTIVE),
        ("Key Objective", Field.OBJECTIVE),
        ("Objective", Field.OBJECTIVE),
        ("Service Objective", Field.OBJECTIVE),
        ("Outcomes/ Measures of Success", Field.OUTCOMES),
        ("Performance & Outcome Measures", Field.OUTCOMES),
        ("Key measures of success", Field.OUTCOMES),
        ("Success Criteria", Field.OUTCOMES),
        ("Measures", Field.OUTCOMES),
        ("Action", Field.ACTION),
        ("Actions", Field.ACTION),
        ("Milestones", Field.ACTION),
        ("Key actions", Field.ACTION),
        ("Lead", Field.LEAD),
        ("Owner", Field.LEAD),
        ("Lead officer", Field.LEAD),
        ("Lead Officer/Group", Field.LEAD),
        ("Responsible officer", Field.LEAD),
        ("<b>Contact Details</b>", Field.LEAD),
        ("Target Date", Field.TIMESCALE),
        ("Timescale", Field.TIMESCALE),
        ("Deadline for completion", Field.TIMESCALE),
        ("Deadline", Field.TIMESCALE),
        ("Target", Field.TIMESCALE),
        ("<b>O/S Tasks Completion Date</b>", Field.TIMESCALE),
        ("Progress", Field.PROGRESS),
        ("Progress Update", Field.PROGRESS),
        ("Progress update", Field.PROGRESS),
        ("Comments", Field.PROGRESS),
        ("<b>Progress to Date (if 200708)</b>", Field.PROGRESS),
        ("monitoring arrangements", Field.MONITORING),
        ("EINA Y/N", Field.EINA),
        ("Risk rating", Field.RISK),
        ("Ref", Field.REFERENCE),
    ],
)
def test_known_spellings_are_recognised(header: str, field: Field) -> None:
    """Each spelling found in council plans maps to its canonical field."""
    assert recognise_column(header) is field


@pytest.mark.parametrize(
    "header",
    ["TARGET DATE", "  target   date ", "Target-Date:", "Lead Officer / Group", "EINA (Y/N)"],
)
def test_recognition_ignores_case_spacing_and_punctuation(header: str) -> None:
    """Capitals, extra spaces and punctuation do not stop a header being recognised."""
    assert recognise_column(header) is not None


@pytest.mark.parametrize(
    "cell",
    [
        "Head of Finance",
        "Ongoing",
        "Leadership - Governance & Accountability and Cultural Change",
        "Some progress.",
        "Progress reported to Scrutiny May - Nov 06 and a final update reported in February 08",
        "",
    ],
)
def test_data_cells_are_not_mistaken_for_headers(cell: str) -> None:
    """Names, dates, sentences and theme titles are not column names."""
    assert recognise_column(cell) is None


def test_peer_challenge_header_row_lays_out_an_action_table() -> None:
    """ "Challenge | Outcomes | Action | ..." puts outcomes on the objective, before the action."""
    layout = read_header_row(
        ["Challenge", "Outcomes/ Measures of Success", "Action", "Lead", "Target Date", "Progress"]
    )
    assert layout is not None
    assert (layout.objective, layout.outcomes, layout.action) == (0, 1, 2)
    assert (layout.lead, layout.timescale, layout.progress) == (3, 4, 5)
    assert layout.measures is None
    assert layout.key == 0


def test_unlabelled_first_column_holds_the_reference() -> None:
    """An empty first header cell is the column of lettered priorities, and the row key."""
    layout = read_header_row(
        ["", "Priority", "Owner", "Timescale", "Performance & Outcome Measures", "Progress Update"]
    )
    assert layout is not None
    assert layout.reference == 0
    assert layout.key == 0
    assert layout.objective == 1


def test_measures_without_an_action_column_belong_to_each_action() -> None:
    """With no action column, outcome measures are per action, not per objective."""
    layout = read_header_row(["Service Objective", "Success Criteria", "Lead Officer/Group"])
    assert layout is not None
    assert layout.action is None
    assert layout.measures == 1
    assert layout.outcomes is None


def test_two_objective_columns_make_the_first_a_theme_column() -> None:
    """ "SCC priority | Key Objective": the council priority groups the key objectives."""
    layout = read_header_row(
        [
            "SCC priority",
            "Key Objective",
            "Milestones",
            "Key measures of success",
            "Deadline for completion",
            "Lead officer",
            "monitoring arrangements",
            "EINA Y/N",
            "Risk rating",
        ]
    )
    assert layout is not None
    assert (layout.theme, layout.objective, layout.action, layout.measures) == (0, 1, 2, 3)
    assert (layout.timescale, layout.lead, layout.monitoring, layout.risk) == (4, 5, 6, 8)
    assert layout.extras == ((7, "eina"),)


def test_unnamed_first_column_is_the_objective_when_none_is_named() -> None:
    """ "Review | Details | Progress | Completion date | Contact": rows are about the review."""
    layout = read_header_row(
        [
            "<b>Review</b>",
            "<b>Details of Service</b>",
            "<b>Progress to Date (if 200708)</b>",
            "<b>O/S Tasks Completion Date</b>",
            "<b>Contact Details</b>",
        ]
    )
    assert layout is not None
    assert layout.objective == 0
    assert (layout.progress, layout.timescale, layout.lead) == (2, 3, 4)
    assert layout.extras == ((1, "Details of Service"),)


def test_cells_under_an_empty_middle_header_are_kept_by_position() -> None:
    """A column with no title is still read, as "column N"."""
    layout = read_header_row(["Objective", "", "Action", "Lead"])
    assert layout is not None
    assert (1, "column 2") in layout.extras


@pytest.mark.parametrize(
    "cells",
    [
        ["Financial Planning and Viability", "", "", "", "", ""],
        ["Our Aims", "", "Our Priorities for Improvement", "Outcomes for Shropshire people"],
        [
            "Policy, Function, Procedure",
            "",
            "2006/07 planned",
            "2006/07 completed",
            "2008/09 planned",
        ],
        ["1. Executive Summary", "3"],
        ["A", "To review job evaluation arrangements.", "OD Manager", "To be determined."],
        ["", "", "Further action with a lead.", "", "Ongoing", "Some progress."],
    ],
)
def test_rows_that_are_not_header_rows(cells: list[str]) -> None:
    """Theme headings, narrative tables and data rows are not taken for header rows."""
    assert read_header_row(cells) is None


def test_a_table_without_lead_date_or_progress_is_not_an_action_table() -> None:
    """Objectives and outcomes alone make a list of aims, not an action plan."""
    assert read_header_row(["Objective", "Outcomes"]) is None


def test_header_cells_of_sentence_length_make_a_data_row() -> None:
    """A row holding a long sentence is data even if its short cells look like titles."""
    long_text = "Review the corporate plan and agree the priorities for the next three years"
    assert read_header_row([long_text + " with partners", "Lead", "Target date"]) is None
