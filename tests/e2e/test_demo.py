"""`improveflow demo`: the sample council is ready, and its mail page shows working links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from improveflow.demo.mail_view import linked, mail_router
from improveflow.demo.run import parse_span, prepare
from improveflow.exceptions import InvalidValue
from improveflow.services import views
from improveflow.services.context import Context
from improveflow.testing_smtp import CapturingSmtpServer
from improveflow.web.app import create_app


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def demo(tmp_path: Path, smtp: CapturingSmtpServer) -> Iterator[Context]:
    context = prepare(tmp_path, smtp, 8123, timedelta(days=45))
    yield context
    context.close()


def test_fast_forward_leaves_reminders_and_escalations_waiting(
    demo: Context, smtp: CapturingSmtpServer
) -> None:
    """After 45 simulated days the plan is imported, owners were reminded, slippage escalated."""
    actions = list(views.action_rows(demo))
    assert len(actions) == 8
    assert all(action["owner_email"] for action in actions)
    subjects = [message.message["Subject"] for message in smtp.received]
    assert any(subject.startswith("Reminder:") for subject in subjects)
    assert any(subject.startswith("Overdue") for subject in subjects)
    assert views.escalation_rows(demo)


def test_mail_page_lists_every_email_with_clickable_links(
    demo: Context, smtp: CapturingSmtpServer
) -> None:
    """/demo/mail shows each captured email, newest first, its links as working anchors."""
    app = create_app(demo)
    app.include_router(mail_router(smtp))
    page = TestClient(app).get("/demo/mail")
    assert page.status_code == 200
    assert page.text.count('<section class="card">') == smtp.count
    assert '<a href="http://127.0.0.1:8123/actions/' in page.text


def test_mail_text_is_escaped_before_links_are_made() -> None:
    """Text from an email cannot inject markup into the mail page."""
    html = str(linked("Progress: <script>alert(1)</script> see https://x.example/a?b=1&c=2"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://x.example/a?b=1&amp;c=2">' in html


def test_fast_forward_spans() -> None:
    """--fast-forward takes days or weeks, and refuses anything else clearly."""
    assert parse_span("90d") == timedelta(days=90)
    assert parse_span("12w") == timedelta(weeks=12)
    with pytest.raises(InvalidValue, match="90d or 12w"):
        parse_span("3 months")
