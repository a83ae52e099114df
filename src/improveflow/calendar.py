"""Time as a domain: London time, working days, bank holidays and financial years.

Everything here is pure: nothing reads the clock, so callers pass "now" in and
tests can pin any moment. Datetimes must be aware; naive ones are refused
because a reminder sent an hour early or late is a real defect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "LONDON",
    "BankHolidayRegion",
    "FinancialYear",
    "WorkingCalendar",
    "as_london",
    "parse_moment",
    "require_aware",
]

LONDON = ZoneInfo("Europe/London")

_ONE_DAY = timedelta(days=1)
_DEFAULT_WORKING_DAY_ENDS = time(17, 30)


class BankHolidayRegion(StrEnum):
    """The UK bank-holiday calendars (England and Wales share one)."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


# Subdivision codes of the `holidays` package's United Kingdom calendar.
_SUBDIVISIONS: dict[BankHolidayRegion, str] = {
    BankHolidayRegion.ENGLAND_AND_WALES: "ENG",
    BankHolidayRegion.SCOTLAND: "SCT",
    BankHolidayRegion.NORTHERN_IRELAND: "NIR",
}


@lru_cache(maxsize=512)
def _bank_holidays(region: BankHolidayRegion, year: int) -> frozenset[date]:
    # Building the holidays object costs far more than a set lookup, and the
    # reminder sweep asks about the same few years over and over.
    found = holidays.country_holidays("GB", subdiv=_SUBDIVISIONS[region], years=year)
    return frozenset(day for day in found if day.year == year)


def _require_date(value: date, name: str) -> date:
    # datetime is a subclass of date; letting one through would compare unequal
    # to every holiday and silently make bank holidays working days.
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not a datetime: use as_london(dt).date()")
    return value


def require_aware(dt: datetime, name: str) -> datetime:
    """Return `dt` unchanged, or raise ValueError when it has no time zone."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must carry a time zone: {dt.isoformat()}")
    return dt


def as_london(dt: datetime) -> datetime:
    """The same instant expressed in Europe/London local time."""
    return require_aware(dt, "datetime").astimezone(LONDON)


def _weekdays_up_to(day: date) -> int:
    # Ordinal 1 (0001-01-01) is a Monday, so whole weeks hold five weekdays and
    # the part-week holds min(rest, 5).
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days (Monday to Friday, not a bank holiday) for one UK region."""

    region: BankHolidayRegion = BankHolidayRegion.ENGLAND_AND_WALES

    def bank_holidays(self, year: int) -> frozenset[date]:
        """Every bank holiday of `year`, including any substitute days."""
        return _bank_holidays(self.region, year)

    def is_bank_holiday(self, d: date) -> bool:
        """Whether `d` is a bank holiday (or a substitute day for one)."""
        _require_date(d, "d")
        return d in _bank_holidays(self.region, d.year)

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not a bank holiday."""
        _require_date(d, "d")
        return d.weekday() < 5 and d not in _bank_holidays(self.region, d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        day = _require_date(d, "d") + _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def working_day_on_or_after(self, d: date) -> date:
        """`d` itself when it is a working day, otherwise the next one."""
        return d if self.is_working_day(d) else self.next_working_day(d)

    def add_working_days(self, d: date, n: int) -> date:
        """The date `n` working days after `d` (before it when `n` is negative).

        `n == 0` returns `d` unchanged, whether or not it is a working day.
        """
        day = _require_date(d, "d")
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def subtract_working_days(self, d: date, n: int) -> date:
        """The date `n` working days before `d`."""
        return self.add_working_days(d, -n)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative, counting (end, start], if end < start."""
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            return -self.working_days_between(end, start)
        # Count weekdays arithmetically, then remove holidays on weekdays, so
        # long spans cost a few set scans rather than a walk over every day.
        count = _weekdays_up_to(end) - _weekdays_up_to(start)
        for year in range(start.year, end.year + 1):
            count -= sum(
                1
                for holiday in _bank_holidays(self.region, year)
                if start < holiday <= end and holiday.weekday() < 5
            )
        return count

    def next_send_moment(
        self,
        moment: datetime,
        send_time: time,
        working_day_ends: time = _DEFAULT_WORKING_DAY_ENDS,
    ) -> datetime:
        """The first moment at or after `moment` when a message may go out.

        On a working day up to `send_time` (London), that day at `send_time`;
        later in the working day, before `working_day_ends`, `moment` itself;
        otherwise the next working day at `send_time`. Always Europe/London.
        """
        if send_time.tzinfo is not None or working_day_ends.tzinfo is not None:
            raise ValueError(
                "send_time and working_day_ends are London wall-clock times: no tzinfo"
            )
        local = require_aware(moment, "moment").astimezone(LONDON)
        day = local.date()
        if self.is_working_day(day):
            wall_clock = local.time()
            if wall_clock <= send_time:
                return _london_at(day, send_time)
            if wall_clock < working_day_ends:
                return local
        return _london_at(self.next_working_day(day), send_time)


def _london_at(day: date, wall_clock: time) -> datetime:
    # Round-trip through UTC so a wall-clock time in a spring-forward gap is
    # normalised to a real instant instead of carrying an impossible offset.
    as_written = datetime.combine(day, wall_clock, tzinfo=LONDON)
    return as_written.astimezone(UTC).astimezone(LONDON)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_moment(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time; without an offset it is London local time.

    A plain date means midnight London. A local time that does not exist
    (inside the spring-forward gap) is refused; an ambiguous one (the autumn
    repeated hour) means its first occurrence, still on summer time.
    """
    cleaned = text.strip()
    try:
        if _DATE_ONLY.fullmatch(cleaned):
            parsed = datetime.combine(date.fromisoformat(cleaned), time(0))
        else:
            parsed = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date or date-time: {text!r}") from exc
    if parsed.tzinfo is None:
        local = parsed.replace(tzinfo=LONDON)
        if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != parsed:
            raise ValueError(f"{text!r} does not exist in Europe/London (the clocks go forward)")
        return local
    return parsed.astimezone(LONDON)


_FINANCIAL_YEAR = re.compile(r"(\d{4})\s*[/-]\s*(\d{4}|\d{2})")


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year: for UK local government 1 April to 31 March of the next year.

    Bodies whose year starts elsewhere (a September academic year, a January calendar year)
    give ``start_month`` and ``start_day``.
    """

    start_year: int
    start_month: int = 4
    start_day: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_year <= 9998:
            raise ValueError(f"financial year start out of range: {self.start_year}")
        date(2001, self.start_month, self.start_day)  # raises for 31 February and the like

    @property
    def start(self) -> date:
        """The first day: 1 April of `start_year` by default."""
        return date(self.start_year, self.start_month, self.start_day)

    @property
    def end(self) -> date:
        """The last day: 31 March of the year after `start_year` by default."""
        return self._shifted(12) - _ONE_DAY

    @property
    def label(self) -> str:
        """The usual short form, e.g. "2015/16"."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    def __str__(self) -> str:
        return self.label

    def quarter(self, n: int) -> tuple[date, date]:
        """First and last day of quarter `n` (Q1 = April-June, Q4 = January-March by default)."""
        if n not in (1, 2, 3, 4):
            raise ValueError(f"a financial year has quarters 1 to 4, not {n}")
        return self._shifted(3 * (n - 1)), self._shifted(3 * n) - _ONE_DAY

    def _shifted(self, months: int) -> date:
        """The year's start moved on by whole months."""
        year, month = divmod(self.start_month - 1 + months, 12)
        return date(self.start_year + year, month + 1, self.start_day)

    @classmethod
    def containing(cls, d: date, start_month: int = 4, start_day: int = 1) -> FinancialYear:
        """The financial year that `d` falls in."""
        _require_date(d, "d")
        started = (d.month, d.day) >= (start_month, start_day)
        return cls(d.year if started else d.year - 1, start_month, start_day)

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Parse "2015/16", "2015-16", "2015/2016" or "2015-2016"."""
        match = _FINANCIAL_YEAR.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not a financial year: {text!r}")
        first, second = int(match.group(1)), match.group(2)
        expected = first + 1 if len(second) == 4 else (first + 1) % 100
        if int(second) != expected:
            raise ValueError(
                f"not a financial year: {text!r} (the second year must follow the first)"
            )
        return cls(first)
