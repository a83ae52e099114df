"""A scrutiny plan on the pages: the dashboard names its timetable a scrutiny timetable with
the executive's response due, the action page says when the committee signed the action off,
and the export carries the sign-off's day and minute."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from page_words import words
from web_helpers import Council, csrf, sign_in

from improveflow.clock import FrozenClock
from improveflow.models import PlanKind
from improveflow.services import people, plans, scrutiny
from improveflow.testing import add_action, complete_action

_CELL_LABEL = re.compile(r'<span class="cell-label"[^>]*>[^<]*</span>')
OFFICER = "sid@council.example"


def _scrutiny_plan(council: Council, clock: FrozenClock) -> tuple[int, int]:
    """A scrutiny plan whose report the executive received on 12 June 2014, with an action
    signed off on 14 October."""
    people.import_people(
        council.ctx, [people.PersonInput("Sid Amin", OFFICER, (), (), ("scrutiny_officer",))]
    )
    clock.set(datetime(2014, 10, 20, 10, 0, tzinfo=UTC))
    plan_id = plans.create_plan(
        council.ctx,
        "Scrutiny review of transport",
        PlanKind.SCRUTINY,
        report_date=date(2014, 6, 12),
    ).id
    action_id = add_action(council.ctx, plan_id, "R1 Publish the eligibility policy")
    complete_action(council.ctx, action_id)
    scrutiny.sign_off(
        council.ctx, action_id, signed_off_on=date(2014, 10, 14), minute="45/14", by_email=OFFICER
    )
    return plan_id, action_id


def test_the_dashboard_shows_the_scrutiny_timetable_in_words(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """Due by 11 August 2014, the last of the two months beginning with 12 June, and not
    given by 20 October: overdue, under 'Scrutiny timetable',
    never called the peer challenge's."""
    plan_id, _ = _scrutiny_plan(council, clock)
    sign_in(client, council, OFFICER)
    board = client.get(f"/plans/{plan_id}/dashboard")
    assert board.status_code == 200
    unlabelled = _CELL_LABEL.sub("", board.text)
    start = unlabelled.index(">Scrutiny timetable</h2>")
    timetable = words(unlabelled[start : unlabelled.index("</table>", start)])
    assert (
        "Executive response given 11 August 2014 None given Overdue: it was due by Monday "
        "11 August 2014"
    ) in timetable
    assert "When the executive's response to this plan's scrutiny report is due" in timetable
    assert "Peer-challenge timetable" not in board.text


def test_the_action_page_and_the_export_show_the_committees_sign_off(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """The action page says 'Signed off by committee on Tuesday 14 October 2014 (minute
    45/14)'; the CSV export has the day and the minute in their own columns."""
    plan_id, action_id = _scrutiny_plan(council, clock)
    sign_in(client, council, OFFICER)
    page = client.get(f"/actions/{action_id}")
    assert page.status_code == 200
    assert (
        "Scrutiny committee Signed off by committee on Tuesday 14 October 2014 (minute 45/14)"
    ) in words(page.text)
    assert (
        "Signed off by committee on Tuesday 14 October 2014 (minute 45/14), recorded by Sid Amin"
        in (words(page.text))
    )
    other = client.get(f"/actions/{council.action_id}")
    assert "Scrutiny committee" not in other.text
    export = client.get(f"/plans/{plan_id}/export.csv")
    assert export.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert (row["Signed off by committee"], row["Committee minute"]) == ("2014-10-14", "45/14")


def test_the_scrutiny_officer_records_the_executives_response_on_its_own_timetable_page(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """'Record' from the dashboard opens a form worded for the executive's response, never
    the peer challenge's; once saved, the scrutiny timetable says so in words; a link left
    out is asked for as the response's."""
    plan_id, _ = _scrutiny_plan(council, clock)
    sign_in(client, council, OFFICER)
    form_url = f"/plans/{plan_id}/timetable/executive-response"
    assert f'<a href="{form_url}">Mark done' in client.get(f"/plans/{plan_id}/dashboard").text
    page = client.get(f"/plans/{plan_id}/timetable")
    assert page.status_code == 200
    said = words(page.text)
    assert "Scrutiny timetable" in said
    assert (
        "The executive received the report on Thursday 12 June 2014 and must respond within "
        "two months beginning with that day."
    ) in said
    assert "peer" not in said.lower()
    form = client.get(form_url)
    assert form.status_code == 200
    assert "<h1>Mark the executive's response given</h1>" in form.text.replace("&#39;", "'")
    asked = words(form.text)
    assert "Scrutiny report received by the executive Thursday 12 June 2014" in asked
    assert "When was it given?" in asked
    assert "Link to the executive's response" in asked
    assert "peer" not in asked.lower()
    missing = client.post(
        form_url,
        data={"csrf_token": csrf(form.text), "done_on_day": "8", "done_on_month": "10",
              "done_on_year": "2014", "link": ""},
    )  # fmt: skip
    assert "Enter the link to the executive's response" in words(missing.text)
    response = "https://council.example/cabinet/2014-10-08/response"
    done = client.post(
        form_url,
        data={"csrf_token": csrf(form.text), "done_on_day": "8", "done_on_month": "10",
              "done_on_year": "2014", "link": response},
    )  # fmt: skip
    assert done.status_code == 200
    assert (
        "The executive's response is recorded as given on Wednesday 8 October 2014, with the "
        f"link {response}."
    ) in words(done.text).replace("&#39;", "'")


def test_the_timetable_page_says_the_plans_own_period_begins_with_the_day_received(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """With the council's own three months, the page says the executive must respond within
    three months beginning with the day it received the report, and the response is due by 11
    September 2014, the day before the corresponding date."""
    plan_id, _ = _scrutiny_plan(council, clock)
    scrutiny.set_report_date(council.ctx, plan_id, date(2014, 6, 12), response_months=3)
    sign_in(client, council, OFFICER)
    said = words(_CELL_LABEL.sub("", client.get(f"/plans/{plan_id}/timetable").text))
    assert (
        "The executive received the report on Thursday 12 June 2014 and must respond within "
        "three months beginning with that day."
    ) in said
    assert "Executive response given 11 September 2014 None given" in said
