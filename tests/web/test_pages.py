"""The pages people use: the owner's forms, the queue, plans, the workflow, signing out."""

from __future__ import annotations

import csv
import http.client
import io
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from web_helpers import Council, csrf, follow, new_client, sign_in

from improveflow.models import Rag
from improveflow.services import approvals, progress
from improveflow.services import sign_in as sign_in_service
from improveflow.services.context import Context
from improveflow.stores import actions as action_store
from improveflow.stores import people as people_store
from improveflow.stores import requests as request_store
from improveflow.testing.smtp import free_port
from improveflow.web.pages import local_path
from improveflow.web.serve import server_for


def _pending(council: Council) -> str | None:
    with council.ctx.database.reading() as session:
        found = request_store.pending_request_for(session, council.action_id)
        return found.transition if found else None


def test_owner_records_progress_and_rag(client: TestClient, council: Council) -> None:
    """The update is saved with its RAG, and the page says so after the redirect."""
    sign_in(client, council, "owen@council.example")
    page = client.get(f"/actions/{council.action_id}")
    assert "Add a progress update" in page.text
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": csrf(page.text), "text": "Draft shared with CMT", "rag": "amber"},
    )
    assert response.status_code == 200
    assert "Your progress update has been saved" in response.text
    with council.ctx.database.reading() as session:
        assert action_store.action_by_id(session, council.action_id).rag == "amber"
        latest = action_store.latest_progress(session, council.action_id)
        assert latest is not None
        assert latest.text == "Draft shared with CMT"


def test_empty_progress_is_refused_beside_its_field(client: TestClient, council: Council) -> None:
    """No text: the error summary links to the field, and the chosen RAG is kept."""
    sign_in(client, council, "owen@council.example")
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": token, "text": "  ", "rag": "red"},
    )
    assert response.status_code == 400
    assert '<a href="#progress-text">A progress update needs some text</a>' in response.text
    assert 'id="progress-rag-red" name="rag" value="red" checked' in response.text


def test_owner_asks_for_a_new_target_date(client: TestClient, council: Council) -> None:
    """A new date with a reason opens a request for Cabinet (a peer-challenge plan)."""
    sign_in(client, council, "owen@council.example")
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={
            "csrf_token": token,
            "trigger": "revise_target",
            "reason": "Waiting for the budget",
            "new_target_day": "31",
            "new_target_month": "12",
            "new_target_year": "2014",
        },
    )
    assert response.status_code == 200
    assert "Your request has been sent for approval" in response.text
    assert "Wednesday 31 December 2014" in response.text
    assert _pending(council) == "revise_target"


def test_a_date_that_is_not_a_date_is_explained(client: TestClient, council: Council) -> None:
    """A date that does not exist keeps the reason and points at the day box."""
    sign_in(client, council, "owen@council.example")
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={
            "csrf_token": token,
            "trigger": "revise_target",
            "reason": "Budget moved",
            "new_target_day": "31",
            "new_target_month": "02",
            "new_target_year": "2015",
        },
    )
    assert response.status_code == 400
    assert '<a href="#change-revise_target-date-day">Target date must be a real date</a>' in (
        response.text
    )
    assert ">Budget moved</textarea>" in response.text
    assert _pending(council) is None


def test_deferral_needs_a_reason(client: TestClient, council: Council) -> None:
    """The workflow's own rule comes back as an error on the reason field."""
    sign_in(client, council, "owen@council.example")
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={"csrf_token": token, "trigger": "defer", "reason": ""},
    )
    assert response.status_code == 400
    assert 'href="#change-defer-reason">A reason is needed to defer the action' in response.text


def test_requester_withdraws_a_request(client: TestClient, council: Council) -> None:
    """While a request waits, the owner sees it and may take it back."""
    progress.record_progress(
        council.ctx, council.action_id, "Done", Rag.GREEN, by_email="owen@council.example"
    )
    opened = approvals.request_change(
        council.ctx, council.action_id, "complete", by_email="owen@council.example"
    )
    sign_in(client, council, "owen@council.example")
    page = client.get(f"/actions/{council.action_id}")
    assert "Waiting for a decision" in page.text
    assert "Mark the action complete</button>" not in page.text
    response = client.post(
        f"/actions/{council.action_id}/withdraw",
        data={"csrf_token": csrf(page.text), "request_id": str(opened.request_id)},
    )
    assert "Your request has been withdrawn" in response.text
    assert _pending(council) is None


def test_someone_else_sees_the_action_without_its_forms(
    client: TestClient, council: Council
) -> None:
    """Priya owns another action: she can read Owen's, but has nothing to change on it."""
    sign_in(client, council, "priya@council.example")
    page = client.get(f"/actions/{council.action_id}")
    assert page.status_code == 200
    assert "Add a progress update" not in page.text
    assert "Mark the action complete" not in page.text


def test_queue_shows_what_changes_who_asks_and_why(client: TestClient, council: Council) -> None:
    """Oldest first, with the reason and the action's latest progress."""
    progress.record_progress(
        council.ctx, council.action_id, "Adopted by Council", None, by_email="owen@council.example"
    )
    approvals.request_change(
        council.ctx, council.action_id, "complete", by_email="owen@council.example", reason="Done"
    )
    approvals.request_change(
        council.ctx, council.drafted_id, "approve", by_email="priya@council.example"
    )
    sign_in(client, council, "dana@council.example")
    queue = client.get("/approvals")
    assert queue.status_code == 200
    assert "2 requests are waiting" in queue.text
    first = queue.text.index("Mark the action complete")
    second = queue.text.index("Approve the action")
    assert first < second
    assert "From in progress to complete" in queue.text
    assert "Owen Marsh" in queue.text
    assert "Adopted by Council" in queue.text


def test_people_outside_every_body_get_no_queue(client: TestClient, council: Council) -> None:
    """An owner is told the queue is for approving bodies."""
    sign_in(client, council, "owen@council.example")
    response = client.get("/approvals")
    assert response.status_code == 403
    assert "approving body" in response.text


def test_home_page_depends_on_who_you_are(app: FastAPI, council: Council) -> None:
    """Owners start at My actions, approvers who own nothing at their queue, everyone else at the
    plans."""
    with new_client(app) as dana, new_client(app) as owen:
        sign_in(dana, council, "dana@council.example")
        sign_in(owen, council, "owen@council.example")
        assert dana.get("/", follow_redirects=False).headers["location"] == "/approvals"
        assert owen.get("/", follow_redirects=False).headers["location"] == "/my-actions"


def test_plan_page_groups_actions_by_theme_and_objective(
    client: TestClient, council: Council
) -> None:
    """Each theme is a heading with its objectives and their actions beneath."""
    sign_in(client, council, "pia@peers.example")
    plans = client.get("/plans")
    assert "Peer Challenge Improvement Plan" in plans.text
    assert f'href="/plans/{council.plan_id}/dashboard"' in plans.text
    page = client.get(f"/plans/{council.plan_id}")
    assert page.status_code == 200
    finance = page.text.index("<h2>Financial Planning and Viability</h2>")
    people = page.text.index("<h2>People</h2>")
    assert finance < page.text.index("Extend medium term financial strategy") < people
    assert people < page.text.index("Agree a workforce plan")


def test_workflow_page_shows_its_diagram(client: TestClient, council: Council) -> None:
    """An SVG diagram drawn on the server, no Mermaid text, and a table of who decides."""
    sign_in(client, council, "owen@council.example")
    page = client.get("/workflow")
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert "stateDiagram-v2" not in page.text
    assert "Corporate Management Team" in page.text


def test_dashboard_counts_filters_and_exports(client: TestClient, council: Council) -> None:
    """Counts by state and RAG; the table filters; CSV and XLSX hold the same rows, safely."""
    progress.record_progress(
        council.ctx, council.action_id, "=HYPERLINK(1)", Rag.RED, by_email="owen@council.example"
    )
    sign_in(client, council, "pia@peers.example")
    board = client.get(f"/plans/{council.plan_id}/dashboard")
    assert board.status_code == 200
    assert '<span class="count">2</span> in all' in board.text
    assert '<span class="count">1</span> red' in board.text
    assert "<svg" in board.text
    filtered = client.get(f"/plans/{council.plan_id}/dashboard", params={"state": "drafted"})
    assert "Agree a workforce plan" in filtered.text
    assert "/actions/1" not in filtered.text.split("The plan's actions")[1]
    exported = client.get(f"/plans/{council.plan_id}/export.csv")
    assert exported.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:6] == [
        "Action ID",
        "Theme",
        "Challenge ref",
        "Challenge",
        "Action ref",
        "Action",
    ]
    assert len(rows) == 3
    assert "'=HYPERLINK(1)" in rows[1]
    workbook = load_workbook(
        io.BytesIO(client.get(f"/plans/{council.plan_id}/export.xlsx").content)
    )
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Action ID"  # the header is the first row
    assert "'=HYPERLINK(1)" in values[1]
    assert sheet.cell(row=2, column=19).data_type == "s"  # Latest progress, as text


def test_sign_out_ends_the_session(client: TestClient, council: Council) -> None:
    """After signing out, the same cookie no longer opens a page."""
    sign_in(client, council, "owen@council.example")
    token = csrf(client.get("/plans").text)
    cookie = client.cookies["improveflow_session"]
    response = client.post("/sign-out", data={"csrf_token": token})
    assert "You have signed out" in response.text
    client.cookies.set("improveflow_session", cookie)
    assert client.get("/plans", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/approvals", "/approvals"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        (None, "/"),
    ],
)
def test_only_local_paths_are_followed(candidate: str | None, expected: str) -> None:
    """A `next` address can never send someone to another site."""
    assert local_path(candidate) == expected


def test_preferences_link_from_an_email_footer(app: FastAPI, council: Council) -> None:
    """The footer's link signs in to the choice of delivery, which is saved."""
    owen = council.person_id("owen@council.example")
    link = sign_in_service.signer(council.ctx).preferences_link(owen)
    with new_client(app) as browser:
        page = follow(browser, link)
        assert page.status_code == 200
        assert 'value="immediate" checked' in page.text
        saved = browser.post(
            "/preferences", data={"csrf_token": csrf(page.text), "delivery": "daily_digest"}
        )
    assert "Your choice has been saved" in saved.text
    with council.ctx.database.reading() as session:
        assert people_store.person_by_id(session, owen).reminder_delivery == "daily_digest"


def test_server_answers_on_loopback(web_ctx: Context) -> None:
    """What `improveflow serve` runs: uvicorn on the given host and port, stopped cleanly."""
    port = free_port()
    server = server_for(web_ctx, "127.0.0.1", port, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/help")
        response = connection.getresponse()
        assert response.status == 200
        assert b"Help with links and signing in" in response.read()
        connection.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
