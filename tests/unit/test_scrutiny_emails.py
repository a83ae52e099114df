"""The words of the email about the executive's response to a scrutiny report: when it is due,
and why (within the period beginning with the day the executive received the report), asked of
the scrutiny officer (who records it) and put to the chief executive (who sees the executive
gives it), never in the peer challenge's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from improveflow import resources
from improveflow.clock import FrozenClock
from improveflow.links import LinkSigner
from improveflow.notify.render import EmailRenderer, RenderedEmail

BASE = "https://plans.council.example"
PLAN = "Scrutiny review of home-to-school transport"
FORM = BASE + "/plans/7/timetable/executive-response"


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    signer = LinkSigner(
        "a-test-secret-of-sufficient-length",
        BASE + "/",
        timedelta(days=14),
        clock=FrozenClock(datetime(2026, 8, 1, 9, 0, tzinfo=UTC)),
    )
    return EmailRenderer(resources.bundled_dir("templates"), signer)


def render(renderer: EmailRenderer, **changes: Any) -> RenderedEmail:
    context = {
        "plan_id": 7,
        "plan": PLAN,
        "milestone": "executive_response",
        "label": "Executive response given",
        "stage": "reminder",
        "due_on": "2026-08-11",
        "latest_on": None,
        "role": "scrutiny_officer",
        "report_date": "2026-06-12",
        "response_period": "two months",
    } | changes
    return renderer.render("scrutiny_response", context, recipient_name="Sam Okoro", person_id=5)


def test_the_scrutiny_officer_is_told_when_the_response_is_due_and_to_record_it(
    renderer: EmailRenderer,
) -> None:
    """The reminder names the day the executive received the report and the due date, says it
    is due then because the executive must respond within the period beginning with that day,
    and asks the officer to record the response with a link when it is given."""
    email = render(renderer)
    assert email.subject == (
        "Coming up: the executive's response to the scrutiny report it received on Friday 12 "
        "June 2026 is due by Tuesday 11 August 2026"
    )
    assert (
        f"The executive's response to the scrutiny report it received on Friday 12 June 2026 "
        f"({PLAN}) is due by Tuesday 11 August 2026, because the executive must respond within "
        "two months beginning with the day it received the report."
    ) in email.text
    assert "record the date and a link to its response, so the committee" in email.text
    assert f"\n\nRecord the response:\n{FORM}?token=" in email.text
    assert (
        "It opens the timetable of " + PLAN + " only, where you give the date and the link to "
        "the executive's response." in email.text
    )
    assert ">Record the response</a>" in email.html
    assert f"because you are the scrutiny officer for {PLAN}" in email.text
    assert (
        "response to the scrutiny report it received on Friday 12 June 2026 is due by Tuesday 11 "
        "August 2026, because the executive must respond within two months beginning with the "
        "day it received the report."
    ) in email.html
    assert "two months of the report" not in email.text
    for peer_words in ("LGA", "peer challenge", "peer-challenge"):
        assert peer_words not in email.text


def test_the_chief_executive_is_asked_to_see_it_on_an_executive_agenda(
    renderer: EmailRenderer,
) -> None:
    """The chief executive's copy asks them to get the response on the executive's agenda and
    says the scrutiny officer records it, which they may do instead, by the same link."""
    email = render(renderer, role="chief_executive", response_period="three months")
    assert (
        "the executive must respond within three months beginning with the day it received the "
        "report"
    ) in email.text
    assert "Please make sure the response is on the agenda of an executive meeting by then" in (
        email.text
    )
    assert "The plan's scrutiny officer has the same reminder" in email.text
    assert "record the date" not in email.text
    assert "You can record it yourself instead." in email.text
    assert f"\n\nRecord the response:\n{FORM}?token=" in email.text
    assert f"because you are the chief executive for {PLAN}" in email.text


def test_once_overdue_it_says_it_is_not_recorded_as_given(renderer: EmailRenderer) -> None:
    """Past its due date: the subject says overdue; the officer is asked to record it or agree
    a date with the chief executive and tell the committee."""
    email = render(renderer, stage="overdue")
    assert email.subject == (
        "Overdue: the executive's response to the scrutiny report it received on Friday 12 June "
        "2026 was due by Tuesday 11 August 2026"
    )
    assert "was due by Tuesday 11 August 2026, and it is not recorded as given." in email.text
    assert "please agree with the chief executive when it will, and tell the committee" in (
        email.text
    )
    chief = render(renderer, stage="overdue", role="chief_executive")
    assert "Please make sure the executive responds as soon as it can" in chief.text
    assert "has been told too, and records the response once it is given" in chief.text
