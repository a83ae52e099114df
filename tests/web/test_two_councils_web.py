"""Two councils on one installation, through the web: a person of one council who posts a form
for the other's action or request, with a valid form token, is answered with the very page a
missing one gets, and nothing is stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from two_councils import (
    NORTH_APPROVED,
    NORTH_DECIDED,
    NORTH_IN_PROGRESS,
    NORTH_WAITING,
    NORTHSHIRE,
    SOUTHSHIRE,
    TwoCouncils,
    add_two_councils,
)
from web_helpers import csrf, follow, new_client

from improveflow.models import Action, ApprovalRequest, AuditEvent, ProgressUpdate
from improveflow.services import milestones, sign_in
from improveflow.services.context import Context
from improveflow.stores import people as people_store
from improveflow.stores.tables import table_of

MISSING = 999_999
# Words that would tell a Southshire person something of Northshire's plan.
NORTHSHIRE_WORDS = (
    "Northshire",
    NORTH_IN_PROGRESS,
    NORTH_APPROVED,
    NORTH_WAITING,
    NORTH_DECIDED,
    "Owen Marsh",
    "Dana Reeve",
    "Sam Patel",
)


@pytest.fixture
def councils(web_ctx: Context) -> TwoCouncils:
    return add_two_councils(web_ctx)


def _signed_in(app: FastAPI, councils: TwoCouncils, email: str) -> TestClient:
    client = new_client(app)
    with councils.ctx.database.reading() as session:
        person_id = people_store.person_by_email(session, email).id
    assert person_id is not None
    response = follow(client, sign_in.signer(councils.ctx).sign_in_link(person_id))
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def southshire_lead(app: FastAPI, councils: TwoCouncils) -> Iterator[TestClient]:
    with _signed_in(app, councils, SOUTHSHIRE.lead) as client:
        yield client


def _token(client: TestClient) -> str:
    """A valid form token for the signed-in session, from the start page's sign-out form."""
    return csrf(client.get("/").text)


def _main(response: Response) -> str:
    found = re.search(r"<main\b.*?</main>", response.text, re.S)
    assert found, response.text
    return found.group(0)


def _as_for_missing(client: TestClient, path: str, real: int, data: dict[str, str]) -> Response:
    """Post `data` to `path` for `real` (another council's) and for an id that does not exist;
    check the two answers are the same page, but for the id, and return the first."""
    other_councils = client.post(path.format(real), data={"csrf_token": _token(client), **data})
    missing = client.post(path.format(MISSING), data={"csrf_token": _token(client), **data})
    assert other_councils.status_code == missing.status_code == 404, other_councils.text
    assert _main(other_councils) == _main(missing).replace(str(MISSING), str(real))
    for words in NORTHSHIRE_WORDS:
        assert words not in other_councils.text, words
    return other_councils


def _counts(ctx: Context) -> tuple[int, int, int]:
    """Progress updates, approval requests and audit events about actions stored so far
    (signing in is audited too, but about no action)."""
    with ctx.database.reading() as session:
        connection = session.connection()
        return (
            connection.execute(
                sa.select(sa.func.count()).select_from(table_of(ProgressUpdate))
            ).scalar_one(),
            connection.execute(
                sa.select(sa.func.count()).select_from(table_of(ApprovalRequest))
            ).scalar_one(),
            connection.execute(
                sa.select(sa.func.count()).where(table_of(AuditEvent).c.action_id.is_not(None))
            ).scalar_one(),
        )


def _state(ctx: Context, action_id: int) -> str:
    with ctx.database.reading() as session:
        action = table_of(Action)
        found = session.connection().execute(
            sa.select(action.c.state).where(action.c.id == action_id)
        )
        return str(found.scalar_one())


def test_progress_on_another_councils_action_is_answered_as_missing(
    southshire_lead: TestClient, councils: TwoCouncils
) -> None:
    """Southshire's lead posting progress, with a RAG, on a Northshire action gets the page a
    missing action gets ('No action with id ...'), and no update is stored."""
    before = _counts(councils.ctx)
    refused = _as_for_missing(
        southshire_lead,
        "/actions/{}/progress",
        councils.north_in_progress,
        {"text": "Reviewed by the Southshire lead", "rag": "red"},
    )
    assert f"No action with id {councils.north_in_progress}" in refused.text
    assert _counts(councils.ctx) == before


def test_change_requests_on_another_councils_actions_are_answered_as_missing(
    app: FastAPI, southshire_lead: TestClient, councils: TwoCouncils
) -> None:
    """Southshire's lead asking to defer a Northshire action, and Southshire's administrator
    starting one, get the page a missing action gets; no request opens, no state moves."""
    before = _counts(councils.ctx)
    _as_for_missing(
        southshire_lead,
        "/actions/{}/change",
        councils.north_in_progress,
        {"trigger": "defer", "reason": "Southshire thinks this can wait"},
    )
    with _signed_in(app, councils, SOUTHSHIRE.admin) as admin:
        _as_for_missing(admin, "/actions/{}/change", councils.north_approved, {"trigger": "start"})
    assert _counts(councils.ctx) == before
    assert _state(councils.ctx, councils.north_in_progress) == "in_progress"
    assert _state(councils.ctx, councils.north_approved) == "approved"


def test_withdrawing_another_councils_request_is_answered_as_missing(
    southshire_lead: TestClient, councils: TwoCouncils
) -> None:
    """Withdrawing Northshire's requests from a Southshire action's page, waiting or decided,
    gets the page a missing request gets: never who asked, who decided or when."""
    before = _counts(councils.ctx)
    path = f"/actions/{councils.south_in_progress}/withdraw"
    token = _token(southshire_lead)
    missing = southshire_lead.post(path, data={"csrf_token": token, "request_id": str(MISSING)})
    assert missing.status_code == 404
    for request_id in (councils.north_request, councils.north_decided_request):
        refused = southshire_lead.post(
            path, data={"csrf_token": token, "request_id": str(request_id)}
        )
        assert refused.status_code == 404, refused.text
        assert _main(refused) == _main(missing).replace(str(MISSING), str(request_id))
        assert f"No approval request with id {request_id}" in refused.text
        for words in NORTHSHIRE_WORDS:
            assert words not in refused.text, words
    assert _counts(councils.ctx) == before


def test_deciding_another_councils_request_is_answered_as_missing(
    app: FastAPI, councils: TwoCouncils
) -> None:
    """Southshire's CMT member approving Northshire's waiting request (CMT decides both
    councils' requests, each its own) gets the page a missing request gets; it stays
    waiting, and Northshire's CMT can still approve it."""
    before = _counts(councils.ctx)
    with _signed_in(app, councils, SOUTHSHIRE.cmt[0]) as dara:
        _as_for_missing(
            dara,
            "/approvals/{}",
            councils.north_request,
            {"verdict": "approve", "comment": "Fine by Southshire"},
        )
    assert _counts(councils.ctx) == before
    with _signed_in(app, councils, NORTHSHIRE.cmt[1]) as sam:
        approved = sam.post(
            f"/approvals/{councils.north_request}",
            data={"csrf_token": _token(sam), "verdict": "approve", "comment": ""},
        )
        assert "You approved this request." in approved.text
    assert _state(councils.ctx, councils.north_waiting) == "approved"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_another_councils_plan_is_not_exported(
    app: FastAPI, southshire_lead: TestClient, councils: TwoCouncils, suffix: str
) -> None:
    """Southshire's lead asking for Northshire's plan as CSV or XLSX gets the page a missing
    plan gets; Northshire's lead gets the file."""
    refused = southshire_lead.get(f"/plans/{councils.north_plan}/export.{suffix}")
    missing = southshire_lead.get(f"/plans/{MISSING}/export.{suffix}")
    assert refused.status_code == missing.status_code == 404
    assert _main(refused) == _main(missing).replace(str(MISSING), str(councils.north_plan))
    for words in NORTHSHIRE_WORDS:
        assert words not in refused.text, words
    with _signed_in(app, councils, NORTHSHIRE.lead) as pia:
        exported = pia.get(f"/plans/{councils.north_plan}/export.{suffix}")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    if suffix == "csv":
        assert NORTH_IN_PROGRESS in exported.text


def test_another_councils_timetable_is_answered_as_missing(
    app: FastAPI, southshire_lead: TestClient, councils: TwoCouncils
) -> None:
    """Southshire's lead, and Southshire's administrator, opening or posting Northshire's form
    that marks its feedback report done get the page a missing plan gets; the milestone stays
    open, and Northshire's own lead marks it done."""
    challenge = date(2014, 3, 14)
    milestones.set_challenge_date(councils.ctx, councils.north_plan, challenge)
    fields = {
        "done_on_day": "30",
        "done_on_month": "5",
        "done_on_year": "2014",
        "link": "https://southshire.example/not-theirs",
    }
    path = "/plans/{}/timetable/feedback-report"
    for page in ("/plans/{}/timetable", path):
        refused = southshire_lead.get(page.format(councils.north_plan))
        missing = southshire_lead.get(page.format(MISSING))
        assert refused.status_code == missing.status_code == 404
        assert _main(refused) == _main(missing).replace(str(MISSING), str(councils.north_plan))
    _as_for_missing(southshire_lead, path, councils.north_plan, fields)
    with _signed_in(app, councils, SOUTHSHIRE.admin) as admin:
        _as_for_missing(admin, path, councils.north_plan, fields)

    def feedback_report() -> milestones.MilestoneView:
        views = milestones.list_milestones(councils.ctx, councils.north_plan)
        return next(view for view in views if view.kind == "feedback_report")

    assert feedback_report().done_on is None
    with _signed_in(app, councils, NORTHSHIRE.lead) as pia:
        done = pia.post(
            path.format(councils.north_plan),
            data={
                "csrf_token": _token(pia),
                **fields,
                "link": "https://northshire.example/feedback-report",
            },
        )
    assert "The feedback report is recorded as published on Friday 30 May 2014" in done.text
    assert feedback_report().done_by == NORTHSHIRE.lead
