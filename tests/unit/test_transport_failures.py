"""How each transport judges a failure: temporary (retry) or permanent, whose fault, and what
improveflow recognised in it, from SMTP replies, Graph error bodies and Notify error bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiosmtplib
import pytest
import requests
from notifications_python_client.errors import HTTPError

from improveflow.models import DeliveryFault
from improveflow.transports.base import (
    Cause,
    PermanentFailure,
    Stage,
    TemporaryFailure,
    TransportUnavailable,
    retry_after_seconds,
)
from improveflow.transports.graph import graph_failure
from improveflow.transports.notify import notify_failure, template_problem
from improveflow.transports.smtp import classify_smtp_error, enhanced_status

# SMTP ---------------------------------------------------------------------------------------------


def test_enhanced_status_is_read_from_the_start_of_a_reply() -> None:
    """The RFC 3463 code is what identifies Exchange's refusals, not the words after it."""
    assert enhanced_status("5.7.139 Authentication unsuccessful") == "5.7.139"
    assert enhanced_status("4.7.500 Server busy") == "4.7.500"
    assert enhanced_status("Authentication unsuccessful 5.7.139") is None


@pytest.mark.parametrize(
    ("login", "cause"),
    [("password", Cause.BASIC_AUTH_DISABLED), ("oauth2", Cause.SMTP_AUTH_DISABLED)],
)
def test_5_7_139_is_a_setting_to_change_for_either_login(login: str, cause: Cause) -> None:
    """535 5.7.139 means basic authentication is off (password) or SMTP AUTH is (OAuth)."""
    error = aiosmtplib.SMTPAuthenticationError(
        535, "5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    failure = classify_smtp_error(error, login=login)
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.stage, failure.code) == (cause, Stage.AUTHENTICATE, "5.7.139")


def test_5_7_30_from_client_submission_is_basic_authentication_disabled() -> None:
    """550 5.7.30 answers a password login after basic authentication has gone."""
    error = aiosmtplib.SMTPSenderRefused(
        550, "5.7.30 Basic authentication is not supported for Client Submission.", "a@b.example"
    )
    failure = classify_smtp_error(error, login="password")
    assert isinstance(failure, TemporaryFailure)
    assert failure.cause is Cause.BASIC_AUTH_DISABLED


def test_send_as_denied_after_data_is_not_the_message_s_fault() -> None:
    """A 5xx to DATA is usually this message's; SendAs denied is the settings', so it waits."""
    error = aiosmtplib.SMTPDataError(
        550, "5.7.60 SMTP; Client does not have permissions to send as this sender"
    )
    failure = classify_smtp_error(error, login="oauth2")
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.fault) == (Cause.SEND_AS_DENIED, DeliveryFault.SERVER)


def test_a_refused_recipient_is_permanent_as_before() -> None:
    """The outbox's long-standing rule: a 5xx for this recipient will not change."""
    error = aiosmtplib.SMTPRecipientRefused(550, "5.1.1 User unknown", "gone@council.example")
    failure = classify_smtp_error(error)
    assert isinstance(failure, PermanentFailure)
    assert (failure.fault, failure.cause) == (DeliveryFault.RECIPIENT, Cause.RECIPIENT_REFUSED)
    assert failure.reason == "550 5.1.1 User unknown (recipient gone@council.example)"


def test_throttling_is_recognised_and_temporary() -> None:
    """4.7.500 "server busy" is Exchange slowing the sender down."""
    error = aiosmtplib.SMTPRecipientRefused(451, "4.7.500 Server busy", "dana@council.example")
    failure = classify_smtp_error(error)
    assert isinstance(failure, TemporaryFailure)
    assert failure.cause is Cause.THROTTLED


# Graph --------------------------------------------------------------------------------------------


def _graph(code: str, message: str = "words") -> dict[str, object]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "x"}}}


def test_graph_429_carries_retry_after() -> None:
    """Throttling is temporary, and Graph's Retry-After travels with the failure."""
    failure = graph_failure(429, _graph("ApplicationThrottled"), {"Retry-After": "7"})
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.retry_after, failure.status) == (Cause.THROTTLED, 7.0, 429)


@pytest.mark.parametrize(
    ("status", "code", "cause"),
    [
        (403, "ErrorAccessDenied", Cause.PERMISSION_MISSING),
        (403, "ErrorSendAsDenied", Cause.SEND_AS_DENIED),
        (404, "ErrorInvalidUser", Cause.MAILBOX_NOT_FOUND),
        (401, "InvalidAuthenticationToken", Cause.TOKEN_REJECTED),
        (503, "serviceNotAvailable", Cause.SERVER_ERROR),
    ],
)
def test_graph_refusals_about_settings_wait(status: int, code: str, cause: Cause) -> None:
    """Permissions, SendAs, the mailbox, the token, an outage: every email alike, so retry."""
    failure = graph_failure(status, _graph(code), {})
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.code, failure.fault) == (cause, code, DeliveryFault.SERVER)


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("ErrorInvalidRecipients", Cause.RECIPIENT_REFUSED),
        ("ErrorMimeContentInvalidBase64String", Cause.MESSAGE_REFUSED),
    ],
)
def test_graph_refusals_of_this_message_are_permanent(code: str, cause: Cause) -> None:
    """A malformed message or recipient will be refused however often it is sent."""
    failure = graph_failure(400, _graph(code), {})
    assert isinstance(failure, PermanentFailure)
    assert (failure.cause, failure.fault) == (cause, DeliveryFault.RECIPIENT)


def test_graph_nested_inner_error_codes_are_read() -> None:
    """Graph puts the most specific code in innerError; it decides the cause."""
    body = {"error": {"code": "accessDenied", "innerError": {"code": "ErrorSendAsDenied"}}}
    assert graph_failure(403, body, {}).cause is Cause.SEND_AS_DENIED


def test_retry_after_as_seconds_or_a_date() -> None:
    """Retry-After is either seconds or an HTTP date; nonsense is ignored."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds(date, now=now.timestamp()) == pytest.approx(90.0)
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


# Notify -------------------------------------------------------------------------------------------


def _notify(status: int, error: str, message: str) -> HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = (
        f'{{"status_code": {status}, "errors": [{{"error": "{error}", "message": "{message}"}}]}}'
    ).encode()
    return HTTPError(response)


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        ("Cannot send to this recipient using a team-only API key.", Cause.NOTIFY_TEAM_KEY),
        ("Cannot send to this recipient when service is in trial mode", Cause.NOTIFY_TRIAL_MODE),
        ("email_reply_to_id 1 does not exist in database", Cause.NOTIFY_REPLY_TO_UNKNOWN),
        ("Template not found", Cause.NOTIFY_TEMPLATE_NOT_FOUND),
        ("Missing personalisation: body", Cause.NOTIFY_TEMPLATE_WRONG),
    ],
)
def test_notify_setting_refusals_wait(message: str, cause: Cause) -> None:
    """Bad requests caused by settings are temporary: fixed, the waiting email still goes."""
    failure = notify_failure(_notify(400, "BadRequestError", message))
    assert isinstance(failure, TemporaryFailure)
    assert (failure.cause, failure.code) == (cause, "BadRequestError")


def test_notify_invalid_address_is_permanent_for_that_recipient() -> None:
    """Notify's ValidationError about email_address is the recipient's, for good."""
    failure = notify_failure(_notify(400, "ValidationError", "email_address Not a valid email"))
    assert isinstance(failure, PermanentFailure)
    assert (failure.cause, failure.fault) == (Cause.RECIPIENT_REFUSED, DeliveryFault.RECIPIENT)


def test_notify_bad_key_stops_the_run() -> None:
    """A 403 affects every email: the transport is unavailable, not this message refused."""
    failure = notify_failure(_notify(403, "AuthError", "Invalid token: API key not found"))
    assert isinstance(failure, TransportUnavailable)
    assert failure.cause is Cause.NOTIFY_KEY_INVALID


def test_notify_rate_limit_waits_a_minute_and_the_daily_limit_until_midnight() -> None:
    """Notify counts its rate over a rolling minute, and its daily limit resets at midnight UTC."""
    rate = notify_failure(_notify(429, "RateLimitError", "Exceeded rate limit"))
    daily = notify_failure(_notify(429, "TooManyRequestsError", "Exceeded send limits"))
    assert isinstance(rate, TemporaryFailure)
    assert isinstance(daily, TemporaryFailure)
    assert (rate.cause, rate.retry_after) == (Cause.THROTTLED, 60.0)
    assert daily.cause is Cause.NOTIFY_DAILY_LIMIT
    assert daily.retry_after is not None
    assert 0 < daily.retry_after <= 24 * 3600


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ({"type": "email", "subject": "((subject))", "body": "((body))"}, None),
        ({"type": "email", "subject": "(( Subject ))", "body": "Hi\n((BODY))"}, None),
        ({"type": "email", "subject": "Reminder", "body": "((body))"}, "((subject))"),
        ({"type": "email", "subject": "((subject))", "body": "Hello"}, "((body))"),
        ({"type": "sms", "body": "((body))"}, "sms"),
    ],
)
def test_the_notify_template_needs_both_placeholders(
    template: dict[str, str], problem: str | None
) -> None:
    """Without ((subject)) and ((body)), emails would go with the template's own words."""
    found = template_problem(template, "t-1")
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
