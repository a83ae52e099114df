"""From the sweep to a real SMTP server: what an owner and an approver actually receive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.links import LinkSigner
from improveflow.models import Verdict
from improveflow.notify.dispatch import send_due
from improveflow.services import approvals, sweep
from improveflow.services.context import Context
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing_smtp import CapturingSmtpServer

SECRET = "a-test-signing-key-of-some-length"
BASE = "https://plans.council.example"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail_ctx(tmp_path: Path, smtp: CapturingSmtpServer) -> Iterator[Context]:
    clock = FrozenClock(datetime(2014, 7, 20, 12, 0, tzinfo=LONDON))
    context = make_context(
        f"sqlite:///{tmp_path / 'mail.db'}",
        clock=clock,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
        secret_key=SECRET,
        base_url=BASE,
    )
    add_sample_people(context)
    yield context
    context.close()


def _links(text: str) -> list[str]:
    return re.findall(r"https://plans\.council\.example/[^\s\"<>]+", text)


def test_owner_reminder_arrives_with_both_parts_and_working_links(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """The 5-working-day reminder reaches the owner as text and HTML, with a link that verifies."""
    clock = mail_ctx.clock
    assert isinstance(clock, FrozenClock)
    plan_id = add_plan(mail_ctx)
    action_id = add_action(
        mail_ctx, plan_id, "Extend medium term financial strategy", target=date(2014, 8, 29)
    )
    opened = approvals.request_change(
        mail_ctx, action_id, "approve", by_email="owen@council.example"
    )
    assert opened.request_id is not None
    approvals.decide(mail_ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    smtp.clear()
    when = datetime(2014, 8, 21, 9, 5, tzinfo=LONDON)
    clock.set(when)
    report = sweep.sweep(mail_ctx, now=when)
    assert [d.kind for d in report.decisions] == ["reminder"]
    sent = send_due(mail_ctx, now=when)
    reminders = [m for m in smtp.to("owen@council.example") if "Reminder" in m.message["Subject"]]
    assert len(reminders) == 1, [m.message["Subject"] for m in smtp.received]
    message = reminders[0].message
    assert message["Subject"] == (
        "Reminder: 'Extend medium term financial strategy' is due in 5 working days"
    )
    assert message["To"] == "Owen Marsh <owen@council.example>"
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/preferences?token=")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Friday 29 August 2014" in text
    assert "Friday 29 August 2014" in html
    signer = LinkSigner(SECRET, BASE, timedelta(days=14))
    action_links = [link for link in _links(text) if "/actions/" in link]
    assert action_links
    token = action_links[0].split("token=")[1]
    assert signer.verify(token, "action", when)["action"] == action_id
    assert sent.sent >= 1


def test_approval_request_reaches_each_member_and_decision_reaches_the_requester(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Opening a request emails every CMT member but the requester; deciding emails the owner."""
    plan_id = add_plan(mail_ctx)
    action_id = add_action(mail_ctx, plan_id, "Publish the workforce plan")
    opened = approvals.request_change(
        mail_ctx, action_id, "approve", by_email="owen@council.example"
    )
    assert opened.request_id is not None
    now = mail_ctx.clock.now()
    sweep.queue_due_notices(mail_ctx, now=now)
    send_due(mail_ctx, now=now)
    to_cmt = sorted(r for m in smtp.received for r in m.recipients)
    assert to_cmt == ["dana@council.example", "sam@council.example"]
    approval = smtp.to("dana@council.example")[0].message
    assert approval["Subject"].startswith("Approval needed:")
    link = next(
        found
        for found in _links(approval.get_body(("plain",)).get_content())
        if "/approvals/" in found
    )
    assert f"/approvals/{opened.request_id}?token=" in link
    approvals.decide(mail_ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    sweep.queue_due_notices(mail_ctx, now=now)
    send_due(mail_ctx, now=now)
    decision = smtp.to("owen@council.example")[-1].message
    assert decision["Subject"].startswith("Approved:")
    assert "Dana Reeve" in decision.get_body(("plain",)).get_content()
