"""Unit tests for improveflow.templating: one set of date words and rules for emails and pages.

The same value must read the same in an email and on the page the email links to, whatever
form it arrives in (a date, a moment, ISO text), with a moment read as its day in London.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from jinja2 import DictLoader, Environment, UndefinedError

from improveflow import resources, templating
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.links import LinkSigner
from improveflow.notify.render import EmailRenderer
from improveflow.services import action_history
from improveflow.web.pages import make_templates

NOW = datetime(2015, 7, 24, 8, 0, tzinfo=UTC)
# 23:30 UTC on 2 June is 00:30 on 3 June in London (summer time): the day a careless reading
# of the UTC text gets wrong.
LATE_IN_JUNE = datetime(2015, 6, 2, 23, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    signer = LinkSigner(
        "a-test-secret-of-sufficient-length",
        "https://plans.council.example/",
        timedelta(days=14),
        clock=FrozenClock(NOW),
    )
    return EmailRenderer(resources.bundled_dir("templates"), signer)


@pytest.fixture(scope="module")
def email_env(renderer: EmailRenderer) -> Environment:
    return renderer.environment


@pytest.fixture(scope="module")
def page_env() -> Environment:
    return make_templates()


def _through(env: Environment, name: str, value: Any) -> str:
    return env.from_string("{{ value | " + name + " }}").render(value=value)


@pytest.mark.parametrize(
    ("value", "long", "short"),
    [
        (date(2014, 7, 31), "Thursday 31 July 2014", "31 July 2014"),
        ("2014-07-31", "Thursday 31 July 2014", "31 July 2014"),
        (LATE_IN_JUNE, "Wednesday 3 June 2015", "3 June 2015"),
        (LATE_IN_JUNE.isoformat(), "Wednesday 3 June 2015", "3 June 2015"),
        # In winter London keeps UTC: the same hour stays on its day.
        ("2015-01-31T23:30:00+00:00", "Saturday 31 January 2015", "31 January 2015"),
        # A moment with no zone (an older row) is already local.
        (datetime(2016, 2, 29, 23, 30), "Monday 29 February 2016", "29 February 2016"),
        (None, "", ""),
        ("", "", ""),
    ],
)
def test_a_date_reads_the_same_in_an_email_and_on_a_page(
    email_env: Environment, page_env: Environment, value: Any, long: str, short: str
) -> None:
    """Each date filter gives the same words in both environments, as the London day."""
    for name, expected in (("long_date", long), ("short_date", short)):
        assert _through(email_env, name, value) == _through(page_env, name, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (LATE_IN_JUNE, "00:30 on 3 June 2015"),
        ("2014-06-02T09:00:00+00:00", "10:00 on 2 June 2014"),
        (datetime(2014, 12, 2, 9, 5, tzinfo=UTC), "09:05 on 2 December 2014"),
        (None, ""),
    ],
)
def test_a_moment_reads_the_same_in_an_email_and_on_a_page(
    email_env: Environment, page_env: Environment, value: Any, expected: str
) -> None:
    """A moment is its London wall-clock time and day, in both environments."""
    assert _through(email_env, "moment", value) == _through(page_env, "moment", value) == expected


def test_both_sides_use_the_one_set_of_date_filters(
    email_env: Environment, page_env: Environment
) -> None:
    """Neither side replaces a shared date filter with one of its own."""
    for name, words in templating.date_filters().items():
        assert email_env.filters[name] is words
        assert page_env.filters[name] is words


def test_an_email_and_its_page_name_the_same_day_for_one_moment(renderer: EmailRenderer) -> None:
    """The real templates agree: progress late on 2 June UTC is 3 June in both."""
    item = {
        "action_id": 17,
        "description": "Extend medium term financial strategy",
        "plan": "Peer Challenge Improvement Plan",
        "theme": None,
        "objective": None,
        "target_date": "2015-07-31",
        "as_of": "2015-07-24",
        "working_days_left": 5,
        "state": "in_progress",
        "rag": None,
        "latest_progress": "Draft strategy taken to CMT.",
        "latest_progress_at": LATE_IN_JUNE.isoformat(),
    }
    email = renderer.render("reminder", {"items": [item]}, recipient_name="Owen Marsh", person_id=4)
    history = make_templates().get_template("_action_history.html")
    page_html = str(
        history.module.history(  # type: ignore[attr-defined]
            [action_history.EscalationClosed(LATE_IN_JUNE, 2)]
        )
    )
    emailed = re.search(r"Latest progress \(\w+day (\d+ \w+ \d{4})\)", email.text)
    shown = re.search(r"\d\d:\d\d on (\d+ \w+ \d{4})", page_html)
    assert emailed is not None, email.text
    assert shown is not None, page_html
    assert emailed.group(1) == shown.group(1) == "3 June 2015"


def test_html_is_escaped_and_plain_text_is_not() -> None:
    """What people typed is never markup in HTML or a nameless template, and stays as typed in
    plain text (an email's text part and subject)."""
    env = templating.environment(
        DictLoader({"page.html": "{{ x }}", "body.txt": "{{ x }}", "fragment": "{{ x }}"})
    )
    typed = "<b>Budget & savings</b>"
    assert (
        env.get_template("page.html").render(x=typed) == "&lt;b&gt;Budget &amp; savings&lt;/b&gt;"
    )
    assert env.get_template("fragment").render(x=typed) == "&lt;b&gt;Budget &amp; savings&lt;/b&gt;"
    assert env.from_string("{{ x }}").render(x=typed) == "&lt;b&gt;Budget &amp; savings&lt;/b&gt;"
    assert env.get_template("body.txt").render(x=typed) == typed


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    """A template that names a value nobody gave fails loudly rather than leaving a gap."""
    env = templating.environment(DictLoader({"a.html": "Due {{ target | long_date }}"}))
    with pytest.raises(UndefinedError):
        env.get_template("a.html").render()


def test_a_moment_without_a_zone_is_refused() -> None:
    """A time with no zone cannot be told in London time, so it is an error, not a guess."""
    with pytest.raises(ValueError, match="time zone"):
        templating.moment(datetime(2015, 6, 2, 10, 0))


def test_london_day_reads_each_form_of_a_date() -> None:
    """Dates stay as they are; moments become the day they were in London."""
    assert templating.london_day(date(2015, 6, 2)) == date(2015, 6, 2)
    assert templating.london_day("2015-06-02") == date(2015, 6, 2)
    assert templating.london_day(datetime(2015, 6, 2, 23, 30, tzinfo=LONDON)) == date(2015, 6, 2)
    assert templating.london_day(LATE_IN_JUNE) == date(2015, 6, 3)
    assert templating.london_day("2015-06-02T23:30:00Z") == date(2015, 6, 3)
    assert templating.london_day(None) is None
