"""The progress review pack from the lead's dashboard: on a peer-challenge plan's dashboard, beside
the committee report, a form that makes the pack (a stored snapshot) and downloads it as Word,
PDF or a web page; for the same people as the committee report, under the same PDF size rule,
and on no other kind of plan."""

from __future__ import annotations

import io

import pdfplumber
import pytest
import sqlalchemy as sa
from docx import Document
from fastapi.testclient import TestClient
from page_words import section, words
from web_helpers import Council, csrf, sign_in

from improveflow.models import PersonOrganisation, Plan, PlanKind
from improveflow.services import reports
from improveflow.services.reports import ReportFormat, ReportPack
from improveflow.testing import add_action, add_plan
from improveflow.web import dashboard as dashboard_pages

PIA = "pia@peers.example"  # the peer-challenge lead
OWEN = "owen@council.example"  # an owner
PACK_FORM = 'action="/plans/1/progress-review-pack"'


def _make(
    client: TestClient, plan_id: int, fmt: str, *, csrf_from: str = "dashboard"
) -> tuple[int, bytes, dict[str, str]]:
    page = client.get(f"/plans/{plan_id}/{csrf_from}" if csrf_from else f"/plans/{plan_id}")
    response = client.post(
        f"/plans/{plan_id}/progress-review-pack",
        data={"csrf_token": csrf(page.text), "format": fmt},
    )
    return response.status_code, response.content, dict(response.headers)


def _snapshots(council: Council, plan_id: int) -> int:
    return len(reports.stored_reports(council.ctx, plan_id))


def test_the_lead_downloads_the_pack_in_each_format(client: TestClient, council: Council) -> None:
    """The dashboard offers the pack in Word, PDF and HTML under the committee report; each
    press makes a snapshot and downloads the pack named by it, in its own content type, the
    same bytes as that snapshot's pack produced again, with the plan's actions in it."""
    sign_in(client, council, PIA)
    page = client.get(f"/plans/{council.plan_id}/dashboard").text
    assert page.index('id="report"') < page.index('id="progress-review-pack"')
    offered = section(page, "Progress review pack")
    assert "For the peer challenge's progress review: the timetable as it stands" in offered
    assert "Word (DOCX) PDF Web page (HTML) Make the progress review pack" in offered
    assert PACK_FORM in page

    expected = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
        "html": "text/html; charset=utf-8",
    }
    bodies: dict[str, bytes] = {}
    for snapshot, (fmt, content_type) in enumerate(expected.items(), start=1):
        status, body, headers = _make(client, council.plan_id, fmt)
        assert status == 200
        assert headers["content-type"] == content_type
        assert headers["content-disposition"] == (
            f'attachment; filename="plan-1-progress-review-{snapshot}.{fmt}"'
        )
        stored = reports.stored(council.ctx, snapshot, council.plan_id)
        assert stored.pack is ReportPack.PROGRESS_REVIEW  # kept as the pack it was made for
        assert reports.render(stored.report, ReportFormat(fmt), stored.pack) == body
        bodies[fmt] = body

    document = Document(io.BytesIO(bodies["docx"]))
    assert document.paragraphs[0].text == "Peer Challenge Improvement Plan: progress review pack"
    described = [row.cells[1].text for table in document.tables for row in table.rows]
    assert described == [
        *("Action", "Extend medium term financial strategy"),
        *("Action", "Agree a workforce plan"),
    ]
    with pdfplumber.open(io.BytesIO(bodies["pdf"])) as pdf:
        text = " ".join(" ".join(p.extract_text() or "" for p in pdf.pages).split())
    assert "Peer Challenge Improvement Plan: progress review pack" in text
    assert "Recommendations and their actions" in text
    assert "Agree a workforce plan" in text
    html = bodies["html"].decode("utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert "<h1>Peer Challenge Improvement Plan: progress review pack</h1>" in html
    assert "<td>Extend medium term financial strategy</td>" in html


def test_a_plan_of_another_kind_offers_no_pack(client: TestClient, council: Council) -> None:
    """A service plan's dashboard has the committee report but no progress review pack, and
    asking for one anyway is answered in words, with nothing made."""
    service_plan = add_plan(council.ctx, "Finance service plan", PlanKind.SERVICE_PLAN)
    add_action(council.ctx, service_plan, "Close the accounts")
    sign_in(client, council, PIA)
    page = client.get(f"/plans/{service_plan}/dashboard").text
    assert "Make the committee report" in words(page)
    assert "Progress review pack" not in page
    assert "progress-review-pack" not in page
    status, body, headers = _make(client, service_plan, "docx")
    assert status == 404
    assert "attachment" not in headers.get("content-disposition", "")
    assert (
        "Finance service plan is not a peer-challenge plan, so it has no progress review pack. "
        "Its committee report is on its dashboard."
    ) in words(body.decode())
    assert _snapshots(council, service_plan) == 0


def test_an_owner_cannot_make_the_pack(client: TestClient, council: Council) -> None:
    """The pack is for those who may see dashboards, like the committee report: an owner is
    refused in words, and nothing is stored."""
    sign_in(client, council, OWEN)
    status, body, headers = _make(client, council.plan_id, "docx", csrf_from="")
    assert status == 403
    assert "Plan dashboards are for peer-challenge leads" in words(body.decode())
    assert "attachment" not in headers.get("content-disposition", "")
    assert _snapshots(council, council.plan_id) == 0


def test_another_council_s_plan_answers_as_a_missing_one(
    client: TestClient, council: Council
) -> None:
    """A lead of another council asking for this plan's pack gets the page a missing plan
    gets, and nothing is made."""
    with council.ctx.database.writing() as session:
        session.execute(
            sa.update(Plan).where(Plan.id == council.plan_id).values(organisation="Eastshire")  # type: ignore[arg-type]
        )
        session.add(PersonOrganisation(person_id=council.person_id(PIA), organisation="Westshire"))
    sign_in(client, council, PIA)
    page = client.get("/plans")
    response = client.post(
        f"/plans/{council.plan_id}/progress-review-pack",
        data={"csrf_token": csrf(page.text), "format": "docx"},
    )
    assert response.status_code == 404
    assert f"There is no plan number {council.plan_id} that you can see" in words(response.text)
    assert _snapshots(council, council.plan_id) == 0


def test_a_pdf_too_large_for_a_page_is_kept_and_handed_to_the_command_line(
    client: TestClient, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committee report's PDF size rule holds for the pack: the snapshot is kept and the
    page gives the command that draws the pack, and the formats that are quick."""
    monkeypatch.setattr(dashboard_pages, "WEB_PDF_MAX_ACTIONS", 1)
    sign_in(client, council, PIA)
    status, body, headers = _make(client, council.plan_id, "pdf")
    assert status == 403
    assert "attachment" not in headers.get("content-disposition", "")
    assert (
        "The progress review pack is made and kept as report snapshot 1, but a PDF of 2 actions "
        "takes minutes to draw, longer than a page can wait. Choose Word (DOCX) or web page "
        "(HTML), or ask an administrator to run: improveflow report 1 --pack progress-review "
        "--snapshot 1 --format pdf"
    ) in words(body.decode())
    assert _snapshots(council, council.plan_id) == 1
    status, _, _ = _make(client, council.plan_id, "html")
    assert status == 200
