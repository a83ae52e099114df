"""Seeing that email is failing: /healthz and /metrics for monitoring (no sign-in, naming
nobody), and the administrators' page, each reporting a mail outage after one dispatch run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from page_words import words
from prometheus_client.parser import text_string_to_metric_families
from web_helpers import BASE, SECRET, Council, add_council, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import delivery, sweep
from improveflow.services.context import Context
from improveflow.testing import make_context
from improveflow.testing.smtp import CapturingSmtpServer
from improveflow.web.app import create_app


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail_ctx(database_url: str, clock: FrozenClock, smtp: CapturingSmtpServer) -> Iterator[Context]:
    context = make_context(
        database_url,
        clock=clock,
        secret_key=SECRET,
        base_url=BASE,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="plans@council.example",
    )
    yield context
    context.close()


@pytest.fixture
def council(mail_ctx: Context) -> Council:
    """The small council, whose approvals have queued a few emails (to Owen, CMT)."""
    found = add_council(mail_ctx)
    assert sweep.queue_due_notices(mail_ctx) > 0
    return found


@pytest.fixture
def web(mail_ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(mail_ctx), base_url=BASE) as client:
        yield client


def _dispatch(ctx: Context, after: timedelta = timedelta()) -> None:
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(after)
    delivery.send_due(ctx)


def _metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_reports_a_mail_outage_after_one_run_then_recovery(
    web: TestClient, council: Council, smtp: CapturingSmtpServer
) -> None:
    """Before: 200 and ok. After one run with the server down: 503, failing, the error and
    the count, no address anywhere. After a run with it back: 200 again, nothing waiting."""
    before = web.get("/healthz")
    assert before.status_code == 200
    assert before.json()["status"] == "ok"
    waiting = before.json()["queued"]
    assert waiting > 0

    smtp.stop()
    _dispatch(council.ctx)
    down = web.get("/healthz")

    assert down.status_code == 503
    facts = down.json()
    assert facts["status"] == "failing"
    assert facts["problems"] == ["mail_failing"]
    assert (facts["queued"], facts["retrying"], facts["last_error_count"]) == (waiting,) * 3
    assert facts["last_error"].startswith(f"Could not connect to the mail server {smtp.host}")
    assert facts["last_sent_at"] is None
    assert "@" not in down.text  # no address, no name: nothing about a person
    assert "Owen" not in down.text
    assert "no-store" in down.headers["cache-control"]

    smtp.start()
    _dispatch(council.ctx, timedelta(minutes=1))
    back = web.get("/healthz")
    assert back.status_code == 200
    assert (back.json()["status"], back.json()["queued"]) == ("ok", 0)


def test_metrics_report_the_outage_in_prometheus_text(
    web: TestClient, council: Council, smtp: CapturingSmtpServer
) -> None:
    """/metrics, unsigned-in, gives the same facts as gauges Prometheus reads."""
    smtp.stop()
    _dispatch(council.ctx)

    response = web.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = _metrics(response.text)
    queued = found[("improveflow_outbox_queued_emails", ())]
    assert queued > 0
    assert found[("improveflow_database_up", ())] == 1
    assert found[("improveflow_email_ok", ())] == 0
    assert found[("improveflow_email_problem", (("problem", "mail_failing"),))] == 1
    assert found[("improveflow_email_problem", (("problem", "mail_stuck"),))] == 0
    assert found[("improveflow_outbox_retrying_emails", ())] == queued
    assert found[("improveflow_outbox_last_error_emails", ())] == queued
    now = council.ctx.clock.now().timestamp()
    assert found[("improveflow_outbox_last_error_timestamp_seconds", ())] == now
    assert ("improveflow_outbox_last_sent_timestamp_seconds", ()) not in found
    assert "@" not in response.text


def test_the_admin_page_says_mail_is_failing_and_why(
    web: TestClient, council: Council, smtp: CapturingSmtpServer
) -> None:
    """An administrator reads that email is not getting out, the error, what waits, and
    how to send failed email again."""
    smtp.stop()
    _dispatch(council.ctx)
    sign_in(web, council, "alex@council.example")

    page = web.get("/admin/email")

    assert page.status_code == 200
    text = words(page.text)
    assert "Email is not getting out" in text
    assert "The last attempt could not reach the mail server" in text
    assert f"Could not connect to the mail server {smtp.host}" in text
    assert "Waiting to go" in text
    assert "Last email sent None yet" in text
    assert "improveflow outbox retry --failed" in text
    assert "No email has failed." in text


def test_the_admin_page_lists_a_refused_email_with_the_reason(
    web: TestClient, council: Council, smtp: CapturingSmtpServer
) -> None:
    """A recipient refused for good is listed under failed emails with the server's words,
    while email as a whole is getting out."""
    smtp.refuse("owen@council.example")
    _dispatch(council.ctx)
    sign_in(web, council, "alex@council.example")

    text = words(web.get("/admin/email").text)

    assert "Email is getting out." in text
    failed = text.split("Failed emails", 1)[1].split("Emails no longer needed", 1)[0]
    assert "Owen Marsh (owen@council.example)" in failed
    assert "550 5.1.1 <owen@council.example>: Recipient unknown" in failed


def test_the_admin_page_is_for_administrators_only(web: TestClient, council: Council) -> None:
    """An owner is told the page is for administrators; nobody signed in is asked to sign in."""
    asked = web.get("/admin/email", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/sign-in")
    sign_in(web, council, "owen@council.example")
    refused = web.get("/admin/email")
    assert refused.status_code == 403
    assert "The email delivery page is for administrators." in words(refused.text)
