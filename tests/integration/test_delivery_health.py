"""Whether email is getting out, as `status`, the admin page, /healthz and /metrics read it:
an outage shows after one dispatch run, a refused recipient does not count as one, untried
email shows the scheduler is not running, and a run that sends nothing says why in a warning."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from mail_ticks import mail_context

from improveflow.models import DeliveryFault
from improveflow.notify.delivery_health import DeliveryHealth, Problem
from improveflow.services import delivery
from improveflow.services.context import Context
from improveflow.stores import outbox
from improveflow.testing import DEFAULT_MOMENT
from improveflow.testing.smtp import CapturingSmtpServer

NOW = DEFAULT_MOMENT


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


def enqueue(ctx: Context, count: int) -> None:
    with ctx.database.writing() as session:
        for number in range(count):
            outbox.enqueue(
                session,
                key=f"decision:{number}",
                template="decision",
                recipient_email=f"owner{number}@council.example",
                recipient_name=f"Owner {number}",
                person_id=None,
                context={
                    "request_id": number,
                    "transition_label": "mark the action complete",
                    "status": "approved",
                    "decider_name": "Dana Reeve",
                    "comment": None,
                    "action": {
                        "action_id": number,
                        "description": f"Action {number}",
                        "plan": "Peer Challenge Improvement Plan",
                        "latest_progress": None,
                        "rag": None,
                        "state": "complete",
                    },
                },
                due_at=NOW,
                now=NOW,
            )


def health(ctx: Context, at: timedelta = timedelta()) -> DeliveryHealth:
    return delivery.health(ctx, NOW + at)


def test_a_mail_outage_shows_after_one_dispatch_run(
    ctx: Context, smtp: CapturingSmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """One run against a mail server that is down: the facts say mail is failing, with the
    error and how many emails it stopped, and the run warns with the reason."""
    mail = mail_context(ctx, smtp)
    enqueue(mail, 5)
    assert health(mail).healthy
    smtp.stop()

    with caplog.at_level(logging.INFO, logger="improveflow.notify.dispatch"):
        delivery.send_due(mail, NOW)

    found = health(mail, timedelta(minutes=1))
    assert found.problems == (Problem.MAIL_FAILING,)
    assert (found.queued, found.due, found.retrying) == (5, 5, 5)
    assert found.oldest_due_age == timedelta(minutes=1)
    assert found.last_sent_at is None
    assert found.last_error_at == NOW
    assert found.last_error_fault == DeliveryFault.SERVER
    assert found.last_error is not None
    assert found.last_error.startswith(f"Could not connect to the mail server {smtp.host}")
    assert found.last_error_count == 5
    assert found.problem_words[0][0] == "Email is not getting out"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no email sent" in warnings[0].getMessage()
    assert "5 to retry" in warnings[0].getMessage()
    assert "Could not connect to the mail server" in warnings[0].getMessage()

    smtp.start()
    delivery.send_due(mail, NOW + timedelta(minutes=1))

    back = health(mail, timedelta(minutes=2))
    assert back.healthy
    assert (back.queued, back.last_sent_at) == (0, NOW + timedelta(minutes=1))


def test_a_refused_recipient_is_shown_but_is_not_an_outage(
    ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A 550 for one address fails that email, which the facts show, while mail is healthy;
    the public form of the error names no address."""
    mail = mail_context(ctx, smtp)
    smtp.refuse("owner1@council.example")
    enqueue(mail, 3)

    delivery.send_due(mail, NOW)

    found = health(mail, timedelta(minutes=1))
    assert found.healthy
    assert found.failed == 1
    assert found.last_error_fault == DeliveryFault.RECIPIENT
    assert (found.last_error or "").startswith("550 5.1.1 <owner1@council.example>")
    assert found.public_last_error is not None
    assert "owner1@" not in found.public_last_error
    assert "[address]" in found.public_last_error
    assert "owner1@" not in str(found.as_json(public=True))


def test_due_email_untried_for_a_quarter_of_an_hour_means_nothing_is_sending(
    ctx: Context,
) -> None:
    """With no dispatch run at all, due email is fine for a few minutes and reported stuck
    once it has waited more than 15 minutes with nothing sent."""
    enqueue(ctx, 2)

    assert health(ctx, timedelta(minutes=10)).healthy
    stuck = health(ctx, timedelta(minutes=16))
    assert stuck.problems == (Problem.MAIL_STUCK,)
    assert "Check that the scheduler is running" in stuck.problem_words[0][1]
    assert stuck.as_json(public=True)["oldest_queued_age_seconds"] == 16 * 60


def test_a_run_that_sends_is_logged_at_info_only(
    ctx: Context, smtp: CapturingSmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Sending as usual is no cause for a warning."""
    mail = mail_context(ctx, smtp)
    enqueue(mail, 2)
    with caplog.at_level(logging.INFO, logger="improveflow.notify.dispatch"):
        assert delivery.send_due(mail, NOW).sent == 2
    assert [r.levelno for r in caplog.records if r.name == "improveflow.notify.dispatch"] == [
        logging.INFO
    ]
