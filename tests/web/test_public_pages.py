"""The public progress page and its open data, read as an anonymous visitor, and the action
page's form by which an approver marks progress public."""

from __future__ import annotations

import csv
import io
import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from page_words import words as visible_text
from web_helpers import Council, csrf, new_client, sign_in

from improveflow.models import Rag
from improveflow.services import progress, publication

SLUG = "peer-challenge-improvement-plan"
PUBLIC = f"/public/plans/{SLUG}"
DANA = "dana@council.example"
OWEN = "owen@council.example"


def _published(council: Council) -> tuple[int, int]:
    """The council's plan published, with one update marked public and a later one not."""
    ctx = council.ctx
    shown = progress.record_progress(
        ctx, council.action_id, "Five-year model drafted", Rag.AMBER, by_email=OWEN
    )
    hidden = progress.record_progress(
        ctx, council.action_id, "Between us: the gap is £4m", None, by_email=OWEN
    )
    publication.mark_progress(ctx, shown, public=True, by_email=DANA)
    publication.publish_plan(ctx, council.plan_id, by_email=DANA)
    return shown, hidden


def _no_cookies(response: Response) -> None:
    assert "set-cookie" not in response.headers, response.headers.get("set-cookie")


def test_anyone_reads_a_published_plan_without_signing_in(council: Council, app: FastAPI) -> None:
    """The page names the plan, says when it was last updated, shows agreed actions with the
    lead as written and the public progress, never the owner's name or the private update,
    and sets no cookie."""
    _published(council)
    with new_client(app) as visitor:
        response = visitor.get(PUBLIC)
    assert response.status_code == 200
    _no_cookies(response)
    words = visible_text(response.text)
    assert "Peer Challenge Improvement Plan" in words
    assert "Last updated Monday 2 June 2014." in words
    assert "Five-year model drafted" in words
    assert "Between us" not in response.text
    assert "Owen Marsh" not in words
    assert "owen@council.example" not in response.text
    assert "Not stated" in words  # the sample action has no lead written in the plan
    assert "Agree a workforce plan" not in words  # drafted: not agreed yet
    assert "Actions that are still drafted, not yet agreed, are not shown." in words
    assert 'action="' not in response.text  # no form: nothing to sign, nothing to post


def test_a_signed_in_visitor_is_nobody_on_the_public_page(
    client: TestClient, council: Council
) -> None:
    """Signed in or not, the public page shows no name, no menu and no sign-out form."""
    _published(council)
    sign_in(client, council, DANA)
    response = client.get(PUBLIC)
    assert response.status_code == 200
    _no_cookies(response)
    assert "Dana Reeve" not in response.text
    assert "Sign out" not in response.text


def test_open_data_has_the_same_rows_and_only_public_fields(council: Council, app: FastAPI) -> None:
    """CSV and JSON carry the page's rows: lead, state, RAG, target and public progress only."""
    _published(council)
    with new_client(app) as visitor:
        as_csv = visitor.get(f"{PUBLIC}.csv")
        as_json = visitor.get(f"{PUBLIC}.json")
    for response in (as_csv, as_json):
        assert response.status_code == 200
        _no_cookies(response)
        assert "Owen" not in response.text
        assert "owen@" not in response.text
        assert "Between us" not in response.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert list(rows[0]) == list(publication.OPEN_DATA_FIELDS)
    data = json.loads(as_json.text)
    assert data["plan"] == "Peer Challenge Improvement Plan"
    assert data["actions"] == [{**row, **_nulls(row)} for row in rows]
    assert [(a["state"], a["rag"], a["target_date"], a["progress"]) for a in data["actions"]] == [
        ("In progress", "amber", "2014-09-30", "Five-year model drafted")
    ]


def _nulls(row: dict[str, str]) -> dict[str, str | None]:
    """A CSV's empty cells are the JSON's nulls."""
    return {key: None for key, value in row.items() if value == ""}


def test_unknown_and_unpublished_plans_are_not_found(council: Council, app: FastAPI) -> None:
    """An address never published, and one withdrawn, answer 404 in all three forms."""
    _published(council)
    publication.unpublish_plan(council.ctx, council.plan_id, by_email=DANA)
    with new_client(app) as visitor:
        for path in (PUBLIC, f"{PUBLIC}.csv", f"{PUBLIC}.json", "/public/plans/no-such-plan"):
            response = visitor.get(path)
            assert response.status_code == 404, path
            _no_cookies(response)
            assert "Five-year model" not in response.text


def test_an_approver_marks_progress_public_on_the_action_page(
    client: TestClient, council: Council, app: FastAPI
) -> None:
    """A CMT member sees a Mark public button per update; pressing it marks that update, the
    page says so, and the public page then shows it."""
    ctx = council.ctx
    update = progress.record_progress(ctx, council.action_id, "Model agreed", None, by_email=OWEN)
    publication.publish_plan(ctx, council.plan_id, by_email=DANA)
    sign_in(client, council, DANA)
    page = client.get(f"/actions/{council.action_id}")
    assert "Mark public" in page.text
    assert f'href="{PUBLIC}">public progress page</a>' in page.text
    done = client.post(
        f"/actions/{council.action_id}/progress/{update}/public",
        data={"csrf_token": csrf(page.text), "public": "yes"},
    )
    assert done.status_code == 200
    words = visible_text(done.text)
    assert "The progress update is marked public." in words
    assert re.search(r"Marked public by Dana Reeve at", words)
    assert "Take off the public page" in words
    assert "Model agreed" in new_client(app).get(PUBLIC).text


def test_the_owner_sees_no_marking_form_and_is_refused_if_they_post(
    client: TestClient, council: Council, app: FastAPI
) -> None:
    """An owner has no button; a forged POST is refused with who may, and nothing is marked."""
    ctx = council.ctx
    update = progress.record_progress(ctx, council.action_id, "Model agreed", None, by_email=OWEN)
    sign_in(client, council, OWEN)
    page = client.get(f"/actions/{council.action_id}")
    assert "Mark public" not in page.text
    refused = client.post(
        f"/actions/{council.action_id}/progress/{update}/public",
        data={"csrf_token": csrf(page.text), "public": "yes"},
    )
    assert refused.status_code == 403
    assert (
        "Owen Marsh cannot mark progress public: only members of CMT or Cabinet, the bodies "
        "that decide this plan's changes, may" in visible_text(refused.text)
    )
    publication.publish_plan(ctx, council.plan_id, by_email=DANA)
    assert "Model agreed" not in new_client(app).get(PUBLIC).text


def test_marking_needs_the_form_token(client: TestClient, council: Council, app: FastAPI) -> None:
    """Without its CSRF token the POST is refused and nothing is marked."""
    ctx = council.ctx
    update = progress.record_progress(ctx, council.action_id, "Model agreed", None, by_email=OWEN)
    sign_in(client, council, DANA)
    refused = client.post(
        f"/actions/{council.action_id}/progress/{update}/public", data={"public": "yes"}
    )
    assert refused.status_code == 403
    publication.publish_plan(ctx, council.plan_id, by_email=DANA)
    assert "Model agreed" not in new_client(app).get(PUBLIC).text
