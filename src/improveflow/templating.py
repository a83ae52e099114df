"""The Jinja2 environment behind every email and page, with the date words they share.

Emails and pages bring their own templates (a loader) and their own filters and globals; this
module gives both the same rules and the same dates, so a day reads the same in an email and on
the page it links to. A date is the day it was in London, where the councils are, spelled out
here rather than with strftime, which follows the machine's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from jinja2 import BaseLoader, Environment, StrictUndefined, select_autoescape

from improveflow.calendar import as_london

__all__ = [
    "DAYS",
    "MONTHS",
    "autoescape",
    "date_filters",
    "environment",
    "london_day",
    "long_date",
    "moment",
    "short_date",
]

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

DateLike = date | str | None

# Everything is HTML-escaped but plain text (an email's text part and its subject): user text
# is never markup, whatever a template is called, and plain text is not HTML.
autoescape: Callable[[str | None], bool] = select_autoescape(
    disabled_extensions=("txt",), default_for_string=True, default=True
)


def london_day(value: DateLike) -> date | None:
    """The day `value` names: a date as it is, a moment as the day it was in London.

    Takes a date, a datetime or their ISO text; None for none or ''. A moment without a zone
    (an older row) is taken as already local.
    """
    if type(value) is date:  # the usual case first: dates fill most tables
        return value
    if not value:
        return None
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, date):
        return value
    elif len(value) == 10:
        return date.fromisoformat(value)
    else:
        at = datetime.fromisoformat(value)
    return as_london(at).date() if at.tzinfo is not None else at.date()


def long_date(value: DateLike) -> str:
    """'Friday 31 July 2015'; '' for none."""
    day = london_day(value)
    if day is None:
        return ""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(value: DateLike) -> str:
    """'31 July 2015'; '' for none."""
    day = london_day(value)
    if day is None:
        return ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def moment(value: datetime | str | None) -> str:
    """'10:00 on 2 June 2014', in London time; '' for none. The moment must carry its zone."""
    if value is None or value == "":
        return ""
    at = as_london(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{at:%H:%M} on {short_date(at.date())}"


def date_filters() -> dict[str, Callable[..., str]]:
    """The date filters every environment has, by the name templates use."""
    return {"long_date": long_date, "short_date": short_date, "moment": moment}


def environment(
    loader: BaseLoader, *, environment_class: type[Environment] = Environment
) -> Environment:
    """An environment over `loader`'s templates with the shared rules and date filters.

    Strict: a value a template needs but is not given is an error, not a blank. Templates do
    not change while the process runs, so each is compiled once and never checked again.
    """
    env = environment_class(
        loader=loader,
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(date_filters())
    return env
