"""Unit tests for improveflow.calendar: London time, working days and financial years."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest

from improveflow.calendar import (
    LONDON,
    BankHolidayRegion,
    FinancialYear,
    WorkingCalendar,
    as_london,
    parse_moment,
    require_aware,
)

ENGLAND = WorkingCalendar()
SCOTLAND = WorkingCalendar(BankHolidayRegion.SCOTLAND)
NORTHERN_IRELAND = WorkingCalendar(BankHolidayRegion.NORTHERN_IRELAND)
NINE = time(9, 0)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Regions and bank holidays ---------------------------------------------------------------------


def test_region_values_are_the_stable_names_used_in_configuration() -> None:
    """The region names written in configuration files must not drift."""
    assert [region.value for region in BankHolidayRegion] == [
        "england-and-wales",
        "scotland",
        "northern-ireland",
    ]
    assert BankHolidayRegion("scotland") is BankHolidayRegion.SCOTLAND


def test_default_region_is_england_and_wales() -> None:
    """A calendar built without arguments uses the England and Wales holidays."""
    assert WorkingCalendar().region is BankHolidayRegion.ENGLAND_AND_WALES


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (ENGLAND, date(2027, 3, 26), True),  # Good Friday
        (ENGLAND, date(2027, 3, 29), True),  # Easter Monday
        (SCOTLAND, date(2027, 3, 29), False),  # no Easter Monday in Scotland
        (SCOTLAND, date(2027, 8, 2), True),  # Scottish summer bank holiday (first Monday)
        (ENGLAND, date(2027, 8, 2), False),
        (ENGLAND, date(2027, 8, 30), True),  # late summer bank holiday (last Monday)
        (SCOTLAND, date(2027, 11, 30), True),  # St Andrew's Day
        (NORTHERN_IRELAND, date(2027, 3, 17), True),  # St Patrick's Day
        (NORTHERN_IRELAND, date(2027, 7, 12), True),  # Battle of the Boyne
        (ENGLAND, date(2027, 7, 12), False),
        (ENGLAND, date(2022, 9, 19), True),  # one-off: state funeral
        (SCOTLAND, date(2023, 5, 8), True),  # one-off: coronation
        (ENGLAND, date(2027, 12, 27), True),  # substitute for Christmas Day on a Saturday
        (ENGLAND, date(2027, 12, 28), True),  # substitute for Boxing Day on a Sunday
        (ENGLAND, date(2027, 4, 28), False),
    ],
)
def test_is_bank_holiday(calendar: WorkingCalendar, day: date, expected: bool) -> None:
    """Each region uses its own bank holidays, including one-off and substitute days."""
    assert calendar.is_bank_holiday(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 4, 28), True),  # Wednesday
        (date(2027, 4, 30), True),  # Friday
        (date(2027, 5, 1), False),  # Saturday
        (date(2027, 5, 2), False),  # Sunday
        (date(2027, 5, 3), False),  # early May bank holiday
        (date(2027, 5, 4), True),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    """Working days are Monday to Friday except bank holidays."""
    assert ENGLAND.is_working_day(day) is expected


def test_bank_holidays_are_built_once_per_region_and_year() -> None:
    """Holiday sets are cached, so hot loops do not rebuild them on every call."""
    first = ENGLAND.bank_holidays(2031)
    assert WorkingCalendar().bank_holidays(2031) is first
    assert SCOTLAND.bank_holidays(2031) is not first
    assert all(day.year == 2031 for day in first)


@pytest.mark.parametrize(
    "method",
    ["is_bank_holiday", "is_working_day", "next_working_day", "working_day_on_or_after"],
)
def test_date_methods_refuse_datetimes(method: str) -> None:
    """A datetime is never silently treated as a date (it would never match a holiday)."""
    with pytest.raises(TypeError, match="must be a date, not a datetime"):
        getattr(ENGLAND, method)(utc(2027, 3, 26, 12))


# Moving by working days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 4, 23), date(2027, 4, 26)),  # Friday -> Monday
        (date(2027, 4, 26), date(2027, 4, 27)),  # strictly after a working day
        (date(2027, 4, 24), date(2027, 4, 26)),  # Saturday -> Monday
        (date(2027, 3, 25), date(2027, 3, 30)),  # over Good Friday and Easter Monday
        (date(2027, 12, 24), date(2027, 12, 29)),  # over Christmas and both substitutes
        (date(2027, 12, 31), date(2028, 1, 4)),  # into a new year with a substitute day
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    """The next working day is strictly later and skips weekends and bank holidays."""
    assert ENGLAND.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 4, 28), date(2027, 4, 28)),
        (date(2027, 5, 1), date(2027, 5, 4)),  # Saturday, then the May bank holiday
        (date(2027, 3, 26), date(2027, 3, 30)),
    ],
)
def test_working_day_on_or_after(day: date, expected: date) -> None:
    """A working day is kept; any other day moves to the next working day."""
    assert ENGLAND.working_day_on_or_after(day) == expected


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2027, 4, 23), 1, date(2027, 4, 26)),  # Friday + 1 = Monday
        (date(2027, 4, 23), 5, date(2027, 4, 30)),
        (date(2027, 4, 24), 1, date(2027, 4, 26)),  # from a Saturday
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # over Easter
        (date(2027, 3, 25), 3, date(2027, 4, 1)),
        (date(2027, 4, 26), -1, date(2027, 4, 23)),  # Monday - 1 = Friday
        (date(2027, 3, 30), -1, date(2027, 3, 25)),
        (date(2027, 4, 28), 0, date(2027, 4, 28)),
        (date(2027, 5, 1), 0, date(2027, 5, 1)),  # zero leaves even a weekend day alone
        (date(2027, 12, 23), 2, date(2027, 12, 29)),
    ],
)
def test_add_working_days(day: date, n: int, expected: date) -> None:
    """Adding n working days counts only working days, in either direction."""
    assert ENGLAND.add_working_days(day, n) == expected
    assert ENGLAND.subtract_working_days(day, -n) == expected


def test_subtract_working_days() -> None:
    """Subtracting goes back over weekends and bank holidays."""
    assert ENGLAND.subtract_working_days(date(2027, 3, 30), 2) == date(2027, 3, 24)
    assert ENGLAND.subtract_working_days(date(2027, 4, 26), 1) == date(2027, 4, 23)


def test_add_then_subtract_returns_to_a_working_day() -> None:
    """Adding then subtracting the same count is the identity on working days."""
    day = date(2027, 1, 1)
    while day.year == 2027:
        if ENGLAND.is_working_day(day):
            for n in (1, 2, 7, 15):
                assert ENGLAND.subtract_working_days(ENGLAND.add_working_days(day, n), n) == day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 4, 23), date(2027, 4, 26), 1),  # Friday to Monday
        (date(2027, 4, 26), date(2027, 4, 30), 4),  # (Mon, Fri]
        (date(2027, 4, 28), date(2027, 4, 28), 0),
        (date(2027, 4, 26), date(2027, 4, 23), -1),
        (date(2027, 3, 25), date(2027, 3, 30), 1),  # Easter holidays do not count
        (date(2027, 12, 24), date(2028, 1, 4), 4),  # across a year end
        (date(2027, 1, 1), date(2027, 12, 31), 253),  # 260 weekdays less 7 holidays
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    """Working days in (start, end] are counted, negative when end is before start."""
    assert ENGLAND.working_days_between(start, end) == expected


@pytest.mark.parametrize("calendar", [ENGLAND, SCOTLAND, NORTHERN_IRELAND])
def test_working_days_between_agrees_with_counting_day_by_day(calendar: WorkingCalendar) -> None:
    """The arithmetic shortcut gives the same count as walking every day."""
    origin = date(2026, 12, 20)
    walked = 0
    for offset in range(1, 420):
        day = origin + timedelta(days=offset)
        walked += calendar.is_working_day(day)
        assert calendar.working_days_between(origin, day) == walked
        assert calendar.working_days_between(day, origin) == -walked


def test_working_days_between_inverts_add_working_days() -> None:
    """Counting the days between d and d + n working days gives back n."""
    for n in range(-30, 31):
        day = date(2027, 3, 24)
        assert ENGLAND.working_days_between(day, ENGLAND.add_working_days(day, n)) == n


# When a message may go out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (london(2027, 4, 28, 7, 0), london(2027, 4, 28, 9, 0)),  # early: wait for 09:00
        (london(2027, 4, 28, 9, 0), london(2027, 4, 28, 9, 0)),  # exactly on time
        (london(2027, 4, 28, 10, 15), london(2027, 4, 28, 10, 15)),  # in hours: now
        (london(2027, 4, 28, 17, 29), london(2027, 4, 28, 17, 29)),
        (london(2027, 4, 28, 17, 30), london(2027, 4, 29, 9, 0)),  # the day has ended
        (london(2027, 4, 30, 18, 0), london(2027, 5, 4, 9, 0)),  # Friday evening, bank holiday
        (london(2027, 5, 1, 11, 0), london(2027, 5, 4, 9, 0)),  # Saturday
        (london(2027, 3, 26, 8, 0), london(2027, 3, 30, 9, 0)),  # Good Friday
    ],
)
def test_next_send_moment(moment: datetime, expected: datetime) -> None:
    """Messages go at send time on a working day, at once within hours, else next working day."""
    result = ENGLAND.next_send_moment(moment, NINE)
    assert result == expected
    assert result.tzinfo is LONDON
    assert result >= moment


@pytest.mark.parametrize(
    ("moment", "expected_utc"),
    [
        # Clocks go forward on Sunday 29 March 2026: Monday 09:00 BST is 08:00 UTC.
        (utc(2026, 3, 27, 18, 0), utc(2026, 3, 30, 8, 0)),
        # Clocks go back on Sunday 25 October 2026: Monday 09:00 GMT is 09:00 UTC.
        (utc(2026, 10, 23, 17, 0), utc(2026, 10, 26, 9, 0)),
        # 07:30 UTC in June is 08:30 in London: before send time.
        (utc(2026, 6, 10, 7, 30), utc(2026, 6, 10, 8, 0)),
        # 08:30 UTC in June is 09:30 in London: already in hours.
        (utc(2026, 6, 10, 8, 30), utc(2026, 6, 10, 8, 30)),
        # 16:45 UTC in June is 17:45 in London: after hours, though not in UTC.
        (utc(2026, 6, 10, 16, 45), utc(2026, 6, 11, 8, 0)),
        # Late Friday in UTC is already Saturday in London.
        (utc(2026, 6, 12, 23, 30), utc(2026, 6, 15, 8, 0)),
        # Late Sunday in UTC is already Monday in London: that Monday at 09:00.
        (utc(2026, 6, 14, 23, 30), utc(2026, 6, 15, 8, 0)),
    ],
)
def test_next_send_moment_uses_london_time_across_daylight_saving(
    moment: datetime, expected_utc: datetime
) -> None:
    """The send time and working hours are London wall-clock times whatever zone comes in."""
    result = ENGLAND.next_send_moment(moment, NINE)
    assert result == expected_utc
    assert result.tzinfo is LONDON
    assert result.time() == as_london(expected_utc).time()


def test_next_send_moment_at_nine_london_has_the_right_offset_either_side_of_the_change() -> None:
    """09:00 London is 08:00 UTC after the March change and 09:00 UTC after the October one."""
    spring = ENGLAND.next_send_moment(london(2026, 3, 28, 12, 0), NINE)
    autumn = ENGLAND.next_send_moment(london(2026, 10, 24, 12, 0), NINE)
    assert (spring.utcoffset(), spring.astimezone(UTC).hour) == (timedelta(hours=1), 8)
    assert (autumn.utcoffset(), autumn.astimezone(UTC).hour) == (timedelta(0), 9)


def test_next_send_moment_uses_the_calendars_region() -> None:
    """A Scottish calendar holds messages on a Scottish-only bank holiday."""
    moment = london(2027, 8, 2, 8, 0)
    assert ENGLAND.next_send_moment(moment, NINE) == london(2027, 8, 2, 9, 0)
    assert SCOTLAND.next_send_moment(moment, NINE) == london(2027, 8, 3, 9, 0)


def test_next_send_moment_honours_a_custom_end_of_day() -> None:
    """The end of the working day is a parameter."""
    moment = london(2027, 4, 28, 16, 30)
    assert ENGLAND.next_send_moment(moment, NINE, time(16, 0)) == london(2027, 4, 29, 9, 0)
    assert ENGLAND.next_send_moment(moment, NINE, time(17, 0)) == moment


def test_next_send_moment_refuses_naive_moments() -> None:
    """A naive datetime is ambiguous, so it is rejected with a clear message."""
    with pytest.raises(ValueError, match="moment must carry a time zone"):
        ENGLAND.next_send_moment(datetime(2027, 4, 28, 9, 0), NINE)


def test_next_send_moment_refuses_a_zoned_send_time() -> None:
    """Send times are London wall-clock times; a time with tzinfo is a mistake."""
    with pytest.raises(ValueError, match="wall-clock"):
        ENGLAND.next_send_moment(london(2027, 4, 28, 9, 0), time(9, 0, tzinfo=UTC))


# Aware datetimes -------------------------------------------------------------------------------


def test_require_aware_returns_aware_datetimes_unchanged() -> None:
    """An aware datetime passes through untouched."""
    moment = utc(2027, 4, 28, 9, 30)
    assert require_aware(moment, "due") is moment


def test_require_aware_names_the_value_when_naive() -> None:
    """The error names the offending argument so the caller can find it."""
    with pytest.raises(ValueError, match=r"^due must carry a time zone"):
        require_aware(datetime(2027, 4, 28, 9, 30), "due")


def test_as_london_converts_and_refuses_naive() -> None:
    """as_london expresses the same instant in London time and refuses naive input."""
    summer = as_london(utc(2027, 7, 1, 12, 0))
    winter = as_london(datetime(2027, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert (summer.hour, summer.tzinfo) == (13, LONDON)
    assert (winter.hour, winter.utcoffset()) == (17, timedelta(0))
    with pytest.raises(ValueError, match="must carry a time zone"):
        as_london(datetime(2027, 7, 1, 12, 0))


# Parsing moments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("2027-04-28T09:30:00+01:00", utc(2027, 4, 28, 8, 30)),
        ("2027-04-28T08:30:00Z", utc(2027, 4, 28, 8, 30)),
        ("2027-04-28T09:30:00", utc(2027, 4, 28, 8, 30)),  # no offset: London (BST)
        ("2027-01-15T09:30", utc(2027, 1, 15, 9, 30)),  # no offset: London (GMT)
        ("2027-04-28 09:30", utc(2027, 4, 28, 8, 30)),
        ("2027-04-28", utc(2027, 4, 27, 23, 0)),  # a date: midnight London
        ("2027-01-15", utc(2027, 1, 15, 0, 0)),
        ("  2027-04-28T09:30:00+01:00\n", utc(2027, 4, 28, 8, 30)),
        ("2027-10-31T01:30", utc(2027, 10, 31, 0, 30)),  # repeated hour: first occurrence
    ],
)
def test_parse_moment(text: str, expected_utc: datetime) -> None:
    """ISO 8601 text becomes an aware London datetime; without an offset it is London time."""
    parsed = parse_moment(text)
    # Compare in UTC: Python never calls a time in the repeated autumn hour equal across zones.
    assert parsed.astimezone(UTC) == expected_utc
    assert parsed.tzinfo is LONDON


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "28/04/2027", "2027-13-01", "2027-04-28T25:00", "2027-04-28T09:30+"]
)
def test_parse_moment_rejects_unparseable_text_naming_it(text: str) -> None:
    """Unparseable text raises ValueError quoting what was given."""
    with pytest.raises(ValueError, match="not an ISO 8601") as caught:
        parse_moment(text)
    assert repr(text) in str(caught.value)


def test_parse_moment_rejects_a_local_time_lost_to_the_clocks_going_forward() -> None:
    """01:30 on the spring-forward Sunday never happens in London, so it is refused."""
    with pytest.raises(ValueError, match="does not exist in Europe/London"):
        parse_moment("2027-03-28T01:30")


# Financial years -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_year", "start", "end", "label"),
    [
        (2015, date(2015, 4, 1), date(2016, 3, 31), "2015/16"),
        (2008, date(2008, 4, 1), date(2009, 3, 31), "2008/09"),
        (1999, date(1999, 4, 1), date(2000, 3, 31), "1999/00"),
    ],
)
def test_financial_year_bounds_and_label(
    start_year: int, start: date, end: date, label: str
) -> None:
    """A financial year runs 1 April to 31 March and is labelled like "2015/16"."""
    year = FinancialYear(start_year)
    assert (year.start, year.end, year.label, str(year)) == (start, end, label, label)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, (date(2016, 4, 1), date(2016, 6, 30))),
        (2, (date(2016, 7, 1), date(2016, 9, 30))),
        (3, (date(2016, 10, 1), date(2016, 12, 31))),
        (4, (date(2017, 1, 1), date(2017, 3, 31))),
    ],
)
def test_financial_year_quarters(n: int, expected: tuple[date, date]) -> None:
    """Q1 is April to June and Q4 is January to March of the later calendar year."""
    assert FinancialYear(2016).quarter(n) == expected


def test_financial_year_quarters_tile_the_year() -> None:
    """The four quarters cover the year exactly, with no gaps or overlaps."""
    year = FinancialYear(2019)  # includes 29 February 2020
    quarters = [year.quarter(n) for n in range(1, 5)]
    assert quarters[0][0] == year.start
    assert quarters[-1][1] == year.end
    for (_, end), (start, _) in pairwise(quarters):
        assert start == end + timedelta(days=1)


@pytest.mark.parametrize("n", [0, 5, -1])
def test_financial_year_quarter_out_of_range(n: int) -> None:
    """Only quarters 1 to 4 exist."""
    with pytest.raises(ValueError, match="quarters 1 to 4"):
        FinancialYear(2016).quarter(n)


@pytest.mark.parametrize(
    ("day", "start_year"),
    [
        (date(2016, 3, 31), 2015),
        (date(2016, 4, 1), 2016),
        (date(2016, 1, 1), 2015),
        (date(2016, 12, 31), 2016),
    ],
)
def test_financial_year_containing(day: date, start_year: int) -> None:
    """The year boundary falls between 31 March and 1 April."""
    assert FinancialYear.containing(day) == FinancialYear(start_year)


def test_financial_year_containing_refuses_datetimes() -> None:
    """A datetime must be converted to a London date first, so its day is unambiguous."""
    with pytest.raises(TypeError):
        FinancialYear.containing(utc(2016, 3, 31, 23, 30))


@pytest.mark.parametrize(
    ("text", "start_year"),
    [
        ("2015/16", 2015),
        ("2015-16", 2015),
        ("2008-09", 2008),
        ("2008/09", 2008),
        ("2015/2016", 2015),
        ("2015-2016", 2015),
        (" 2015 / 16 ", 2015),
        ("1999/00", 1999),
    ],
)
def test_financial_year_parse(text: str, start_year: int) -> None:
    """The usual ways of writing a financial year are all understood."""
    assert FinancialYear.parse(text) == FinancialYear(start_year)


@pytest.mark.parametrize(
    "text", ["2015/17", "2015-2017", "2015/2015", "2015", "15/16", "2015/16/17", "FY", ""]
)
def test_financial_year_parse_rejects(text: str) -> None:
    """Text that is not a financial year, or whose years do not follow, is refused."""
    with pytest.raises(ValueError, match="not a financial year") as caught:
        FinancialYear.parse(text)
    assert repr(text) in str(caught.value)


def test_financial_years_order_and_are_frozen() -> None:
    """Financial years sort by start year and cannot be changed once made."""
    years = [FinancialYear(2017), FinancialYear(2015), FinancialYear(2016)]
    assert [year.start_year for year in sorted(years)] == [2015, 2016, 2017]
    assert FinancialYear(2015) < FinancialYear(2016)
    with pytest.raises(dataclasses.FrozenInstanceError):
        years[0].start_year = 2000  # type: ignore[misc]
