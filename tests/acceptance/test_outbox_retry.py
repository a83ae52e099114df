"""`improveflow outbox retry` and `improveflow status`, run as an administrator runs them,
against a real SMTP server: a failed email goes once when asked, one that no longer matters
is set aside unless named, every retry is in the audit log, and an outage shows in status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli_runner import Cli

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import AuditEvent, Verdict
from improveflow.services import approvals
from improveflow.stores.tables import table_of
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import CapturingSmtpServer, free_port

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday
DANA, SAM = "dana@council.example", "sam@council.example"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def cli(tmp_path: Path, port: int) -> Cli:
    """A database where Owen has just asked CMT (Dana, Sam) to approve an action."""
    context = make_context(f"sqlite:///{tmp_path / 'improveflow.db'}", clock=FrozenClock(NOW))
    try:
        add_sample_people(context)
        action_id = add_action(context, add_plan(context), "Agree the budget")
        approvals.request_change(context, action_id, "approve", by_email="owen@council.example")
    finally:
        context.close()
    runner = Cli(tmp_path)
    runner.env.update(
        {
            "IMPROVEFLOW_SMTP_HOST": "127.0.0.1",
            "IMPROVEFLOW_SMTP_PORT": str(port),
            "IMPROVEFLOW_SMTP_FROM": "plans@council.example",
            "IMPROVEFLOW_SECRET_KEY": "k" * 32,
        }
    )
    return runner


@pytest.fixture
def refusing_dana(port: int) -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer(port) as server:
        server.refuse(DANA)
        yield server


def _failed_to_dana(cli: Cli) -> int:
    cli("outbox", "send", "--now", NOW.isoformat())
    (row,) = cli("outbox", "list", "--failed", "--json").json()
    assert row["recipient_email"] == DANA
    assert row["why"].startswith("550 5.1.1 <dana@council.example>")
    return int(row["id"])


def _audited(tmp_path: Path) -> list[dict[str, object]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'improveflow.db'}")
    table = table_of(AuditEvent)
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(table.c.data).where(table.c.event == "emails_requeued")
        ).scalars()
        events = [json.loads(data) for data in found]
    engine.dispose()
    return events


def test_retry_sends_a_failed_email_once(
    cli: Cli, refusing_dana: CapturingSmtpServer, port: int, tmp_path: Path
) -> None:
    """Dana's mailbox refused the request for a decision; once it takes mail again,
    `outbox retry --failed` sends it, once, and says so; a second retry finds nothing."""
    row_id = _failed_to_dana(cli)
    assert [got.recipients for got in refusing_dana.received] == [(SAM,)]
    status = cli("status", "--now", "2026-03-02T10:01").out  # not an outage: exit 0
    assert "Failed: 1 email" in status
    assert "550 5.1.1 <dana@council.example>: Recipient unknown" in status
    refusing_dana.stop()

    with CapturingSmtpServer(port) as fixed:
        done = cli("outbox", "retry", "--failed", "--now", "2026-03-02T10:05")
        again = cli("outbox", "retry", "--failed", "--now", "2026-03-02T10:06")
        assert [got.recipients for got in fixed.received] == [(DANA,)]

    assert " ".join(done.out.split()) == (
        "1 email queued again (1 failed, 0 superseded): 1 sent, 0 to retry later, "
        "0 failed, 0 no longer needed."
    )
    assert "No email matched: nothing was queued again." in again.out
    (sent,) = [r for r in cli("outbox", "list", "--json").json() if r["id"] == row_id]
    assert sent["status"] == "sent"
    assert _audited(tmp_path) == [
        {
            "emails": [{"id": row_id, "was": "failed", "attempts": 1}],
            "sent_even_if_superseded": [],
        }
    ]
    cli("audit", "verify")
    refused = cli("outbox", "retry", "--id", str(row_id), expect=1)
    assert f"Email {row_id} was sent: there is nothing to retry" in refused.err


def test_retry_sets_aside_a_failed_email_that_no_longer_matters_unless_named(
    cli: Cli, refusing_dana: CapturingSmtpServer, port: int, tmp_path: Path
) -> None:
    """Sam decides while Dana's email waits failed: `retry --failed` sets it aside as no
    longer needed, with the reason; naming it with --id sends it all the same."""
    row_id = _failed_to_dana(cli)
    context = make_context(f"sqlite:///{tmp_path / 'improveflow.db'}", migrate=False)
    try:
        approvals.decide(context, 1, Verdict.APPROVE, by_email=SAM)
    finally:
        context.close()
    refusing_dana.stop()

    with CapturingSmtpServer(port) as fixed:
        checked = cli("outbox", "retry", "--failed")
        assert fixed.received == []
        (row,) = [r for r in cli("outbox", "list", "--json").json() if r["id"] == row_id]
        assert (row["status"], row["why"]) == (
            "superseded",
            "request 1 was approved before this could be sent",
        )
        named = cli("outbox", "retry", "--id", str(row_id))
        assert [got.recipients for got in fixed.received] == [(DANA,)]

    assert "0 sent" in checked.out
    assert "1 no longer needed" in checked.out
    assert "(0 failed, 1 superseded): 1 sent" in named.out
    assert [event["sent_even_if_superseded"] for event in _audited(tmp_path)] == [[], [row_id]]


def test_retry_needs_to_be_told_which_emails(cli: Cli) -> None:
    """Without --failed, --superseded or --id nothing is guessed: bad usage, exit 2."""
    assert "say which emails" in cli("outbox", "retry", expect=2).err


def test_status_reports_a_mail_outage_after_one_send(cli: Cli) -> None:
    """With nothing listening, one `outbox send`: status exits 1 and says email is not
    getting out, with the error and how many emails it stopped; --json says the same."""
    cli("outbox", "send", "--now", NOW.isoformat())

    down = cli("status", "--now", "2026-03-02T10:01", expect=1)

    assert "NOT WORKING" in down.out
    assert "Problem: Email is not getting out" in " ".join(down.err.split())
    assert "the latest failure of 2 emails not sent: Could not connect" in down.out
    assert "Waiting to go: 2 emails, 2 due now, 2 waiting to be tried again." in down.out
    facts = cli("status", "--now", "2026-03-02T10:01", "--json", expect=1).json()
    assert (facts["status"], facts["problems"], facts["retrying"]) == (
        "failing",
        ["mail_failing"],
        2,
    )
