"""The words of a peer-challenge milestone's email: what is due or overdue and by when, asked
of the lead and told to the chief executive for information, each with a link that marks it
done and says how long it lasts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from improveflow import resources
from improveflow.clock import FrozenClock
from improveflow.exceptions import LinkInvalid
from improveflow.links import LinkSigner
from improveflow.notify.render import EmailRenderer, RenderedEmail

BASE = "https://plans.council.example"


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    signer = LinkSigner(
        "a-test-secret-of-sufficient-length",
        BASE + "/",
        timedelta(days=14),
        clock=FrozenClock(SENT),
    )
    return EmailRenderer(resources.bundled_dir("templates"), signer)


SENT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
SIGNER = LinkSigner("a-test-secret-of-sufficient-length", BASE, timedelta(days=14))


def milestone(**changes: Any) -> dict[str, Any]:
    return {
        "plan_id": 3,
        "plan": "Corporate Peer Challenge 2026",
        "milestone": "feedback_report",
        "label": "Feedback report published",
        "stage": "reminder",
        "due_on": "2026-12-25",
        "latest_on": "2027-02-25",
        "role": "lead",
    } | changes


def render(renderer: EmailRenderer, **changes: Any) -> RenderedEmail:
    return renderer.render(
        "milestone", milestone(**changes), recipient_name="Pia Lund", person_id=3
    )


def test_the_reminder_asks_the_lead_to_record_it_by_its_due_and_latest_dates(
    renderer: EmailRenderer,
) -> None:
    """The lead's reminder gives the due date, the latest date, and what to do when done."""
    email = render(renderer)
    assert email.subject == (
        "Coming up: the feedback report is to be published by Friday 25 December 2026"
    )
    assert (
        "The peer challenge team's feedback report for Corporate Peer Challenge 2026 is to be "
        "published by Friday 25 December 2026, and Thursday 25 February 2027 at the latest"
    ) in email.text
    assert "When it is done, record the date and a link to it" in email.text
    assert "Mark it done:\n" + BASE + "/plans/3/timetable/feedback-report?token=" in email.text
    assert "because you are the peer-challenge lead for Corporate Peer Challenge 2026" in email.text
    assert "for your information" not in email.text.lower()


def test_the_chief_executive_is_told_for_information_not_asked_to_record_it(
    renderer: EmailRenderer,
) -> None:
    """The chief executive's copy says the lead records it; it asks them for nothing."""
    email = render(renderer, role="chief_executive", stage="overdue")
    assert email.subject == (
        "Overdue: the feedback report was to be published by Friday 25 December 2026"
    )
    assert "and it is not recorded as done" in email.text
    assert "The LGA's timetable gives Thursday 25 February 2027 as the latest date." in email.text
    assert "This is for your information: the plan's peer-challenge lead has been told too" in (
        email.text
    )
    assert "record the date and a link" not in email.text
    assert "because you are the chief executive for Corporate Peer Challenge 2026" in email.text
    assert "for your information" in email.html


def test_past_the_latest_date_says_so_and_a_review_is_held_not_published(
    renderer: EmailRenderer,
) -> None:
    """Past the latest date the email names that date; a progress review is 'held'."""
    late = render(renderer, stage="past_latest")
    assert late.subject == (
        "Past its latest date: the feedback report was to be published by Thursday 25 February 2027"
    )
    assert "by Thursday 25 February 2027 at the latest, and it is not recorded as done" in (
        late.text
    )
    review = render(renderer, milestone="progress_review", latest_on=None, due_on="2027-07-25")
    assert review.subject == ("Coming up: the progress review is to be held by Sunday 25 July 2027")
    assert "at the latest" not in review.text
    assert "The progress review with the peer challenge team" in review.text


def _timetable_links(text: str) -> list[str]:
    return re.findall(re.escape(BASE) + r"/plans/\d+/timetable/[a-z-]+\?token=[\w.-]+", text)


@pytest.mark.parametrize(
    ("role", "stage"),
    [("lead", "reminder"), ("lead", "past_latest"), ("chief_executive", "overdue")],
)
def test_each_email_links_to_the_form_that_marks_it_done_and_says_how_long_it_lasts(
    renderer: EmailRenderer, role: str, stage: str
) -> None:
    """Lead and chief executive alike get 'Mark it done:' with a link to that milestone's form
    of that plan, signed for them as a timetable link (nothing else), the same in the text and
    the HTML, and told it works once and lasts the 14 days links last."""
    email = render(renderer, role=role, stage=stage, milestone="action_plan")
    links = _timetable_links(email.text)
    assert len(links) == 1
    assert links[0].startswith(BASE + "/plans/3/timetable/action-plan?token=")
    assert "Mark it done:\n" + links[0] in email.text
    assert f'<a href="{links[0]}"' in email.html
    assert ">Mark it done</a>" in email.html
    token = links[0].split("token=", 1)[1]
    payload = SIGNER.verify(token, "timetable", SENT)
    assert (payload["person"], payload["plan"], payload["milestone"]) == (3, 3, "action_plan")
    for other in ("action", "approval", "sign_in", "preferences"):
        with pytest.raises(LinkInvalid):
            SIGNER.verify(token, other, SENT)
    lasts = (
        "The link works once and lasts 14 days. It opens the timetable of Corporate Peer "
        "Challenge 2026 only, where you give the date and the link to the published document."
    )
    assert lasts in email.text
    assert lasts in email.html


def test_a_progress_review_link_asks_for_its_record_not_a_published_document(
    renderer: EmailRenderer,
) -> None:
    """A review is held, not published: its link asks for the link to its record."""
    email = render(renderer, milestone="progress_review", latest_on=None, due_on="2027-07-25")
    assert "/plans/3/timetable/progress-review?token=" in email.text
    assert "where you give the date and the link to its record." in email.text
