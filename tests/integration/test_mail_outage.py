"""A mail server down for hours or days: nothing that still matters is lost, nothing that no
longer does is sent late, and nobody has to run a command. Real SMTP, real databases, the
scheduler's dispatch job ticking through simulated time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from mail_ticks import Dispatcher, mail_context, server_down
from sqlmodel import col, select

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Outbox, OutboxStatus, PlanKind, Verdict
from improveflow.services import approvals, delivery, progress, sweep
from improveflow.services.context import Context
from improveflow.testing import add_action, add_owners_with_actions, add_plan, add_sample_people
from improveflow.testing.smtp import CapturingSmtpServer

START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)  # a Monday morning
OWEN, PRIYA = "owen@council.example", "priya@council.example"
DANA, SAM = "dana@council.example", "sam@council.example"  # CMT


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail(ctx: Context, smtp: CapturingSmtpServer) -> Context:
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(START)
    return mail_context(ctx, smtp)


def _rows(ctx: Context) -> list[Outbox]:
    with ctx.database.reading() as session:
        found = list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())
        session.expunge_all()
    return found


def _copies(smtp: CapturingSmtpServer) -> Counter[str]:
    return Counter(recipient for got in smtp.received for recipient in got.recipients)


def _subjects(smtp: CapturingSmtpServer, address: str) -> list[str]:
    return [" ".join(str(got.message["Subject"]).split()) for got in smtp.to(address)]


def test_a_three_hour_outage_then_recovery_delivers_every_email_once(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """60 reminders due while the mail server is down for three hours wait, are tried again
    and again, and go exactly once within half an hour of its return, with no command."""
    owners = 60
    heard = START.astimezone(UTC) - timedelta(days=2)
    add_owners_with_actions(mail, owners, target=date(2026, 3, 9), heard_from=heard)
    dispatcher = Dispatcher(mail)

    with server_down(smtp):
        assert sweep.sweep(mail, now=START).emails_queued == owners
        dispatcher.run_until(START + timedelta(hours=3))
        assert dispatcher.sent == 0
        waiting = _rows(mail)
        assert {row.status for row in waiting} == {OutboxStatus.QUEUED}
        assert min(row.attempts for row in waiting) >= 7  # tried all along, not given up
        assert all("Could not connect" in (row.last_error or "") for row in waiting)

    dispatcher.run_until(START + timedelta(hours=3, minutes=30))

    assert _copies(smtp) == Counter({f"owner{n}@council.example": 1 for n in range(owners)})
    assert {row.status for row in _rows(mail)} == {OutboxStatus.SENT}
    assert all(
        row.sent_at is not None and row.sent_at <= START + timedelta(hours=3, minutes=30)
        for row in _rows(mail)
    )


def _in_progress(ctx: Context, plan_id: int, owner: str, description: str, target: date) -> int:
    action_id = add_action(ctx, plan_id, description, owner=owner, target=target)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=owner)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, action_id, "start", by_email=owner)
    return action_id


def test_a_three_day_outage_supersedes_what_no_longer_matters_and_keeps_the_rest(
    mail: Context, smtp: CapturingSmtpServer
) -> None:
    """Through an outage from Monday morning to Thursday: a reminder whose target date passed,
    a reminder for an action since completed and requests for a decision already taken are
    set aside with the reason; what still matters arrives once when the server is back."""
    clock = mail.clock
    assert isinstance(clock, FrozenClock)
    # The week before: four actions under way, their emails sent while all was well.
    clock.set(START - timedelta(days=7))
    add_sample_people(mail)
    plan_id = add_plan(mail, kind=PlanKind.SERVICE_PLAN)
    strategy = _in_progress(mail, plan_id, OWEN, "Extend the financial strategy", date(2026, 3, 9))
    audit_plan = _in_progress(mail, plan_id, OWEN, "Agree the audit plan", date(2026, 3, 3))
    workforce = _in_progress(mail, plan_id, PRIYA, "Publish the workforce plan", date(2026, 3, 9))
    estates = _in_progress(mail, plan_id, OWEN, "Review the estates strategy", date(2026, 6, 30))
    progress.record_progress(mail, workforce, "Plan drafted and consulted on", None, by_email=PRIYA)
    dispatcher = Dispatcher(mail)
    dispatcher.tick()
    dispatcher.reports.clear()
    smtp.clear()

    clock.set(START)
    with server_down(smtp):
        # Monday 09:00: Owen's reminders (one email for two actions), Priya's, and a request
        # from Owen for a new date that CMT members are asked to decide.
        sweep.sweep(mail, now=START)
        new_date = approvals.request_change(
            mail,
            estates,
            "revise_target",
            by_email=OWEN,
            reason="Waiting for the asset survey",
            new_target_date=date(2026, 9, 30),
        )
        assert new_date.request_id is not None

        def complete_workforce_plan() -> None:
            done = approvals.request_change(mail, workforce, "complete", by_email=PRIYA)
            assert done.request_id is not None
            approvals.decide(mail, done.request_id, Verdict.APPROVE, by_email=DANA)

        def agree_new_date() -> None:
            assert new_date.request_id is not None
            approvals.decide(mail, new_date.request_id, Verdict.APPROVE, by_email=SAM)

        dispatcher.at(START + timedelta(days=1, hours=2), complete_workforce_plan)
        dispatcher.at(START + timedelta(days=1, hours=3), agree_new_date)
        dispatcher.run_until(START + timedelta(days=2, hours=23))  # Thursday 08:00
        assert dispatcher.sent == 0

    dispatcher.run_until(START + timedelta(days=3, hours=1))

    # What still matters arrived once: Owen's reminder, for the action whose date is ahead
    # only, and each requester's decision.
    owen = _subjects(smtp, OWEN)
    assert len(owen) == 2, owen
    (reminder,) = [got for got in smtp.to(OWEN) if "Reminder" in str(got.message["Subject"])]
    text = reminder.message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Extend the financial strategy" in text.get_content()
    assert "Agree the audit plan" not in text.get_content()
    assert any("decision" in subject.lower() or "approved" in subject.lower() for subject in owen)
    assert len(smtp.to(PRIYA)) == 1  # the decision on her completion, not the old reminder
    assert smtp.to(DANA) == []
    assert smtp.to(SAM) == []
    sent = [row for row in _rows(mail) if row.sent_at is not None and row.sent_at >= START]
    assert sorted(got.message["Message-ID"] for got in smtp.received) == sorted(
        str(row.message_id) for row in sent
    )  # each sent once

    # What no longer matters is kept, set aside with the reason, and listed so.
    superseded = delivery.listed(mail, limit=50, status=OutboxStatus.SUPERSEDED)
    reasons = sorted(row["why"] for row in superseded)
    assert reasons == sorted(
        [
            f"action {workforce} is now complete",
            f"request {new_date.request_id} was approved before this could be sent",
            f"request {new_date.request_id} was approved before this could be sent",
        ]
    )
    assert {row["recipient_email"] for row in superseded} == {PRIYA, DANA, SAM}
    assert {row.status for row in _rows(mail)} == {OutboxStatus.SENT, OutboxStatus.SUPERSEDED}
    assert strategy != audit_plan
