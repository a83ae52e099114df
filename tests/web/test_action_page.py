"""The action page's facts: working days by the workflow's calendar, typed dates, a finished RAG."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from page_words import words
from web_helpers import BASE, SECRET, Council, csrf, sign_in, start_action

from improveflow import resources
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.services import approvals, plans, progress
from improveflow.services.context import Context
from improveflow.stores import requests as request_store
from improveflow.testing import add_action, add_sample_people, make_context
from improveflow.web.app import create_app

OWEN = "owen@council.example"
DATE = "change-revise_target-date"
ALL = ("day", "month", "year")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def _pending(council: Council) -> tuple[str, date | None] | None:
    with council.ctx.database.reading() as session:
        found = request_store.pending_request_for(session, council.action_id)
        return (found.transition, found.new_target_date) if found else None


# Working days by the workflow's own calendar ------------------------------------------------


@pytest.fixture
def two_nations(
    database_url: str, clock: FrozenClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Context]:
    """An installation with the usual workflow and a Scottish council's copy of it."""
    folder = tmp_path_factory.mktemp("workflows")
    usual = (resources.bundled_dir("workflows") / "improvement_action.yaml").read_text()
    (folder / "improvement_action.yaml").write_text(usual, encoding="utf-8")
    scottish = usual.replace(
        "workflow: improvement_action\n", "workflow: improvement_action_scotland\n"
    ).replace("bank_holidays: england-and-wales", "bank_holidays: scotland")
    assert "bank_holidays: scotland" in scottish
    (folder / "improvement_action_scotland.yaml").write_text(scottish, encoding="utf-8")
    ctx = make_context(
        database_url, clock=clock, workflows_dir=folder, secret_key=SECRET, base_url=BASE
    )
    yield ctx
    ctx.close()


def test_working_days_left_follow_the_workflows_bank_holidays(
    two_nations: Context, clock: FrozenClock
) -> None:
    """From Friday 27 November 2026 to Tuesday 1 December: 1 working day in Scotland, 2 in England.

    Monday 30 November 2026 is St Andrew's Day, a Scottish bank holiday.
    """
    ctx = two_nations
    clock.set(london(2026, 11, 27, 10, 0))
    add_sample_people(ctx)
    scottish_plan = plans.create_plan(
        ctx, "Improvement Plan", PlanKind.ACTION_PLAN, workflow="improvement_action_scotland"
    ).id
    english_plan = plans.create_plan(ctx, "Improvement Plan", PlanKind.ACTION_PLAN).id
    pages = {}
    with TestClient(create_app(ctx), base_url=BASE) as client:
        for plan_id in (scottish_plan, english_plan):
            action_id = add_action(ctx, plan_id, target=date(2026, 12, 1))
            start_action(ctx, action_id)
            sign_in(client, Council(ctx, plan_id, action_id, action_id), OWEN)
            pages[plan_id] = words(client.get(f"/actions/{action_id}").text)
        on_the_holiday = add_action(ctx, scottish_plan, target=date(2026, 11, 30))
        holiday_page = words(client.get(f"/actions/{on_the_holiday}").text)
    assert "Tuesday 1 December 2026: 4 days left (1 working day)" in pages[scottish_plan]
    assert "Tuesday 1 December 2026: 4 days left (2 working days)" in pages[english_plan]
    assert (
        "Monday 30 November 2026 is a bank holiday in Scotland, so it is not a working day. "
        "The last working day before it is Friday 27 November 2026."
    ) in holiday_page


# The new target date, typed into Day, Month and Year boxes -----------------------------------


def _ask_for_date(
    client: TestClient, council: Council, day: str, month: str, year: str, reason: str = "Audit"
) -> tuple[int, str]:
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={
            "csrf_token": token,
            "trigger": "revise_target",
            "reason": reason,
            "new_target_day": day,
            "new_target_month": month,
            "new_target_year": year,
        },
    )
    return response.status_code, response.text


def test_the_date_boxes_follow_the_govuk_pattern(client: TestClient, council: Council) -> None:
    """A fieldset with a legend, a hint with a date months from today, three labelled boxes."""
    sign_in(client, council, OWEN)
    page = client.get(f"/actions/{council.action_id}").text
    assert 'type="date"' not in page
    assert f'<fieldset class="form-group" role="group" aria-describedby="{DATE}-hint">' in page
    assert '<legend class="label">New target date</legend>' in page
    # Today is 2 June 2014: the example is the end of September.
    assert f'<p class="hint" id="{DATE}-hint">For example, 30 9 2014</p>' in page
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        assert f'<label class="label date-input-label" for="{DATE}-{part}">{label}</label>' in page
        box = f'id="{DATE}-{part}" name="new_target_{part}" type="text" inputmode="numeric"'
        assert box in page


@pytest.mark.parametrize(
    ("typed", "message", "wrong"),
    [
        (("", "", ""), "Enter the new target date", ALL),
        (("31", "", ""), "Target date must include a month and year", ("month", "year")),
        (("31012027", "", ""), "Target date must include a month and year", ("month", "year")),
        (("31", "12", ""), "Target date must include a year", ("year",)),
        (("", "12", "2014"), "Target date must include a day", ("day",)),
        (("31", "2", "2015"), "Target date must be a real date", ("day",)),
        (("1", "13", "2014"), "Target date must be a real date", ("month",)),
        (("3l", "12", "2014"), "Target date must be a real date", ("day",)),
        (("31", "12", "14"), "Year must include 4 numbers", ("year",)),
        (("31", "12", "12027"), "Year must include 4 numbers", ("year",)),
        (("1", "5", "2014"), "Target date must be today or in the future", ALL),
        (("1", "1", "2207"), "Target date must be before 1 January 2025", ALL),
        (
            ("30", "9", "2014"),
            "Target date must be different from the current target date, 30 September 2014",
            ALL,
        ),
    ],
)
def test_a_date_that_cannot_be_used_is_explained_at_its_boxes(
    client: TestClient,
    council: Council,
    typed: tuple[str, str, str],
    message: str,
    wrong: tuple[str, ...],
) -> None:
    """The summary links to the first wrong box, the message is in the fieldset, typing is kept."""
    status, page = _ask_for_date(client, council, *typed, reason="Budget moved")
    assert status == 400
    assert f'<a href="#{DATE}-{wrong[0]}">{message}</a>' in page
    assert (
        f'<p class="error-message" id="{DATE}-error"><span class="visually-hidden">Error:</span> '
        f"{message}</p>"
    ) in page
    assert f'aria-describedby="{DATE}-hint {DATE}-error"' in page
    for part, value in zip(("day", "month", "year"), typed, strict=True):
        highlighted = " input-error" if part in wrong else ""
        assert (
            f'class="input date-input-input input-width-{4 if part == "year" else 2}{highlighted}" '
            f'id="{DATE}-{part}" name="new_target_{part}" type="text" inputmode="numeric" '
            f'spellcheck="false" value="{value}"'
        ) in page
    assert ">Budget moved</textarea>" in page
    assert _pending(council) is None


def test_a_missing_reason_is_shown_with_the_dates_problem(
    client: TestClient, council: Council
) -> None:
    """Both problems at once, as GOV.UK asks, each linked to its field."""
    status, page = _ask_for_date(client, council, "31", "", "2014", reason=" ")
    assert status == 400
    assert f'<a href="#{DATE}-month">Target date must include a month</a>' in page
    assert (
        '<a href="#change-revise_target-reason">A reason is needed to change the target date</a>'
        in page
    )


@pytest.mark.parametrize(
    ("typed", "asked"),
    [
        (("31", "12", "2014"), date(2014, 12, 31)),
        ((" 05 ", "01", "2015"), date(2015, 1, 5)),
        (("31", "Dec", "2014"), date(2014, 12, 31)),
        (("1", "september", "2014"), date(2014, 9, 1)),
    ],
)
def test_a_good_date_opens_the_request(
    client: TestClient, council: Council, typed: tuple[str, str, str], asked: date
) -> None:
    """Numbers with or without leading zeros, or a month's name: the request holds that date."""
    status, page = _ask_for_date(client, council, *typed)
    assert status == 200
    assert "Your request has been sent for approval" in page
    assert _pending(council) == ("revise_target", asked)
    assert "is not a working day" not in page


@pytest.mark.parametrize(
    ("typed", "notice"),
    [
        (
            ("28", "2", "2015"),
            "Saturday 28 February 2015 is at the weekend, so it is not a working day. "
            "The last working day before it is Friday 27 February 2015.",
        ),
        (
            ("25", "8", "2014"),
            "Monday 25 August 2014 is a bank holiday in England and Wales, so it is not a "
            "working day. The last working day before it is Friday 22 August 2014.",
        ),
    ],
)
def test_a_target_on_a_day_off_is_accepted_and_said(
    client: TestClient, council: Council, typed: tuple[str, str, str], notice: str
) -> None:
    """A weekend or bank holiday is a real target: the request goes, and the page says so."""
    status, page = _ask_for_date(client, council, *typed)
    assert status == 200
    text = words(page)
    sent = "Your request has been sent for approval. You will get an email when it is decided."
    assert f"{sent} {notice}" in text
    assert f"New target date asked for: {notice.split(' is ')[0]}. {notice}" in text


def test_only_a_change_of_date_takes_a_date(client: TestClient, council: Council) -> None:
    """Date boxes sent with another change (a crafted form) are ignored, not applied with it."""
    progress.record_progress(council.ctx, council.action_id, "Adopted", None, by_email=OWEN)
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={
            "csrf_token": token,
            "trigger": "complete",
            "new_target_date": "2014-12-31",  # the single field the page once had
            "new_target_day": "31",
            "new_target_month": "12",
            "new_target_year": "2014",
        },
    )
    assert response.status_code == 200
    assert _pending(council) == ("complete", None)


# A finished action's rating --------------------------------------------------------------------


def test_a_completed_action_shows_its_last_rating_as_history(
    client: TestClient, council: Council
) -> None:
    """No current RAG badge, no countdown, no rating asked for: the last rating, said as past."""
    ctx = council.ctx
    progress.record_progress(ctx, council.action_id, "Adopted", Rag.AMBER, by_email=OWEN)
    asked = approvals.request_change(ctx, council.action_id, "complete", by_email=OWEN)
    assert asked.request_id is not None
    approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email="dana@council.example")
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(london(2014, 10, 8, 10, 0))  # after the target date
    sign_in(client, council, OWEN)
    page = client.get(f"/actions/{council.action_id}").text
    summary = words(page[page.index('<dl class="summary">') : page.index("</dl>")])
    assert "RAG Last rated Amber before completion" in summary
    assert 'class="tag rag-amber"' not in page[: page.index("</dl>")]
    assert "Target date Tuesday 30 September 2014" in summary
    assert "overdue" not in summary
    assert "How is it going?" not in page
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": csrf(page), "text": "Still adopted", "rag": "green"},
    )
    assert response.status_code == 400
    assert "takes no RAG rating" in response.text
    # The rating question is gone from the page: nothing may link to it.
    assert 'href="#progress-rag"' not in response.text


# What each person is offered, and problems marked where they were typed ---------------------


@pytest.mark.parametrize(
    ("email", "offered"),
    [
        (OWEN, "Start work | Defer the action | Change the target date"),
        ("alex@council.example", "Start work | Defer the action | Change the target date"),
        ("pia@peers.example", "Defer the action | Change the target date"),
        ("priya@council.example", ""),  # another action's owner
        ("dana@council.example", ""),  # a CMT member decides; she does not ask
    ],
)
def test_each_person_is_offered_the_changes_they_may_ask_for(
    client: TestClient, council: Council, email: str, offered: str
) -> None:
    """Only the owner and an administrator may start work; a lead may ask for the rest."""
    ctx = council.ctx
    action_id = add_action(ctx, council.plan_id, "Publish the budget", target=date(2014, 12, 1))
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    sign_in(client, council, email)
    page = client.get(f"/actions/{action_id}").text
    headings = re.findall(r'<h2 id="change-[a-z_]+-heading">([^<]+)</h2>', page)
    assert " | ".join(headings) == offered


def test_an_overlong_reason_is_marked_at_its_box(client: TestClient, council: Council) -> None:
    """The service names the reason as what is wrong; the page links to that box and keeps it."""
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={"csrf_token": token, "trigger": "defer", "reason": "x" * 5_001},
    )
    assert response.status_code == 400
    message = "A reason must be 5,000 characters or fewer; this one has 5,001"
    assert f'<a href="#change-defer-reason">{message}</a>' in response.text
    assert (
        '<p class="error-message" id="change-defer-reason-error"><span class="visually-hidden">'
        f"Error:</span> {message}</p>"
    ) in response.text
    assert f">{'x' * 5_001}</textarea>" in response.text
    assert _pending(council) is None


def test_a_problem_with_a_form_no_longer_shown_is_told_for_the_page(
    client: TestClient, council: Council
) -> None:
    """A change asked from a page opened before a request was made: its form is gone, so the
    problem is said in the summary without a link to a box that is no longer there."""
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    approvals.request_change(
        council.ctx, council.action_id, "revise_target", by_email="alex@council.example",
        reason="Audit moved", new_target_date=date(2014, 12, 31),
    )  # fmt: skip
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={"csrf_token": token, "trigger": "defer", "reason": " "},
    )
    assert response.status_code == 400
    assert "<li>A reason is needed to defer the action</li>" in response.text
    assert 'href="#change-defer-reason"' not in response.text
    assert "Nothing else can be asked for until then." in words(response.text)


def test_a_rating_that_is_not_one_is_marked_at_the_rating(
    client: TestClient, council: Council
) -> None:
    """A crafted rating is refused at the RAG question, whose fieldset the summary links to."""
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": token, "text": "Draft shared", "rag": "purple"},
    )
    assert response.status_code == 400
    message = "&#39;purple&#39; is not a RAG rating (green, amber or red)"
    assert f'<a href="#progress-rag">{message}</a>' in response.text
    assert '<fieldset class="form-group form-group-error" id="progress-rag">' in response.text
    assert f'id="progress-rag-error"><span class="visually-hidden">Error:</span> {message}</p>' in (
        response.text
    )
    assert ">Draft shared</textarea>" in response.text


# The date ledger ------------------------------------------------------------------------------


def test_the_target_date_shows_its_ledger(client: TestClient, council: Council) -> None:
    """Beside the target date: the first one and how often it was changed by approval."""
    ctx = council.ctx
    for new, why in ((date(2015, 3, 31), "Data late"), (date(2015, 6, 30), "Audit moved")):
        asked = approvals.request_change(
            ctx, council.action_id, "revise_target", by_email=OWEN, reason=why,
            new_target_date=new,
        )  # fmt: skip
        assert asked.request_id is not None
        approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email="ruth@council.example")
    sign_in(client, council, OWEN)
    page = words(client.get(f"/actions/{council.action_id}").text)
    assert "Target date Tuesday 30 June 2015" in page
    assert "First due 30 September 2014; re-dated twice." in page
