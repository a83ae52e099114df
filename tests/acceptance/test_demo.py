"""`improveflow demo`: the sample council is ready, and its mailbox reads like a mail client."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from improveflow.demo.mail_view import linked
from improveflow.demo.run import demo_app, parse_span, prepare
from improveflow.exceptions import InvalidValue
from improveflow.services import views
from improveflow.services.context import Context
from improveflow.testing.smtp import CapturingSmtpServer


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


@pytest.fixture
def mail_client(demo: Context, smtp: CapturingSmtpServer) -> TestClient:
    return TestClient(demo_app(demo, smtp))


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], flags=re.S)


def test_mail_page_lists_time_recipient_and_subject_newest_first(
    mail_client: TestClient, smtp: CapturingSmtpServer
) -> None:
    """/demo/mail is a list (sent, to, subject), one row per email, with no bodies or links."""
    page = mail_client.get("/demo/mail")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == smtp.count
    newest = smtp.received[-1]
    assert f'href="/demo/mail/{smtp.count}"' in rows[0]
    assert str(escape(newest.message["Subject"])) in rows[0]
    assert escape(newest.recipients[0]) in rows[0]
    assert re.search(r"\d\d:\d\d on \d{1,2} [A-Z][a-z]+ \d{4}", rows[0])
    assert "token=" not in page.text
    assert f"{smtp.count} emails." in page.text


def test_mail_page_filters_by_recipient_with_a_form(
    mail_client: TestClient, smtp: CapturingSmtpServer
) -> None:
    """A GET form picks one recipient; the list then holds exactly the emails sent to them."""
    page = mail_client.get("/demo/mail").text
    form = page.split('<form method="get" action="/demo/mail"')[1].split("</form>")[0]
    options = re.findall(r'<option value="([^"]*)"', form)
    assert options[0] == ""  # everyone
    assert "dana@demo.council.example" in options
    filtered = mail_client.get("/demo/mail", params={"to": "dana@demo.council.example"}).text
    rows = _rows(filtered)
    assert len(rows) == len(smtp.to("dana@demo.council.example")) > 0
    assert all("dana@demo.council.example" in row for row in rows)
    assert '<option value="dana@demo.council.example" selected>' in filtered
    assert "Show everyone" in filtered
    # An address nobody was sent anything shows everything, not an empty page.
    assert len(_rows(mail_client.get("/demo/mail", params={"to": "x@y.example"}).text)) == (
        smtp.count
    )


def test_an_email_opens_with_its_html_sandboxed_and_its_text_one_click_away(
    mail_client: TestClient, smtp: CapturingSmtpServer
) -> None:
    """The email's page frames its HTML (sandboxed, served under a policy that runs nothing)."""
    number = next(
        n for n, m in enumerate(smtp.received, 1) if m.message["Subject"].startswith("Overdue")
    )
    message = smtp.received[number - 1].message
    page = mail_client.get(f"/demo/mail/{number}").text
    frame = re.search(r"<iframe [^>]*>", page)
    assert frame is not None
    assert f'src="/demo/mail/{number}/body"' in frame.group(0)
    sandbox = re.search(r'sandbox="([^"]*)"', frame.group(0))
    assert sandbox is not None
    assert "allow-scripts" not in sandbox.group(1)
    assert "allow-same-origin" not in sandbox.group(1)
    assert f'href="/demo/mail/{number}/text"' in page
    assert f'href="/demo/mail/{number}.eml"' in page

    body = mail_client.get(f"/demo/mail/{number}/body")
    assert body.headers["content-type"].startswith("text/html")
    policy = body.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'none'", "object-src 'none'",
                      "frame-ancestors 'self'", "sandbox"):  # fmt: skip
        assert directive in policy
    assert body.headers["x-frame-options"] == "SAMEORIGIN"
    html = message.get_body(("html",)).get_content()
    assert '<base target="_top">' in body.text
    assert body.text.replace('<base target="_top">', "") == html

    text = mail_client.get(f"/demo/mail/{number}/text").text
    plain = message.get_body(("plain",)).get_content()
    first_line = plain.strip().splitlines()[0]
    assert str(escape(first_line)) in text
    link = re.search(r"http://127\.0\.0\.1:8123/\S+", plain)
    assert link is not None
    assert f'<a href="{escape(link.group(0))}">' in text
    assert mail_client.get("/demo/mail/9999").status_code == 404
    assert mail_client.get("/demo/mail/9999/body").status_code == 404


def test_an_email_downloads_as_an_eml_file(
    mail_client: TestClient, smtp: CapturingSmtpServer
) -> None:
    """Each email downloads as the .eml a mail program opens: the bytes that arrived."""
    received = smtp.received[0]
    download = mail_client.get("/demo/mail/1.eml")
    assert download.headers["content-type"] == "message/rfc822"
    assert download.headers["content-disposition"] == (
        'attachment; filename="improveflow-demo-email-1.eml"'
    )
    assert download.content == received.raw
    parsed = email.message_from_bytes(download.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == received.message["Subject"]
    assert parsed["To"] == received.message["To"]
    assert parsed.get_body(("plain",)) is not None
    assert parsed.get_body(("html",)) is not None


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
