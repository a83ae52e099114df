"""Unit tests for improveflow.importers.dates: free-text timescales from council plans."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from improveflow.importers.dates import Milestone, Timescale, parse_timescale

NOT_UNDERSTOOD = "timescale not understood"
EXTRA_WORDS = "timescale has extra words: check the date"
YEAR_ONLY = "year only: check whether the calendar or financial year is meant"


# Single dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("July 2014", date(2014, 7, 31)),
        ("01 October 2008", date(2008, 10, 1)),
        ("1st April 2016", date(2016, 4, 1)),
        ("31-Mar-09", date(2009, 3, 31)),
        ("01-Apr-08", date(2008, 4, 1)),
        ("Dec-08", date(2008, 12, 31)),
        ("Dec 2016", date(2016, 12, 31)),
        ("Sept 2016", date(2016, 9, 30)),
        ("Sept. 2016", date(2016, 9, 30)),
        ("SEPT 2016", date(2016, 9, 30)),
        ("sep 2016", date(2016, 9, 30)),
        ("september 2016", date(2016, 9, 30)),
        ("July 08", date(2008, 7, 31)),
        ("Apr '09", date(2009, 4, 30)),
        ("February 2014", date(2014, 2, 28)),
        ("February 2016", date(2016, 2, 29)),  # leap year
        ("February 2000", date(2000, 2, 29)),  # century leap year
        ("29 February 2016", date(2016, 2, 29)),
        ("31/03/2009", date(2009, 3, 31)),  # day first, as in the UK
        ("1/4/09", date(2009, 4, 1)),
        ("2016-03-31", date(2016, 3, 31)),
        ("March 31, 2009", date(2009, 3, 31)),
        ("end of March 2009", date(2009, 3, 31)),
        ("By March 2009", date(2009, 3, 31)),
    ],
)
def test_single_dates(raw: str, target: date) -> None:
    """A day is that day; a month alone means its last day; neither has a start."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, None, target, (), None, False, None)


@pytest.mark.parametrize(
    "raw",
    [
        "July\u00a02014",  # non-breaking space
        "  July 2014  ",
        "July 2014.",
        "July  2014",  # two spaces inside one date still read as one date
        "JULY 2014",
    ],
)
def test_stray_whitespace_and_punctuation_are_tolerated(raw: str) -> None:
    """Non-breaking spaces, surrounding blanks, full stops and case do not change the date."""
    parsed = parse_timescale(raw)
    assert parsed.target == date(2014, 7, 31)
    assert parsed.review is None


def test_raw_text_is_kept_exactly() -> None:
    """The original text is stored unchanged so people see what the plan said."""
    raw = "Sept. 2016 \u2013 March\u00a02017"
    assert parse_timescale(raw).raw == raw


# Ranges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "start", "target"),
    [
        ("February 2014 \u2013 March 2015", date(2014, 2, 1), date(2015, 3, 31)),
        ("February 2014 - March 2015", date(2014, 2, 1), date(2015, 3, 31)),
        ("February 2014 \u2014 March 2015", date(2014, 2, 1), date(2015, 3, 31)),
        ("February 2014 to March 2015", date(2014, 2, 1), date(2015, 3, 31)),
        ("February 2014 until March 2015", date(2014, 2, 1), date(2015, 3, 31)),
        ("April \u2013 Oct 2016", date(2016, 4, 1), date(2016, 10, 31)),
        ("Sept - Nov 2016", date(2016, 9, 1), date(2016, 11, 30)),
        ("Sept-Nov 2016", date(2016, 9, 1), date(2016, 11, 30)),
        ("Aug - Mar 2017", date(2016, 8, 1), date(2017, 3, 31)),  # starts the year before
        ("Apr 08 - Mar 09", date(2008, 4, 1), date(2009, 3, 31)),
        ("April 2016 \u2013 March 2017", date(2016, 4, 1), date(2017, 3, 31)),
        ("April \u2013 Jun 2016", date(2016, 4, 1), date(2016, 6, 30)),
        ("Sept 2016 - March 2017", date(2016, 9, 1), date(2017, 3, 31)),
        ("May 08- May 13", date(2008, 5, 1), date(2013, 5, 31)),
        ("1 April 2016 - 30 June 2016", date(2016, 4, 1), date(2016, 6, 30)),
        ("From April 2016 to March 2017", date(2016, 4, 1), date(2017, 3, 31)),
        ("April 2016 to end of March 2017", date(2016, 4, 1), date(2017, 3, 31)),
    ],
)
def test_ranges(raw: str, start: date, target: date) -> None:
    """A range starts on the first day of its first part and ends on the last day of its last."""
    parsed = parse_timescale(raw)
    assert (parsed.start, parsed.target, parsed.review) == (start, target, None)
    assert parsed.milestones == ()
    assert parsed.open_ended is False


def test_a_range_that_ends_before_it_starts_is_not_guessed() -> None:
    """A backwards range is flagged instead of producing a deadline."""
    parsed = parse_timescale("Dec 2016 - Dec 2015")
    assert parsed.target is None
    assert parsed.review is not None
    assert parsed.review.startswith(NOT_UNDERSTOOD)
    assert "ends before it starts" in parsed.review


# Financial years and quarters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "start", "target"),
    [
        ("2015/16", date(2015, 4, 1), date(2016, 3, 31)),
        ("2015-16", date(2015, 4, 1), date(2016, 3, 31)),
        ("2008-09", date(2008, 4, 1), date(2009, 3, 31)),
        ("2015/2016", date(2015, 4, 1), date(2016, 3, 31)),
        ("2007 \u2013 08", date(2007, 4, 1), date(2008, 3, 31)),
        ("FY 2016/17", date(2016, 4, 1), date(2017, 3, 31)),
        ("FY16/17", date(2016, 4, 1), date(2017, 3, 31)),
        ("During 2016/17", date(2016, 4, 1), date(2017, 3, 31)),
        ("Q4 2016/17", date(2017, 1, 1), date(2017, 3, 31)),
        ("2016/17 Q4", date(2017, 1, 1), date(2017, 3, 31)),
        ("Q1 2016/17", date(2016, 4, 1), date(2016, 6, 30)),
        ("Quarter 3 2016/17", date(2016, 10, 1), date(2016, 12, 31)),
        ("Q2 of 2016/17", date(2016, 7, 1), date(2016, 9, 30)),
        ("2016/17 - 2017/18", date(2016, 4, 1), date(2018, 3, 31)),
    ],
)
def test_financial_years_and_quarters(raw: str, start: date, target: date) -> None:
    """Financial years run April to March; their quarters start in April."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, start, target, (), None, False, None)


def test_ongoing_until_a_financial_year_has_an_end() -> None:
    """ "Ongoing until 2016/17." has a deadline: the end of that year, so it is not open-ended."""
    parsed = parse_timescale("Ongoing until 2016/17.")
    assert parsed == Timescale(
        "Ongoing until 2016/17.", None, date(2017, 3, 31), (), None, False, None
    )


def test_ongoing_to_a_date_has_that_deadline() -> None:
    """ "ongoing to 31/03/2009" ends on that date."""
    parsed = parse_timescale("ongoing to 31/03/2009")
    assert (parsed.target, parsed.open_ended, parsed.review) == (date(2009, 3, 31), False, None)


@pytest.mark.parametrize("raw", ["2015/17", "2015/2017", "2008-10"])
def test_years_that_do_not_follow_are_not_a_financial_year(raw: str) -> None:
    """A pair of years that is not a financial year is flagged, never read as one."""
    parsed = parse_timescale(raw)
    assert parsed.target is None
    assert parsed.review == f"{NOT_UNDERSTOOD}: {raw!r} (not a financial year)"


@pytest.mark.parametrize(
    ("raw", "target"),
    [("2016", date(2016, 12, 31)), ("End of 2016", date(2016, 12, 31))],
)
def test_a_bare_year_is_kept_but_flagged(raw: str, target: date) -> None:
    """A year alone could be calendar or financial, so it is kept and a person is asked."""
    parsed = parse_timescale(raw)
    assert (parsed.start, parsed.target, parsed.review) == (None, target, YEAR_ONLY)


def test_a_span_of_calendar_years_is_flagged() -> None:
    """ "2014-2017" is not a financial year: read as calendar years and flagged."""
    parsed = parse_timescale("2014-2017")
    assert (parsed.start, parsed.target) == (date(2014, 1, 1), date(2017, 12, 31))
    assert parsed.review == YEAR_ONLY


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("Q4 2016", "calendar or financial quarter"),
        ("Q2", "quarter without a financial year"),
        ("Q4 March 2017", "quarter without a financial year"),
    ],
)
def test_quarters_without_a_financial_year_are_not_guessed(raw: str, why: str) -> None:
    """A quarter is only dated when its financial year is given."""
    parsed = parse_timescale(raw)
    assert parsed.target is None
    assert parsed.review is not None
    assert parsed.review.startswith(f"{NOT_UNDERSTOOD}: {raw!r}")
    assert why in parsed.review


# Open-ended and undetermined -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "recurrence"),
    [
        ("Ongoing", None),
        ("On-going", None),
        ("On going", None),
        ("Ongoing.", None),
        ("ONGOING", None),
        ("As per meeting schedule", None),
        ("In line with the committee cycle", None),
        ("As and when required", None),
        ("Annual", "annual"),
        ("Annually", "annual"),
        ("Monthly", "monthly"),
        ("Quarterly", "quarterly"),
        ("Six monthly", "six-monthly"),
        ("Quarterly ongoing", "quarterly"),
        ("Ongoing - quarterly reporting", "quarterly"),
    ],
)
def test_open_ended_timescales_need_no_review(raw: str, recurrence: str | None) -> None:
    """Work with no end by nature has no target, is open-ended and needs nobody's attention."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, None, None, (), recurrence, True, None)


@pytest.mark.parametrize(
    "raw", ["To be determined", "To be determined.", "TBD", "tbc", "To be confirmed"]
)
def test_to_be_determined_is_open_ended_and_flagged(raw: str) -> None:
    """An undecided date has no target and asks a person to set one."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, None, None, (), None, True, "target date to be determined")


def test_a_provisional_date_is_kept_and_flagged() -> None:
    """ "March 2017 (TBC)" keeps the date but says it is not settled."""
    parsed = parse_timescale("March 2017 (TBC)")
    assert parsed.target == date(2017, 3, 31)
    assert parsed.review == "target date to be determined"


@pytest.mark.parametrize(
    ("raw", "review"),
    [
        ("From April 2016", "only a start date given: no deadline"),
        ("April 2016 onwards", None),
        ("From April 2016 ongoing", None),
    ],
)
def test_start_only_timescales(raw: str, review: str | None) -> None:
    """A start with no end is open-ended; without "onwards" or "ongoing" it is flagged."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, date(2016, 4, 1), None, (), None, True, review)


@pytest.mark.parametrize("raw", ["", "-", "--", "---------", "n/a", "N/A", "Not applicable"])
def test_empty_timescales(raw: str) -> None:
    """Blank or placeholder cells are reported as having no timescale at all."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(raw, None, None, (), None, False, "no timescale given")


# Recurring deadlines ---------------------------------------------------------------------------


def test_quarterly_in_a_financial_year_has_the_four_quarter_ends() -> None:
    """ "quarterly 2008-09" recurs at each quarter end of that financial year."""
    parsed = parse_timescale("quarterly 2008-09")
    assert parsed == Timescale(
        "quarterly 2008-09",
        date(2008, 4, 1),
        date(2009, 3, 31),
        (
            Milestone("Q1", None, date(2008, 6, 30)),
            Milestone("Q2", None, date(2008, 9, 30)),
            Milestone("Q3", None, date(2008, 12, 31)),
            Milestone("Q4", None, date(2009, 3, 31)),
        ),
        "quarterly",
        False,
        None,
    )


def test_quarterly_in_a_financial_year_written_with_in() -> None:
    """ "Quarterly in 2008/09" means the same as "quarterly 2008-09"."""
    parsed = parse_timescale("Quarterly in 2008/09")
    assert parsed.recurrence == "quarterly"
    assert [m.target for m in parsed.milestones][-1] == date(2009, 3, 31)
    assert len(parsed.milestones) == 4


@pytest.mark.parametrize(
    ("raw", "recurrence"),
    [("monthly 2008/09", "monthly"), ("Annual 2016/17", "annual")],
)
def test_other_recurrences_in_a_financial_year(raw: str, recurrence: str) -> None:
    """Other recurrences span the financial year without listing every occurrence."""
    parsed = parse_timescale(raw)
    assert (parsed.recurrence, parsed.review, parsed.open_ended) == (recurrence, None, False)
    assert parsed.target is not None
    assert (parsed.start, parsed.target.month, parsed.target.day) == (
        date(int(raw[-7:-3]), 4, 1),
        3,
        31,
    )


# Several milestones ----------------------------------------------------------------------------


def test_labelled_milestones_in_brackets() -> None:
    """Each date takes the bracketed words after it as its label; the target is the latest."""
    parsed = parse_timescale("September 2014 (Leadership) 2015/16 (Lean)")
    assert parsed.milestones == (
        Milestone("Leadership", None, date(2014, 9, 30)),
        Milestone("Lean", date(2015, 4, 1), date(2016, 3, 31)),
    )
    assert (parsed.start, parsed.target, parsed.review) == (
        date(2015, 4, 1),
        date(2016, 3, 31),
        None,
    )


def test_labelled_milestones_with_plain_words() -> None:
    """Words after a date, up to the next date, label that date."""
    parsed = parse_timescale("July 2016 CEC Sept 2016 Schools/academies")
    assert parsed.milestones == (
        Milestone("CEC", None, date(2016, 7, 31)),
        Milestone("Schools/academies", None, date(2016, 9, 30)),
    )
    assert (parsed.start, parsed.target, parsed.review) == (None, date(2016, 9, 30), None)


@pytest.mark.parametrize(
    "raw",
    [
        "July 2014\nSeptember 2014",
        "July 2014\r\nSeptember 2014",
        "July 2014   September 2014",  # paragraphs flattened into runs of spaces
        "July 2014, September 2014",
        "July 2014 and September 2014",
    ],
)
def test_unlabelled_milestones(raw: str) -> None:
    """Separate dates become unlabelled milestones and the latest is the target."""
    parsed = parse_timescale(raw)
    assert parsed == Timescale(
        raw,
        None,
        date(2014, 9, 30),
        (Milestone(None, None, date(2014, 7, 31)), Milestone(None, None, date(2014, 9, 30))),
        None,
        False,
        None,
    )


def test_milestones_mixing_ranges_and_dates_take_the_earliest_start() -> None:
    """The overall start is the earliest milestone start and the target the latest end."""
    parsed = parse_timescale("Jun - Nov 2016\nNov 2016\nMarch 2017")
    assert (parsed.start, parsed.target, parsed.review) == (
        date(2016, 6, 1),
        date(2017, 3, 31),
        None,
    )
    assert parsed.milestones[0] == Milestone(None, date(2016, 6, 1), date(2016, 11, 30))
    assert len(parsed.milestones) == 3


def test_a_label_on_one_of_several_lines() -> None:
    """Only the line that has words gets a label."""
    parsed = parse_timescale("September 2014 (Intranet)\nSeptember 2014")
    assert [m.label for m in parsed.milestones] == ["Intranet", None]


def test_open_ended_lines_beside_dated_lines_are_flagged() -> None:
    """An "Ongoing" line next to dated lines leaves part of the work undated."""
    parsed = parse_timescale("Ongoing\nSeptember 2014\nNovember 2014")
    assert parsed.target == date(2014, 11, 30)
    assert parsed.open_ended is False
    assert parsed.review == "part of the timescale has no date"


@pytest.mark.parametrize(
    "raw",
    ["April 08 July 08 Sept 08 October 08 January 08 March 08", "2016/17 30 September 2016"],
)
def test_dates_in_one_run_that_go_backwards_are_not_guessed(raw: str) -> None:
    """A run of dates that goes back in time probably has a wrong year, so nothing is dated."""
    parsed = parse_timescale(raw)
    assert (parsed.target, parsed.milestones) == (None, ())
    assert parsed.review is not None
    assert parsed.review.startswith("dates out of order")


def test_dates_on_separate_lines_may_be_in_any_order() -> None:
    """Separate lines are separate milestones, so their order is not checked."""
    parsed = parse_timescale("September 2014\nDecember 2014\nApril 2014")
    assert (parsed.target, parsed.review, len(parsed.milestones)) == (date(2014, 12, 31), None, 3)


# Not understood, or understood with doubt -----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "When resources allow",
        "Immediately",
        "Complete",
        "March",  # no year
        "31st March",
        "May",
        "Spring",
        "Summer 2016",
        "31 February 2014",
        "31/13/2009",
        "Within 6 months",
        "Agreed by the board in Oct 07 after a long consultation",
    ],
)
def test_not_understood_is_flagged_and_never_guessed(raw: str) -> None:
    """Anything not read with confidence has no target and a review naming the text."""
    parsed = parse_timescale(raw)
    assert (parsed.start, parsed.target, parsed.milestones, parsed.open_ended) == (
        None,
        None,
        (),
        False,
    )
    assert parsed.review is not None
    assert parsed.review.startswith(f"{NOT_UNDERSTOOD}: {raw!r}")


def test_not_understood_message_is_short() -> None:
    """A long paragraph is shortened in the review message."""
    raw = "Work will continue " * 20
    review = parse_timescale(raw).review
    assert review is not None
    assert review.startswith(NOT_UNDERSTOOD)
    assert len(review) < 120


def test_the_spec_example_message() -> None:
    """The review message for unreadable text has the documented form."""
    assert parse_timescale("When resources allow").review == (
        "timescale not understood: 'When resources allow'"
    )


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("By end of March 2009 subject to funding", date(2009, 3, 31)),
        ("March 2009 (subject to funding)", date(2009, 3, 31)),
        ("Implemented for 31 March 2009.", date(2009, 3, 31)),
        ("w/c 12 June 2016", date(2016, 6, 12)),
        ("Late March 2017", date(2017, 3, 31)),
        ("mid-March 2017", date(2017, 3, 31)),
        ("Mar 2017 may slip", date(2017, 3, 31)),  # "may" the verb, not the month
        ("September 2014 (Intranet)", date(2014, 9, 30)),  # a label with one date explains nothing
    ],
)
def test_a_date_with_extra_words_is_kept_and_flagged(raw: str, target: date) -> None:
    """A clear date among a few unexplained words is kept, and a person is asked to check it."""
    parsed = parse_timescale(raw)
    assert parsed.target == target
    assert parsed.review == EXTRA_WORDS


# Invariants ------------------------------------------------------------------------------------

CORPUS = [
    "July 2014",
    "Apr 08 - Mar 09",
    "2015/16",
    "Ongoing until 2016/17.",
    "quarterly 2008-09",
    "September 2014 (Leadership) 2015/16 (Lean)",
    "July 2016 CEC Sept 2016 Schools/academies",
    "Ongoing",
    "To be determined",
    "When resources allow",
    "2016",
    "Q4 2016",
    "From April 2016",
    "01-Apr-08  ongoing to 31/03/2009  Mar 08 - Apr 09  30-May-08",
    "Jun-08\nAs per meeting schedule\nOngoing",
    "Apr 08, Apr 09\nJun-08\nMay-08, Jul-08, Sep-08",
    "Dec-08  Jun-08  Apr 08 - Mar 09",
    "April 2016 to March 2017  March 2017",
    "By end of March 2009 subject to funding",
]


@pytest.mark.parametrize("raw", CORPUS)
def test_an_unflagged_timescale_always_has_a_target_or_is_open_ended(raw: str) -> None:
    """Whenever nobody is asked to look, the result is either dated or open-ended by nature."""
    parsed = parse_timescale(raw)
    if parsed.review is None:
        assert parsed.target is not None or parsed.open_ended
    if parsed.open_ended:
        assert parsed.target is None


@pytest.mark.parametrize("raw", CORPUS)
def test_dates_are_consistent(raw: str) -> None:
    """The start never follows the target, and the target is the latest milestone."""
    parsed = parse_timescale(raw)
    if parsed.start is not None and parsed.target is not None:
        assert parsed.start <= parsed.target
    dated = [m.target for m in parsed.milestones if m.target is not None]
    if dated:
        assert parsed.target == max(dated)


def test_results_are_immutable_and_repeatable() -> None:
    """Parsing is pure: the same text gives an equal, frozen result every time."""
    first = parse_timescale("Apr 08 - Mar 09")
    assert parse_timescale("Apr 08 - Mar 09") == first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.target = None  # type: ignore[misc]
    assert hash(first) == hash(parse_timescale("Apr 08 - Mar 09"))
