"""Reading a date from the GOV.UK Day, Month and Year boxes, and the example date in their hint."""

from __future__ import annotations

from datetime import date

import pytest

from improveflow.web.date_input import DateBoxes, DateProblem, example_hint, read_date

TODAY = date(2026, 11, 27)
ALL = ("day", "month", "year")


def _read(day: str, month: str, year: str) -> date | DateProblem:
    return read_date(
        DateBoxes(day, month, year),
        name="Target date",
        missing="Enter the new target date",
        earliest=TODAY,
        before=date(2037, 1, 1),
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (("31", "1", "2027"), date(2027, 1, 31)),
        (("07", "03", "2027"), date(2027, 3, 7)),
        ((" 7 ", " 3 ", " 2027 "), date(2027, 3, 7)),
        (("1", "Jan", "2027"), date(2027, 1, 1)),
        (("1", "january", "2027"), date(2027, 1, 1)),
        (("30", "Sept", "2027"), date(2027, 9, 30)),
        (("29", "2", "2028"), date(2028, 2, 29)),
        (("27", "11", "2026"), TODAY),
        (("1", "1", "\uff12\uff10\uff12\uff17"), date(2027, 1, 1)),  # full-width digits
    ],
)
def test_dates_people_type(typed: tuple[str, str, str], expected: date) -> None:
    """Numbers with or without leading zeros or spaces, and months written as words."""
    assert _read(*typed) == expected


@pytest.mark.parametrize(
    ("typed", "message", "parts"),
    [
        (("", "", ""), "Enter the new target date", ALL),
        (("  ", "", " "), "Enter the new target date", ALL),
        (("31", "", ""), "Target date must include a month and year", ("month", "year")),
        (("", "1", ""), "Target date must include a day and year", ("day", "year")),
        (("", "", "2027"), "Target date must include a day and month", ("day", "month")),
        (("31", "1", ""), "Target date must include a year", ("year",)),
        (("31", "", "2027"), "Target date must include a month", ("month",)),
        (("", "1", "2027"), "Target date must include a day", ("day",)),
        (("29", "2", "2027"), "Target date must be a real date", ("day",)),
        (("31", "4", "2027"), "Target date must be a real date", ("day",)),
        (("0", "4", "2027"), "Target date must be a real date", ("day",)),
        (("1", "13", "2027"), "Target date must be a real date", ("month",)),
        (("1", "0", "2027"), "Target date must be a real date", ("month",)),
        (("x", "y", "2027"), "Target date must be a real date", ("day", "month")),
        (("1", "Smarch", "2027"), "Target date must be a real date", ("month",)),
        (("31012027", "1", "2027"), "Target date must be a real date", ("day",)),
        (("1", "1", "20z7"), "Target date must be a real date", ("year",)),
        (("1", "1", "27"), "Year must include 4 numbers", ("year",)),
        (("1", "1", "12027"), "Year must include 4 numbers", ("year",)),
        (("26", "11", "2026"), "Target date must be today or in the future", ALL),
        (("1", "1", "2037"), "Target date must be before 1 January 2037", ALL),
    ],
)
def test_problems_name_the_boxes_to_fix(
    typed: tuple[str, str, str], message: str, parts: tuple[str, ...]
) -> None:
    """Each problem in GOV.UK's words, with the boxes to highlight (the first gets the link)."""
    problem = _read(*typed)
    assert problem == DateProblem(message, parts)
    assert isinstance(problem, DateProblem)
    assert problem.first_box("when") == f"when-{parts[0]}"


@pytest.mark.parametrize(
    ("today", "hint"),
    [
        (date(2014, 6, 2), "For example, 30 9 2014"),
        (date(2026, 11, 27), "For example, 28 2 2027"),
        (date(2027, 11, 1), "For example, 29 2 2028"),
        (date(2026, 12, 31), "For example, 31 3 2027"),
    ],
)
def test_the_hints_example_is_a_date_months_from_today(today: date, hint: str) -> None:
    """The end of the month three months on: a target date that reads as real, never stale."""
    assert example_hint(today) == hint
