"""Dates typed into the GOV.UK date input: a Day, a Month and a Year box.

Three boxes rather than a browser's date picker, whose format follows the browser's language
(a US English Chromium shows mm/dd/yyyy and turns 31012027 into year 12027). Checking follows the
GOV.UK Design System's order: nothing entered, a part missing, a part that is not a number, a year
without 4 numbers, a date that does not exist, then a date outside the range allowed. Each problem
names the boxes to highlight; the error summary links to the first of them.
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date

PARTS = ("day", "month", "year")
# Spelled out rather than with calendar.month_name, which follows the machine's locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# People write months as words too ("Jan", "sept", "March"): GOV.UK asks services to accept them.
_MONTH_NAMES = {
    name: number
    for number, full in enumerate(MONTHS, start=1)
    for name in (full.lower(), full[:3].lower())
} | {"sept": 9}


@dataclass(frozen=True)
class DateBoxes:
    """What was typed into the three boxes, kept as typed to show again beside an error."""

    day: str = ""
    month: str = ""
    year: str = ""

    def value(self, part: str) -> str:
        return str(getattr(self, part))

    @property
    def empty(self) -> bool:
        return not any(self.value(part).strip() for part in PARTS)


@dataclass(frozen=True)
class DateProblem:
    """Why the boxes do not hold a date that may be used, and which boxes are wrong."""

    message: str
    parts: tuple[str, ...] = PARTS

    def first_box(self, field_id: str) -> str:
        """The id of the first box in error: where the error summary's link goes."""
        return f"{field_id}-{self.parts[0]}"


def read_date(
    boxes: DateBoxes, *, name: str, missing: str, earliest: date, before: date
) -> date | DateProblem:
    """The date in `boxes`, or the problem with it.

    `name` starts each message ("Target date must be a real date"); `missing` is the whole
    message when nothing was entered ("Enter the new target date"). The date must be on or after
    `earliest` and before `before`.
    """
    # NFKC turns digits typed in full width (as some keyboards type them) into 0-9.
    typed = {
        part: "".join(unicodedata.normalize("NFKC", boxes.value(part)).split()) for part in PARTS
    }
    absent = tuple(part for part in PARTS if not typed[part])
    if len(absent) == len(PARTS):
        return DateProblem(missing)
    if absent:
        return DateProblem(f"{name} must include a {' and '.join(absent)}", absent)
    day = _number(typed["day"], 2)
    month = _number(typed["month"], 2)
    if month is None:
        month = _MONTH_NAMES.get(typed["month"].lower().rstrip("."))
    year = _number(typed["year"], len(typed["year"]))
    not_numbers = tuple(
        part for part, value in (("day", day), ("month", month), ("year", year)) if value is None
    )
    if day is None or month is None or year is None:
        return DateProblem(f"{name} must be a real date", not_numbers)
    if len(typed["year"]) != 4:
        return DateProblem("Year must include 4 numbers", ("year",))
    if not 1 <= month <= 12:
        return DateProblem(f"{name} must be a real date", ("month",))
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return DateProblem(f"{name} must be a real date", ("day",))
    found = date(year, month, day)
    if found < earliest:
        return DateProblem(f"{name} must be today or in the future")
    if found >= before:
        return DateProblem(
            f"{name} must be before {before.day} {MONTHS[before.month - 1]} {before.year}"
        )
    return found


def _number(text: str, digits: int) -> int | None:
    """`text` as a whole number of at most `digits` digits (ASCII only); None otherwise."""
    if not text.isascii() or not text.isdigit() or len(text) > digits:
        return None
    return int(text)


def example_date(today: date) -> date:
    """A target date that reads as real today: the last day of the month three months ahead."""
    year, month = divmod(today.month - 1 + 3, 12)
    year += today.year
    month += 1
    return date(year, month, calendar.monthrange(year, month)[1])


def example_hint(today: date) -> str:
    """'For example, 30 9 2014': the GOV.UK form of a date example, with no leading zeros."""
    example = example_date(today)
    return f"For example, {example.day} {example.month} {example.year}"
