"""`improveflow inbound serve` end to end, with real servers: a reminder sent to a loopback
SMTP server carries a reply address; replies built as Outlook and Gmail build them, sent over
SMTP to the real command, become the progress update, RAG and completion request shown on the
action page; the owner is sent a confirmation; an oversized reply is refused at the door."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from improveflow.clock import FrozenClock
from improveflow.models import Outbox
from improveflow.services import bundling
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.testing.smtp import LOOPBACK, CapturingSmtpServer, free_port
from tests.reply_council import (
    OWEN,
    RepliesCouncil,
    action_page,
    command_env,
    kept_replies,
    mail_council,
    reminder_reply_to,
)
from tests.reply_mail import gmail_reply, outlook_reply

BASE = "http://testserver"
SENDER = "plans@council.example"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def council(database_url: str, smtp: CapturingSmtpServer) -> Iterator[RepliesCouncil]:
    made = mail_council(database_url, smtp, BASE)
    yield made
    made.ctx.close()


@pytest.fixture
def inbound(council: RepliesCouncil, tmp_path: Path) -> Iterator[int]:
    """`improveflow inbound serve` on a free loopback port, as a council would run it."""
    port = free_port()
    env = command_env(council, IMPROVEFLOW_REPLY_MAX_BYTES="5000000")
    process = subprocess.Popen(
        [sys.executable, "-m", "improveflow", "inbound", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
        assert "Traceback" not in err, err


def _wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"inbound serve stopped: {process.communicate()}")
        try:
            with smtplib.SMTP(LOOPBACK, port, timeout=1) as probe:
                probe.noop()
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("inbound serve did not start listening")


def _send(port: int, message: object, to: str) -> None:
    with smtplib.SMTP(LOOPBACK, port, timeout=30) as client:
        client.send_message(message, from_addr=OWEN, to_addrs=[to])  # type: ignore[arg-type]


def _due(ctx: Context, template: str) -> datetime:
    with ctx.database.reading() as session:
        [due_at] = session.exec(select(Outbox.due_at).where(Outbox.template == template)).all()
        return due_at


def test_replies_sent_to_inbound_serve_show_on_theaction_page(
    council: RepliesCouncil, smtp: CapturingSmtpServer, inbound: int
) -> None:
    """An Outlook reply rating the action amber and a Gmail reply saying DONE, each with its
    quoted email, signature and HTML part, are recorded as Owen's: the page shows both updates
    (no signature or quoted text), the amber rating and the completion request waiting for
    CMT. Owen then gets one confirmation saying so."""
    ctx = council.ctx
    reply_to = reminder_reply_to(council, smtp)
    _send(
        inbound,
        outlook_reply("RAG AMBER\nContractor appointed; two weeks behind.", to=reply_to),
        reply_to,
    )
    _send(inbound, gmail_reply("DONE\nAll repairs finished and signed off.", to=reply_to), reply_to)
    assert [kept.outcome for kept in kept_replies(ctx)] == ["recorded", "recorded"]

    page = action_page(ctx, council.action_id, council.person_id(OWEN))
    assert "Contractor appointed; two weeks behind." in page
    assert "All repairs finished and signed off." in page
    assert "Kind regards" not in page
    assert "Your action is due in 5 working days" not in page
    assert "Amber" in page
    assert "Waiting for a decision" in page
    assert "mark the action complete" in page

    # The command recorded the replies at the real time; bundle then, and send when due (the
    # next working morning, if that was a weekend).
    smtp.clear()
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    clock.set(datetime.now(UTC))
    bundling.bundle_due_by_page(ctx, clock.now())
    clock.set(max(clock.now(), _due(ctx, "reply_recorded")))
    send_due(ctx, now=clock.now())
    [confirmation] = smtp.to(OWEN)
    body = confirmation.message.get_body(preferencelist=("plain",))
    assert body is not None
    words = body.get_content()
    assert "Recorded your reply on 'Improve housing repairs'" in words
    assert "RAG status: Amber" in words
    assert "You asked to mark the action complete. The Corporate Management Team will decide" in (
        words
    )


def test_an_oversized_reply_is_refused_at_the_door(
    council: RepliesCouncil, smtp: CapturingSmtpServer, inbound: int
) -> None:
    """A 10 MB reply is refused with 552 while it is being sent, so the owner's own mail
    system tells them; nothing is recorded."""
    reply_to = reminder_reply_to(council, smtp)
    message = gmail_reply("Photos attached", to=reply_to)
    message.add_attachment(b"\0" * 10_000_000, maintype="image", subtype="jpeg", filename="a.jpg")
    with pytest.raises(smtplib.SMTPException) as refused:
        _send(inbound, message, reply_to)
    assert "552" in str(refused.value)
    assert kept_replies(council.ctx) == []
