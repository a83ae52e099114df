"""Marking a peer-challenge milestone done on its web form: reached from the lead's dashboard by
those who keep the timetable (its lead, the chief executive, an administrator), checked as the
service checks it with every problem shown at once beside its field, what was typed kept, and
what was recorded said in words on the timetable. Anyone else gets no button, and their form
is refused as the service refuses it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from page_words import words
from web_helpers import Council, csrf, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import milestones, people

LEAD = "pia@peers.example"
OWNER = "owen@council.example"
CMT_MEMBER = "dana@council.example"  # on CMT, with no say over the timetable
ADMIN = "alex@council.example"
CHIEF_EXECUTIVE = people.PersonInput(
    "Chris Evans", "chris@council.example", ("Chief Executive",), (), ("chief_executive",)
)
REPORT = "https://council.example/cpc-feedback-report"


@pytest.fixture
def timetable(council: Council, clock: FrozenClock) -> Council:
    """The challenge ended on 14 March 2014; it is now 20 June, its first milestones due."""
    milestones.set_challenge_date(council.ctx, council.plan_id, date(2014, 3, 14))
    clock.set(datetime(2014, 6, 20, 10, 0, tzinfo=UTC))
    return council


def _form(council: Council) -> str:
    return f"/plans/{council.plan_id}/timetable/feedback-report"


def _post(client: TestClient, council: Council, **fields: str) -> Response:
    token = csrf(client.get(f"/plans/{council.plan_id}/timetable").text)
    return client.post(_form(council), data={"csrf_token": token, **fields})


def _date(day: str, month: str, year: str) -> dict[str, str]:
    return {"done_on_day": day, "done_on_month": month, "done_on_year": year}


def _feedback_report(council: Council) -> milestones.MilestoneView:
    views = milestones.list_milestones(council.ctx, council.plan_id)
    return next(view for view in views if view.kind == "feedback_report")


def _main(response: Response) -> str:
    found = re.search(r"<main\b.*?</main>", response.text, re.S)
    assert found, response.text
    return found.group(0)


def test_the_lead_marks_a_milestone_done_from_the_dashboard_and_is_told_what_was_recorded(
    client: TestClient, timetable: Council
) -> None:
    """Pia follows 'Mark done' from her dashboard, gives the day and the link, and lands on the
    timetable saying, in words, what is now recorded; the dashboard shows it done."""
    sign_in(client, timetable, LEAD)
    board = client.get(f"/plans/{timetable.plan_id}/dashboard")
    assert f'<a href="{_form(timetable)}">Mark done' in board.text
    form = client.get(_form(timetable))
    assert form.status_code == 200
    assert "<h1>Mark the feedback report published</h1>" in form.text
    assert "When was it published?" in words(form.text)
    assert "Link to the published document" in form.text
    assert "Due by Saturday 14 June 2014" in words(form.text)
    assert "at the latest" not in words(form.text)  # the LGA gives the report no later date
    done = client.post(
        _form(timetable),
        data={"csrf_token": csrf(form.text), **_date("18", "6", "2014"), "link": REPORT},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/plans/{timetable.plan_id}/timetable?done=feedback-report"
    shown = client.get(done.headers["location"])
    assert (
        "The feedback report is recorded as published on Wednesday 18 June 2014, with the link "
        f"{REPORT}. Its reminders stop, and the dashboard shows it done."
    ) in words(shown.text)
    assert 'class="notice" role="status"' in shown.text
    recorded = _feedback_report(timetable)
    assert (recorded.done_on, recorded.link, recorded.done_by) == (date(2014, 6, 18), REPORT, LEAD)
    board = client.get(f"/plans/{timetable.plan_id}/dashboard")
    assert "Done on Wednesday 18 June 2014" in words(board.text)
    assert f'<a href="{_form(timetable)}">Correct' in board.text


def test_every_problem_is_shown_at_once_beside_its_field_with_what_was_typed_kept(
    client: TestClient, timetable: Council
) -> None:
    """Nothing given: both problems in the summary and beside their fields. A day that does not
    exist and an address that is not one: the day's problem and the link's, each linked."""
    sign_in(client, timetable, LEAD)
    empty = _post(client, timetable, **_date("", "", ""), link="")
    assert empty.status_code == 400
    assert "<title>Error: Mark the feedback report published" in empty.text
    assert '<a href="#done-on-day">Enter the date it was done</a>' in empty.text
    assert '<a href="#link">Enter the link to the published document</a>' in empty.text
    assert 'id="done-on-error"' in empty.text
    assert 'id="link-error"' in empty.text
    wrong = _post(client, timetable, **_date("31", "2", "2014"), link="the council website")
    assert '<a href="#done-on-day">The date it was done must be a real date</a>' in wrong.text
    assert 'value="31"' in wrong.text
    assert 'value="2"' in wrong.text
    assert ">the council website</textarea>" in wrong.text
    # With the date right, the service's own refusal of the link stands beside the link.
    not_a_link = _post(client, timetable, **_date("18", "6", "2014"), link="the council website")
    assert (
        "&#39;the council website&#39; is not a web address: give the link to the published "
        "document, starting https://"
    ) in not_a_link.text
    assert '<a href="#link">' in not_a_link.text
    assert 'value="18"' in not_a_link.text
    assert _feedback_report(timetable).done_on is None


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (("21", "6", "2014"), "Saturday 21 June 2014 is in the future: mark it done once it is"),
        (
            ("13", "March", "2014"),
            "Thursday 13 March 2014 is before the peer challenge ended, on Friday 14 March 2014",
        ),
    ],
)
def test_the_service_refuses_a_day_in_the_future_or_before_the_challenge_beside_the_date(
    client: TestClient, timetable: Council, day: tuple[str, str, str], said: str
) -> None:
    """Tomorrow, or the day before the challenge ended: the service's words, linked to the
    date's first box, every box marked, and the day as typed shown again."""
    sign_in(client, timetable, LEAD)
    refused = _post(client, timetable, **_date(*day), link=REPORT)
    assert refused.status_code == 400
    assert f'<a href="#done-on-day">{said}</a>' in refused.text
    assert f'<span class="visually-hidden">Error:</span> {said}' in refused.text
    assert refused.text.count("input-error") == 3
    assert f'value="{day[1]}"' in refused.text
    assert f">{REPORT}</textarea>" in refused.text
    assert _feedback_report(timetable).done_on is None


def test_a_milestone_done_shows_its_date_and_link_and_can_be_corrected(
    client: TestClient, timetable: Council
) -> None:
    """Once done, the form and the timetable say so with who recorded it by name, the form
    fills in what is recorded, and saves a correction (which the service allows, and
    audits)."""
    milestones.mark_done(
        timetable.ctx, timetable.plan_id, milestones.milestone_kind("feedback-report"),
        done_on=date(2014, 6, 16), link=REPORT, by_email=LEAD,
    )  # fmt: skip
    sign_in(client, timetable, ADMIN)
    form = client.get(_form(timetable))
    assert "<h1>Correct when the feedback report was published</h1>" in form.text
    assert "Done on Monday 16 June 2014, recorded by Pia Lund" in words(form.text)
    # The timetable page says who recorded it too, by name.
    page = words(_main(client.get(f"/plans/{timetable.plan_id}/timetable")))
    assert "Done on Monday 16 June 2014, recorded by Pia Lund: feedback report published" in page
    assert "It is recorded as done. If the date or the link is wrong, correct them here" in (
        words(form.text)
    )
    assert 'value="16"' in form.text
    assert f">{REPORT}</textarea>" in form.text
    assert "Save the correction" in form.text
    fixed = client.post(
        _form(timetable),
        data={"csrf_token": csrf(form.text), **_date("17", "6", "2014"), "link": REPORT + "-v2"},
    )
    assert "recorded as published on Tuesday 17 June 2014" in words(fixed.text)
    recorded = _feedback_report(timetable)
    assert (recorded.done_on, recorded.link, recorded.done_by) == (
        date(2014, 6, 17),
        REPORT + "-v2",
        "alex@council.example",
    )


def test_the_chief_executive_may_mark_it_done(client: TestClient, timetable: Council) -> None:
    """The chief executive finds the timetable from the plan's page, reaches the form and
    marks it done; the dashboard their emails mention opens for them and shows it done."""
    people.import_people(timetable.ctx, [CHIEF_EXECUTIVE])
    sign_in(client, timetable, CHIEF_EXECUTIVE.email)
    plan = client.get(f"/plans/{timetable.plan_id}")
    assert f'<a href="/plans/{timetable.plan_id}/timetable">The LGA' in plan.text
    listed = client.get(f"/plans/{timetable.plan_id}/timetable")
    assert f'<a href="{_form(timetable)}">Mark done' in listed.text
    done = _post(client, timetable, **_date("18", "6", "2014"), link=REPORT)
    assert "The feedback report is recorded as published on Wednesday 18 June 2014" in (
        words(done.text)
    )
    assert _feedback_report(timetable).done_by == CHIEF_EXECUTIVE.email
    board = client.get(f"/plans/{timetable.plan_id}/dashboard")
    assert board.status_code == 200
    assert "Done on Wednesday 18 June 2014" in words(board.text)


@pytest.mark.parametrize("email", [OWNER, CMT_MEMBER])
def test_an_owner_or_a_cmt_member_gets_no_button_and_their_form_is_refused(
    client: TestClient, timetable: Council, email: str
) -> None:
    """Those who do not keep the timetable see it but are offered no way to mark it done; the
    form's page and a post to it are refused in the service's words, and nothing is stored."""
    sign_in(client, timetable, email)
    listed = client.get(f"/plans/{timetable.plan_id}/timetable")
    assert listed.status_code == 200
    assert "Mark done" not in listed.text
    assert (
        "The plan's peer-challenge lead, its chief executive or an administrator of the council "
        "marks each milestone done."
    ) in words(listed.text)
    if email == CMT_MEMBER:
        board = client.get(f"/plans/{timetable.plan_id}/dashboard")
        assert "Peer-challenge timetable" in board.text
        assert "Mark done" not in board.text
    said = (
        f"{email} cannot change plan {timetable.plan_id}'s timetable: only a peer-challenge "
        "lead, the chief executive or an administrator of its council can"
    )
    page = client.get(_form(timetable))
    assert page.status_code == 403
    assert said.replace("'", "&#39;") in page.text
    refused = _post(client, timetable, **_date("18", "6", "2014"), link=REPORT)
    assert refused.status_code == 403
    assert said.replace("'", "&#39;") in refused.text
    assert _feedback_report(timetable).done_on is None


def test_an_unknown_milestone_or_a_plan_without_a_timetable_is_a_missing_page(
    client: TestClient, council: Council
) -> None:
    """No challenge date yet, or a milestone the LGA's timetable does not have: page not
    found, with what to do; the timetable page says the milestones follow the challenge date."""
    sign_in(client, council, LEAD)
    listed = client.get(f"/plans/{council.plan_id}/timetable")
    assert "This plan has no timetable yet." in listed.text
    for path in (_form(council), f"/plans/{council.plan_id}/timetable/annual-report"):
        missing = client.get(path)
        assert missing.status_code == 404, path
    assert "has no timetable yet: its milestones follow once the day its peer challenge" in (
        client.get(_form(council)).text
    )


def test_a_link_pasted_across_two_lines_is_saved_as_one_address(
    client: TestClient, timetable: Council
) -> None:
    """An address copied from an email that wrapped it reaches the service whole."""
    sign_in(client, timetable, LEAD)
    _post(
        client,
        timetable,
        **_date("18", "6", "2014"),
        link="https://council.example/cpc-\r\nfeedback-report\n",
    )
    assert _feedback_report(timetable).link == REPORT
