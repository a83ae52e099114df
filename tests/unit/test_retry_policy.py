"""The retry policy: waits that double up to half an hour, which failures are worth retrying,
and whose fault each is; and spans of time said in words."""

from __future__ import annotations

import random
from datetime import timedelta

import aiosmtplib
import pytest

from improveflow.exceptions import SmtpUnavailable
from improveflow.models import DeliveryFault
from improveflow.notify.retry_policy import backoff, fault_of, is_permanent
from improveflow.notify.spans import describe_span


def test_waits_double_from_a_minute_and_stop_at_half_an_hour() -> None:
    """1, 2, 4, 8, 16 minutes, then never more than 30, however many attempts."""
    waits = [backoff(attempt, jitter=False) for attempt in range(1, 10)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30, 30, 30, 30)]
    assert backoff(500, jitter=False) == timedelta(minutes=30)


def test_jitter_only_shortens_a_wait_by_at_most_a_fifth() -> None:
    """Retries after one outage spread out, never later than the plain wait."""
    rng = random.Random(7)
    waits = [backoff(6, rng=rng) for _ in range(200)]
    assert all(timedelta(minutes=24) <= wait <= timedelta(minutes=30) for wait in waits)
    assert len(set(waits)) > 100


@pytest.mark.parametrize(
    ("error", "permanent", "fault"),
    [
        (
            aiosmtplib.SMTPRecipientRefused(550, "Recipient unknown", "a@b.example"),
            True,
            "recipient",
        ),
        (aiosmtplib.SMTPRecipientRefused(452, "Mailbox full", "a@b.example"), False, "recipient"),
        (aiosmtplib.SMTPDataError(554, "Message rejected"), True, "recipient"),
        (aiosmtplib.SMTPDataError(451, "Local error"), False, "recipient"),
        (aiosmtplib.SMTPSenderRefused(550, "Not allowed", "x@y.example"), False, "server"),
        (aiosmtplib.SMTPAuthenticationError(535, "Bad credentials"), False, "server"),
        (aiosmtplib.SMTPServerDisconnected("gone"), False, "server"),
        (aiosmtplib.SMTPTimeoutError("no reply"), False, "server"),
        (SmtpUnavailable("Could not connect"), False, "server"),
        (ValueError("bad address"), True, "message"),
    ],
)
def test_which_failures_are_final_and_whose_fault(
    error: BaseException, permanent: bool, fault: str
) -> None:
    """A 5xx about the recipient or message is final; no connection, a refused login or a
    refused sender is the server's (or our settings') and worth trying again."""
    assert is_permanent(error) is permanent
    assert fault_of(error) == DeliveryFault(fault)


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(days=3), "3 days"),
        (timedelta(days=1, hours=12), "1 day 12 hours"),
        (timedelta(hours=6, minutes=10), "6 hours"),
        (timedelta(hours=23, minutes=40), "1 day"),
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(seconds=80), "1 minute"),
    ],
)
def test_spans_in_words(span: timedelta, words: str) -> None:
    """How long, as a person says it."""
    assert describe_span(span) == words
