"""Council plans converted from Word/PDF to text: each rule of reading their tables."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from improveflow.exceptions import InputFileError
from improveflow.importers.council_table import parse_council_text, read_council_file
from improveflow.importers.records import (
    REVIEW_NO_LEAD_OR_TIMESCALE,
    REVIEW_PAGE_BREAK_MERGE,
    REVIEW_PARAGRAPHS_MISALIGNED,
    REVIEW_ROW_MERGED,
    ParsedAction,
    ParsedObjective,
    ParsedPlan,
)

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
HEADER = "Challenge\tOutcomes/ Measures of Success\tAction\tLead\tTarget Date\tProgress"


@pytest.fixture(scope="module")
def peer() -> ParsedPlan:
    """The peer challenge plan fixture, read once."""
    return read_council_file(PLANS / "peer_challenge.txt")


@pytest.fixture(scope="module")
def hr() -> ParsedPlan:
    """The HR people plan fixture (lettered priorities, no action column), read once."""
    return read_council_file(PLANS / "hr_people_plan.txt")


@pytest.fixture(scope="module")
def service() -> ParsedPlan:
    """The service plan fixture (narrative with several tables), read once."""
    return read_council_file(PLANS / "service_plan.txt")


def action(plan: ParsedPlan, description: str) -> ParsedAction:
    matches = [found for found in plan.actions() if found.description == description]
    assert len(matches) == 1, f"{description!r}: {len(matches)} actions"
    return matches[0]


def objective(plan: ParsedPlan, reference: str) -> ParsedObjective:
    matches = [found for found in plan.objectives() if found.reference == reference]
    assert len(matches) == 1, f"{reference!r}: {len(matches)} objectives"
    return matches[0]


def flagged(found: ParsedAction, reason: str) -> bool:
    return any(entry.startswith(reason) for entry in found.review)


def table(*rows: str) -> str:
    return "\n".join(["Theme\t\t\t\t\t", HEADER, *rows])


# Document structure -------------------------------------------------------------------------


def test_title_comes_from_the_lines_above_the_first_table(peer: ParsedPlan) -> None:
    """The short line at the top of the document is its title."""
    assert peer.title == "Northfield Borough Council \u2013 Peer Challenge Improvement Plan (Draft)"
    assert peer.file.endswith("peer_challenge.txt")


def test_title_joins_bold_lines_at_the_top(service: ParsedPlan) -> None:
    """Bold title lines separated by blank lines make one title."""
    assert service.title == "NORTHFIELD COUNCIL PEOPLE SERVICES PLAN 2009/10"


def test_plan_starting_with_a_table_has_no_title(hr: ParsedPlan) -> None:
    """No title is invented when the document opens with its table."""
    assert hr.title is None


def test_repeated_section_headings_are_one_theme(peer: ParsedPlan, hr: ParsedPlan) -> None:
    """A heading repeated on a later page continues its theme instead of starting another."""
    assert [theme.title for theme in peer.themes] == [
        "Vision and Priorities",
        "Money and Resources",
        "Contract Management",
    ]
    vision = peer.themes[0]
    assert vision.line == 4
    assert [found.reference for found in vision.objectives] == [
        "key challenge suggestion 1",
        "key challenge suggestions 2 and 3",
        "key challenge suggestion 5",
    ]
    assert len(hr.themes) == 2


def test_page_furniture_is_neither_theme_nor_section(hr: ParsedPlan) -> None:
    """ "## Appendix 1" and "--" rules between pages leave no trace but a page break."""
    assert [theme.title for theme in hr.themes] == [
        "Workforce Development \u2013 Skills, Apprenticeships and Leadership",
        "Pay and Reward \u2013 Pay Policy and Job Evaluation",
    ]
    assert hr.sections_skipped == []
    assert hr.unplaced == []


def test_header_spelling_variants_on_later_pages_are_recognised(hr: ParsedPlan) -> None:
    """ "Progress update" in one section and "Progress Update" in another are both progress."""
    assert action(hr, "To review job evaluation arrangements.").progress == (
        "This work has been deferred until 2017/18 to align with the pay audit."
    )


def test_each_action_records_the_line_its_row_starts_on(peer: ParsedPlan) -> None:
    """Every action and objective cites the line of the source file it came from."""
    assert action(peer, "Sell the former depot site.").line == 22
    assert objective(peer, "key challenge suggestion 6").line == 34


# References ---------------------------------------------------------------------------------


def test_lettered_priorities_keep_their_letters(hr: ParsedPlan) -> None:
    """A, <b>B</b> and C in the unlabelled first column become the objectives' references."""
    assert [found.reference for found in hr.objectives()] == ["A", "B", "A", "B", "C"]


def test_key_challenge_suggestions_become_references(peer: ParsedPlan) -> None:
    """ "(key challenge suggestion N)" is taken out of the text and kept as the reference."""
    found = objective(peer, "key challenge suggestions 2 and 3")
    assert found.text == "Build a shared view of the future shape of the Council."
    inline = objective(peer, "key challenge suggestion 6")
    assert inline.text == "Manage the leisure contract against agreed outcomes."


def test_numbered_objectives_take_their_number_as_reference(service: ParsedPlan) -> None:
    """ "1. Ensure every team ..." is objective 1 with the number removed from its text."""
    first = objective(service, "1")
    assert first.text == "Ensure every team has a trained first aider."


def test_objectives_without_any_reference_have_none(peer: ParsedPlan) -> None:
    """An objective that names no reference is not given one."""
    found = [o for o in peer.objectives() if o.text == "Reduce spending on agency staff."]
    assert found[0].reference is None


# Further actions ----------------------------------------------------------------------------


def test_row_with_empty_challenge_and_own_timescale_is_a_further_action(peer: ParsedPlan) -> None:
    """Rows below an objective with their own action and date belong to that objective."""
    agency = next(o for o in peer.objectives() if o.text == "Reduce spending on agency staff.")
    assert [found.description for found in agency.actions] == [
        "Cap agency spending at \u00a31.2m per year.",
        "Introduce a central booking system for temporary staff.",
        "Report agency spending monthly to Leadership Team.",
        "Sell the former depot site.",
    ]


def test_further_action_with_empty_lead_inherits_the_lead_above(peer: ParsedPlan) -> None:
    """A further action whose lead cell is empty has the lead of the action above it."""
    found = action(peer, "Report agency spending monthly to Leadership Team.")
    assert found.lead == "Head of Procurement"
    assert found.timescale == "Monthly"
    assert found.review == []


def test_outcomes_of_a_further_action_row_join_the_objective(peer: ParsedPlan) -> None:
    """Objective-level outcomes written beside a further action are kept on the objective."""
    agency = next(o for o in peer.objectives() if o.text == "Reduce spending on agency staff.")
    assert agency.outcomes == "\u2022 Income from the depot site funds the transformation programme"


def test_timescale_is_kept_as_written(peer: ParsedPlan) -> None:
    """Timescales are raw text; no date is worked out here."""
    assert action(peer, "Sell the former depot site.").timescale == "Ongoing until 2016/17."


def test_html_and_entities_in_cells_become_plain_text(peer: ParsedPlan) -> None:
    """Tags, entities and non-breaking spaces in cells give readable text."""
    capped = action(peer, "Cap agency spending at \u00a31.2m per year.")
    assert capped.progress == "Spend > target in Q1; controls introduced in Q2."
    reviews = action(peer, "Hold quarterly contract reviews with Eastgate Leisure.")
    assert reviews.progress == "On track \u2013 first review held 1st June."


# Several actions in one row -----------------------------------------------------------------


def test_aligned_paragraphs_make_one_action_each(peer: ParsedPlan) -> None:
    """Three actions, three leads and three dates in one row become three actions."""
    found = objective(peer, "key challenge suggestions 2 and 3").actions
    assert [(a.description, a.lead, a.timescale, a.progress) for a in found[:2]] == [
        ("Publish a target operating model.", "Chief Executive", "June 2015", "Model drafted."),
        (
            "Restructure the senior team around the model.",
            "Head of Paid Service",
            "September 2015",
            "Consultation with staff started.",
        ),
    ]
    assert all(a.line == 9 for a in found)
    assert not any(flagged(a, REVIEW_PARAGRAPHS_MISALIGNED) for a in found)


def test_paragraphs_that_do_not_line_up_are_flagged_and_kept(peer: ParsedPlan) -> None:
    """Three actions with two leads: one action per action paragraph, nothing dropped."""
    found = objective(peer, "key challenge suggestion 5").actions[:3]
    assert [a.description for a in found] == [
        "Set up a residents' panel.",
        "Run an annual budget survey.",
        'Publish "you said, we did" reports.',
    ]
    assert [a.lead for a in found] == ["Head of Communications", "Head of Policy", None]
    assert [a.timescale for a in found] == ["July 2015", "October 2015", "Quarterly"]
    assert found[0].progress == "Panel recruited."
    assert all(flagged(a, REVIEW_PARAGRAPHS_MISALIGNED) for a in found)
    assert "3 actions, 2 lead paragraphs" in found[0].review[0]


def test_surplus_paragraphs_go_to_the_last_action() -> None:
    """Two actions with three dates: the extra date is kept on the last action."""
    plan = parse_council_text(
        table("One\t\t<p>Act one.</p> <p>Act two.</p>\tAnn\t<p>May</p> <p>June</p> <p>July</p>\t"),
        "inline.txt",
    )
    assert [a.timescale for a in plan.actions()] == ["May", "June\nJuly"]


def test_one_lead_for_several_actions_is_shared() -> None:
    """A single lead beside several action paragraphs leads each of them, without a flag."""
    plan = parse_council_text(
        table(
            "Objective one\t\t<p>Act one.</p> <p>Act two.</p>\tAnn Smith\t<p>May</p> <p>June</p>\t"
        ),
        "inline.txt",
    )
    assert [a.lead for a in plan.actions()] == ["Ann Smith", "Ann Smith"]
    assert all(a.review == [] for a in plan.actions())


# Page breaks --------------------------------------------------------------------------------


def test_row_continued_after_a_page_break_is_merged(peer: ParsedPlan) -> None:
    """Cells cut by a page break are joined to the sentences they continue."""
    found = action(peer, "Launch a manager development programme for all managers.")
    assert found.lead == "Head of People/ Organisational Development Manager"
    assert found.timescale == "October 2015 (Managers) 2016/17 (Staff)"
    assert found.progress == (
        "Provider selected and the programme has started with the first cohort of 20 managers."
    )
    assert flagged(found, REVIEW_PAGE_BREAK_MERGE)
    outcomes = objective(peer, "key challenge suggestions 2 and 3").outcomes
    assert outcomes is not None
    assert "\u2022 Managers with the skills to lead change" in outcomes.split("\n")


def test_progress_only_row_after_a_page_break_joins_the_action_above(peer: ParsedPlan) -> None:
    """A row holding only more progress text is part of the row before the page break."""
    found = action(peer, "Agree a new Council Plan for 2015/16.")
    assert found.progress is not None
    assert found.progress.endswith("Staff roadshows held in all depots & offices.")
    assert flagged(found, REVIEW_PAGE_BREAK_MERGE)
    assert len(objective(peer, "key challenge suggestion 1").actions) == 1


def test_continued_objective_with_new_actions(peer: ParsedPlan) -> None:
    """The objective's cut sentence is completed and the row's own actions are added to it."""
    found = objective(peer, "key challenge suggestion 4")
    assert found.text == (
        "Set a balanced budget and a medium term financial plan that covers the next five years."
    )
    assert [(a.description, a.lead, a.timescale) for a in found.actions] == [
        (
            "Review every savings target with budget holders.",
            "Director of Resources",
            "January 2015",
        ),
        ("Extend the financial plan to five years", "Head of Finance", "February 2016"),
        ("Prepare for business rates retention.", "Director of Resources", "April 2016"),
    ]
    assert found.actions[0].progress == (
        "All targets reviewed and risk rated. "
        "A series of Cabinet/ Leadership Team sessions have taken place to agree options."
    )
    assert found.actions[1].progress == "Five year model built."
    assert all(flagged(a, REVIEW_PAGE_BREAK_MERGE) for a in found.actions)


def test_ordinary_row_after_a_page_break_is_not_merged(peer: ParsedPlan) -> None:
    """A further action that starts a new sentence on the next page stays its own action."""
    found = action(peer, "Review the complaints process.")
    assert found.lead == "Head of Customer Services"
    assert found.review == []


def test_continuation_after_appendix_marker_is_merged(hr: ParsedPlan) -> None:
    """Text cut at "## Appendix 1" continues the last action's progress."""
    found = action(hr, "Retention of apprentices above 80%.\nProgression routes agreed.")
    assert (
        found.progress == "Retention is 85%. Progression routes under discussion with the colleges."
    )
    assert flagged(found, REVIEW_PAGE_BREAK_MERGE)


def test_continued_cells_and_new_priority_in_one_row(hr: ParsedPlan) -> None:
    """The first fragments finish the row above; the rest of the row is a new action."""
    coaching = action(hr, "To introduce coaching for new managers.")
    assert coaching.measures == (
        "- Coaching pool of 10 trained coaches.\n"
        "- Each new manager offered a coach within three months."
    )
    assert coaching.progress == "Six coaches trained. Demand for coaching is high."
    evaluation = action(hr, "To evaluate the coaching offer.")
    assert evaluation.measures == "- Evaluation report to HRMT."
    assert evaluation.lead == "OD Manager"


def test_row_with_no_action_of_its_own_is_merged_and_flagged(hr: ParsedPlan) -> None:
    """Progress with no action beside it, and no page break, joins the action above."""
    found = action(hr, "To evaluate the coaching offer.")
    assert found.progress == "Further courses are being planned with partners."
    assert flagged(found, REVIEW_ROW_MERGED)


# Tables without an action column --------------------------------------------------------------


def test_priority_text_describes_its_action(hr: ParsedPlan) -> None:
    """Without an action column each priority row is an action described by the priority."""
    found = objective(hr, "C")
    assert [a.description for a in found.actions] == ["To introduce an employee benefits scheme."]
    assert found.actions[0].measures == "- Scheme launched.\n- Take up > 25%."
    assert found.actions[0].timescale == "To be determined"


def test_further_row_without_priority_is_described_by_its_measure(hr: ParsedPlan) -> None:
    """A row with only a date and a measure is an action named after the measure."""
    found = action(hr, "25 apprentices recruited.")
    assert found.measures == "- 25 apprentices recruited."
    assert found.timescale == "Dec 2016"
    assert found.lead == "Head of HR"
    assert found.progress == "18 apprentices in post."


def test_unlettered_priority_is_a_further_action_of_the_letter_above(hr: ParsedPlan) -> None:
    """A priority row without a letter belongs to the lettered priority above it."""
    descriptions = [a.description for o in hr.objectives() if o.reference == "B" for a in o.actions]
    assert descriptions[:3] == [
        "To deliver a leadership programme for senior managers.",
        "To introduce coaching for new managers.",
        "To evaluate the coaching offer.",
    ]


def test_several_owners_and_dates_of_one_priority_are_kept(hr: ParsedPlan) -> None:
    """Plain cells with two paragraphs keep both, one per line."""
    found = action(hr, "To deliver a leadership programme for senior managers.")
    assert found.timescale == "Jan 2017\nMarch 2017"
    assert found.progress is not None
    assert found.progress.startswith("COMPLETE.")


def test_action_only_table_uses_the_theme_as_its_objective() -> None:
    """A table with actions but no objective column still places every action."""
    text = "Quick Wins\t\t\nAction\tLead\tDeadline\nFix the lights.\tFacilities\tMay 2024\n"
    plan = parse_council_text(text, "inline.txt")
    assert plan.objectives()[0].text == "Quick Wins"
    assert [a.description for a in plan.actions()] == ["Fix the lights."]


# Objective-level columns and narrative ------------------------------------------------------


def test_monitoring_and_risk_stay_on_the_objective(service: ParsedPlan) -> None:
    """Monitoring arrangements and risk ratings belong to the objective, EINA to its actions."""
    found = next(o for o in service.objectives() if o.text == "Reduce sickness absence.")
    assert found.monitoring == "CMT Report"
    assert found.risk_rating == "4"
    assert found.actions[0].extra == {"eina": "N"}


def test_theme_column_groups_objectives(service: ParsedPlan) -> None:
    """ "SCC priority" names the theme; the same priority in other case is the same theme."""
    care = next(theme for theme in service.themes if theme.title == "Care for Staff")
    assert [o.text for o in care.objectives] == [
        "Reduce sickness absence.",
        "Improve the recruitment process.",
    ]
    assert care.objectives[1].monitoring == "Scrutiny C&PP Cabinet"


def test_milestones_line_up_with_their_deadlines(service: ParsedPlan) -> None:
    """Each milestone paragraph gets its own deadline and measure."""
    found = action(service, "Train managers in return to work interviews.")
    assert (found.timescale, found.measures, found.lead) == (
        "quarterly 2009-10",
        "90% of managers trained.",
        "Head of HR",
    )
    measured = action(service, "Quarterly absence reports published.")
    assert (measured.timescale, measured.lead) == ("31 March 2010", "Head of HR")


def test_numbered_heading_names_the_theme_over_its_subheadings(service: ParsedPlan) -> None:
    """The table under "## 2. ..." and "### Background" belongs to "2. ..."."""
    assert service.themes[0].title == "2. Health & Safety Action Plan"
    assert [o.reference for o in service.themes[0].objectives] == ["1", "2"]


def test_narrative_sections_and_tables_are_skipped_and_reported(service: ParsedPlan) -> None:
    """Prose, contents lists and tables without action columns are skipped, not lost."""
    assert "Contents (line 6)" in service.sections_skipped
    assert "1. Introduction (line 12)" in service.sections_skipped
    assert "Programme of Impact Assessments (line 26)" in service.sections_skipped
    assert any(
        entry.startswith("table without recognised columns at line 28")
        for entry in service.sections_skipped
    )
    assert [theme.title for theme in service.themes] == [
        "2. Health & Safety Action Plan",
        "Care for Staff",
        "Value for Money",
        "Reviews",
    ]
    assert service.unplaced == []


def test_unrecognised_and_surplus_columns_are_kept_as_extras(service: ParsedPlan) -> None:
    """A column with an unknown title, or a cell past the header, is kept by its name."""
    review = action(service, "Review of Agency Staffing")
    assert review.extra == {"Details of Service": "Member led review of agency spend"}
    assert (review.lead, review.timescale, review.progress) == (
        "A. Patel",
        "Final report March 2010",
        "Scoping agreed.",
    )
    sla = action(service, "Agree a service level agreement.")
    assert sla.extra == {"eina": "N", "column 10": "see note 3"}


def test_row_without_lead_or_timescale_is_flagged() -> None:
    """A new objective row giving neither lead nor date asks a person to check its cells."""
    plan = parse_council_text(table("Objective one\t\tAct one.\t\t\t"), "inline.txt")
    assert plan.actions()[0].review == [REVIEW_NO_LEAD_OR_TIMESCALE]


def test_row_that_cannot_be_placed_is_kept_with_a_reason(peer: ParsedPlan) -> None:
    """A further action with no objective above it in its section goes to unplaced."""
    assert len(peer.unplaced) == 1
    unplaced = peer.unplaced[0]
    assert unplaced.line == 33
    assert unplaced.text == "Agree a single set of contract KPIs. | Head of Procurement | May 2015"
    assert "no objective" in unplaced.reason


# Files --------------------------------------------------------------------------------------


def test_windows_line_endings_are_read(tmp_path: Path) -> None:
    """CRLF files parse exactly as LF files do."""
    path = tmp_path / "crlf.txt"
    path.write_bytes((PLANS / "hr_people_plan.txt").read_bytes().replace(b"\n", b"\r\n"))
    plan = read_council_file(path)
    assert len(plan.actions()) == 9
    assert plan.actions()[0].progress == "Scheme approved by Cabinet in May."


def test_utf8_with_byte_order_mark(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is dropped and reported as the encoding used."""
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (PLANS / "peer_challenge.txt").read_bytes())
    plan = read_council_file(path)
    assert plan.encoding == "utf-8-sig"
    assert plan.title is not None
    assert plan.title.startswith("Northfield")


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    """Older Word exports in Windows-1252 are read, and the encoding is reported."""
    path = tmp_path / "cp1252.txt"
    text = table("Save money\t\tCut costs by \u00a35k \u2013 now.\tFinance\tMay 2015\t")
    path.write_bytes(text.encode("cp1252"))
    plan = read_council_file(path)
    assert plan.encoding == "cp1252"
    assert plan.actions()[0].description == "Cut costs by \u00a35k \u2013 now."


def test_utf16_with_byte_order_mark(tmp_path: Path) -> None:
    """Word's "Unicode text" (UTF-16 with a byte-order mark) is read."""
    path = tmp_path / "utf16.txt"
    path.write_bytes(table("Save money\t\tCut costs.\tFinance\tMay 2015\t").encode("utf-16"))
    assert read_council_file(path).encoding == "utf-16"


def test_binary_file_is_refused_with_its_line(tmp_path: Path) -> None:
    """A file holding NUL bytes is named as binary, with the line of the first one."""
    path = tmp_path / "plan.docx"
    path.write_bytes(b"PK\x03\x04\nsecond line\x00")
    with pytest.raises(InputFileError) as raised:
        read_council_file(path)
    assert raised.value.file == str(path)
    assert raised.value.line == 2
    assert "binary" in raised.value.problem


def test_undecodable_bytes_are_refused_with_their_line(tmp_path: Path) -> None:
    """Bytes that are neither UTF-8 nor Windows-1252 give an error naming the line."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Title\nTheme\t\t\nbad \x81 byte\n")
    with pytest.raises(InputFileError) as raised:
        read_council_file(path)
    assert raised.value.line == 3
    assert "0x81" in raised.value.problem


def test_file_without_a_header_row_is_refused() -> None:
    """Pure narrative has no action table: the error says no header row was found."""
    with pytest.raises(InputFileError) as raised:
        parse_council_text("# Foreword\n\nThe council will improve.\n", "story.txt")
    assert raised.value.file == "story.txt"
    assert raised.value.line is None
    assert "no recognisable header row" in raised.value.problem


# Timed on thousands of rows: run with the integration tier, outside the unit tier's budget.
@pytest.mark.integration
def test_ten_thousand_rows_parse_in_linear_time() -> None:
    """A large generated plan parses quickly enough for a whole council's plans."""
    rows = [
        f"Objective {n}\t\t<p>Act {n}a.</p> <p>Act {n}b.</p>\tLead {n}\tMay 2015\tFine."
        if n % 5 == 0
        else f"\t\tFurther action {n}.\t\tOngoing\tStarted."
        for n in range(10_000)
    ]
    # Processor time, not wall time: on a busy machine the wall clock counts other work too.
    started = time.process_time()
    plan = parse_council_text(table(*rows), "large.txt")
    elapsed = time.process_time() - started
    assert len(plan.actions()) == 12_000
    assert elapsed < 15, f"{elapsed:.1f} CPU seconds for 10,000 rows"
