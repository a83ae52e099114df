"""The committee report from the lead's dashboard: a form that makes the report (a stored
snapshot) and downloads it, for those who may see dashboards only."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from docx import Document
from fastapi.testclient import TestClient
from page_words import words
from web_helpers import Council, csrf, sign_in

from improveflow.services import reports
from improveflow.web import dashboard as dashboard_pages

PIA = "pia@peers.example"  # the peer-challenge lead
OWEN = "owen@council.example"  # an owner


def _make(client: TestClient, council: Council, fmt: str) -> tuple[int, bytes, dict[str, str]]:
    dashboard = client.get(f"/plans/{council.plan_id}/dashboard")
    assert dashboard.status_code == 200
    response = client.post(
        f"/plans/{council.plan_id}/report",
        data={"csrf_token": csrf(dashboard.text), "format": fmt},
    )
    return response.status_code, response.content, dict(response.headers)


def test_the_dashboard_offers_the_report_and_downloads_it(
    client: TestClient, council: Council
) -> None:
    """The lead presses the button and gets the Word document, named by its snapshot; the
    snapshot is stored and renders to the same bytes again; the PDF and the web page too, each
    counting changes from the same point as the Word document made the same day."""
    sign_in(client, council, PIA)
    page = words(client.get(f"/plans/{council.plan_id}/dashboard").text)
    assert "Committee report" in page
    assert "Make the committee report" in page
    status, body, headers = _make(client, council, "docx")
    assert status == 200
    assert headers["content-disposition"] == 'attachment; filename="plan-1-report-1.docx"'
    document = Document(io.BytesIO(body))
    assert document.paragraphs[0].text == "Peer Challenge Improvement Plan: progress report"
    stored = reports.stored_report(council.ctx, 1, council.plan_id)
    assert reports.render(stored, reports.ReportFormat.DOCX) == body

    status, body, headers = _make(client, council, "pdf")
    assert status == 200
    assert headers["content-type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "\nExceptions\n" in text
    # Made the same day as the Word document, the PDF counts from the same point: both are
    # the plan's first report, not the PDF a report of what changed since the Word one.
    assert "This is the plan's first report: changes are counted from the plan's start." in (
        " ".join(text.split())
    )
    assert "Dana Reeve (approved)" in text  # the appendix's decisions, as in the Word document

    assert "Web page (HTML), to publish on the council's website" in page
    status, body, headers = _make(client, council, "html")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert headers["content-disposition"] == 'attachment; filename="plan-1-report-3.html"'
    assert "<h1>Peer Challenge Improvement Plan: progress report</h1>" in body.decode()
    stored = reports.stored_report(council.ctx, 3, council.plan_id)
    assert reports.render(stored, reports.ReportFormat.HTML) == body


def test_an_owner_cannot_make_the_report(client: TestClient, council: Council) -> None:
    """Reports are for those who may see dashboards: an owner is refused, and nothing is stored."""
    sign_in(client, council, OWEN)
    page = client.get(f"/plans/{council.plan_id}")
    response = client.post(
        f"/plans/{council.plan_id}/report",
        data={"csrf_token": csrf(page.text), "format": "docx"},
    )
    assert response.status_code == 403
    assert (
        "Plan dashboards are for peer-challenge leads, scrutiny officers, the chief executive, "
        "administrators and members of CMT or Cabinet."
    ) in words(response.text)
    assert "attachment" not in response.headers.get("content-disposition", "")


def test_an_unknown_format_is_refused_in_words(client: TestClient, council: Council) -> None:
    """A format the form never offers is refused with the choices, not a server error."""
    sign_in(client, council, PIA)
    status, body, _ = _make(client, council, "odt")
    assert status == 400
    assert "Choose Word (DOCX), PDF or web page (HTML)" in words(body.decode())


def test_a_pdf_too_large_for_a_page_is_kept_and_handed_to_the_command_line(
    client: TestClient, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDF that would take minutes is not drawn in the request: the page says the snapshot
    is kept and gives the command that draws it."""
    monkeypatch.setattr(dashboard_pages, "WEB_PDF_MAX_ACTIONS", 1)
    sign_in(client, council, PIA)
    status, body, headers = _make(client, council, "pdf")
    assert status == 403  # a refusal, as every refused request is answered
    assert "attachment" not in headers.get("content-disposition", "")
    assert (
        "The report is made and kept as report snapshot 1, but a PDF of 2 actions takes "
        "minutes to draw, longer than a page can wait. Choose Word (DOCX) or web page (HTML), "
        "or ask an "
        "administrator to run: improveflow report 1 --snapshot 1 --format pdf"
    ) in words(body.decode())
    assert reports.stored_report(council.ctx, 1, council.plan_id).summary.total == 2
