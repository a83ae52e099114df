"""A milestone email's link does its one job: it opens the mark-done pages of its own plan's
timetable, for the hour a link's visit lasts, and nothing else; it works once, and expires
with every other link in an email. Someone already signed in is taken straight to the form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_words import words
from web_helpers import Council, csrf, follow, new_client, path_of, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import milestones
from improveflow.services.sign_in import signer as link_signer
from improveflow.testing import add_plan

LEAD = "pia@peers.example"
REPORT = "https://council.example/cpc-feedback-report"


@pytest.fixture
def timetable(council: Council, clock: FrozenClock) -> Council:
    """The challenge ended on 14 March 2014; it is now 20 June, its first milestones due."""
    milestones.set_challenge_date(council.ctx, council.plan_id, date(2014, 3, 14))
    clock.set(datetime(2014, 6, 20, 10, 0, tzinfo=UTC))
    return council


def _link(council: Council, plan_id: int | None = None, milestone: str = "feedback_report") -> str:
    return link_signer(council.ctx).timetable_link(
        council.person_id(LEAD), plan_id or council.plan_id, milestone
    )


def _assert_sent_to_sign_in(browser: TestClient, url: str) -> None:
    refused = browser.get(url, follow_redirects=False)
    assert refused.status_code == 303, url
    assert refused.headers["location"].startswith("/sign-in?next="), url
    assert "Peer Challenge Improvement Plan" not in browser.get(url).text, url


def test_the_link_opens_the_form_of_its_plan_and_marks_the_milestone_done(
    app: FastAPI, timetable: Council
) -> None:
    """The Continue page says what the link is for and what it opens; the form follows, saves,
    and the timetable says what was recorded; every page says the visit is for the timetable."""
    link = _link(timetable)
    assert link.startswith(
        f"http://testserver/plans/{timetable.plan_id}/timetable/feedback-report?token="
    )
    with new_client(app) as browser:
        opened = browser.get(path_of(link))
        said = words(opened.text)
        assert "Continue to mark a peer-challenge milestone done." in said
        assert (
            "It opens that plan's peer-challenge timetable only, and for 1 hour after you continue."
        ) in said
        form = follow(browser, link)
        assert form.status_code == 200
        assert "<h1>Mark the feedback report published</h1>" in form.text
        assert "for this plan's peer-challenge timetable only" in words(form.text)
        done = browser.post(
            f"/plans/{timetable.plan_id}/timetable/feedback-report",
            data={
                "csrf_token": csrf(form.text),
                "done_on_day": "18",
                "done_on_month": "6",
                "done_on_year": "2014",
                "link": REPORT,
            },
        )
        assert "The feedback report is recorded as published on Wednesday 18 June 2014" in (
            words(done.text)
        )
        # The other milestones of the plan are within its reach too.
        assert browser.get(f"/plans/{timetable.plan_id}/timetable/action-plan").status_code == 200
    recorded = milestones.list_milestones(timetable.ctx, timetable.plan_id)
    assert [(v.kind, v.done_on, v.done_by) for v in recorded if v.done_on] == [
        ("feedback_report", date(2014, 6, 18), LEAD)
    ]


def test_the_links_visit_reaches_nothing_but_its_plans_timetable(
    app: FastAPI, timetable: Council
) -> None:
    """The dashboard, the plan, the plans, another plan's timetable and form, an action and the
    approvals ask to sign in; a post to another plan's form is refused as if nobody were
    signed in, and that plan's milestone stays as it was."""
    other = add_plan(timetable.ctx, "Second Peer Challenge Plan")
    milestones.set_challenge_date(timetable.ctx, other, date(2014, 3, 14))
    with new_client(app) as browser:
        form = follow(browser, _link(timetable))
        assert form.status_code == 200
        for url in (
            f"/plans/{timetable.plan_id}/dashboard",
            f"/plans/{timetable.plan_id}",
            "/plans",
            f"/plans/{other}/timetable",
            f"/plans/{other}/timetable/feedback-report",
            f"/plans/{timetable.plan_id}/timetable?plan={other}",
            f"/actions/{timetable.action_id}",
            "/my-actions",
            "/approvals",
            "/preferences",
        ):
            _assert_sent_to_sign_in(browser, url)
        refused = browser.post(
            f"/plans/{other}/timetable/feedback-report",
            data={
                "csrf_token": csrf(form.text),
                "done_on_day": "18",
                "done_on_month": "6",
                "done_on_year": "2014",
                "link": REPORT,
            },
        )
        assert refused.status_code == 403
        assert "Your session has ended" in refused.text
    assert all(v.done_on is None for v in milestones.list_milestones(timetable.ctx, other))


def test_the_link_works_once_its_visit_ends_after_the_hour_and_the_link_expires(
    app: FastAPI, timetable: Council, clock: FrozenClock
) -> None:
    """Used once, the link is spent; the visit ends after an hour; a link older than the 14
    days links last is refused as expired and opens nothing."""
    link = _link(timetable)
    form = f"/plans/{timetable.plan_id}/timetable/feedback-report"
    with new_client(app) as browser:
        assert follow(browser, link).status_code == 200
        clock.advance(timedelta(minutes=61))
        _assert_sent_to_sign_in(browser, form)
    with new_client(app) as again:
        used = again.get(path_of(link))
        assert used.status_code == 410
        assert "This link has already been used" in used.text
    stale = _link(timetable)
    clock.advance(timedelta(days=14, minutes=1))
    with new_client(app) as late:
        expired = late.get(path_of(stale))
        assert expired.status_code == 410
        assert "This link has expired. Links in emails last 14 days." in words(expired.text)
        _assert_sent_to_sign_in(late, form)


def test_a_link_pasted_onto_another_plans_address_does_not_work(
    app: FastAPI, timetable: Council
) -> None:
    """A genuine token moved onto another plan's form opens nothing."""
    other = add_plan(timetable.ctx, "Second Peer Challenge Plan")
    token = _link(timetable).split("token=", 1)[1]
    with new_client(app) as browser:
        moved = browser.get(f"/plans/{other}/timetable/feedback-report?token={token}")
        assert moved.status_code == 400
        assert "This link does not work" in moved.text


def test_someone_signed_in_is_taken_straight_to_the_form(
    client: TestClient, timetable: Council
) -> None:
    """Pia, signed in already, follows her link: no Continue page, straight to the form, and
    she stays signed in to everything."""
    sign_in(client, timetable, LEAD)
    opened = client.get(path_of(_link(timetable, milestone="action_plan")))
    assert "<h1>Mark the action plan published</h1>" in opened.text
    assert 'action="/links/follow"' not in opened.text
    assert client.get(f"/plans/{timetable.plan_id}/dashboard").status_code == 200
