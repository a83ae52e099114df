"""The transport port: how an email built by improveflow leaves, and how a failure is told.

A transport is opened once for a dispatch run (connected and authenticated), sends one built
email at a time (the same MIME bytes for every transport), and is closed. Whatever goes wrong
comes back as one of two kinds of failure, which is all the outbox needs to know:

- `TemporaryFailure`: try again later, perhaps not before `retry_after` seconds. Everything
  about the server or improveflow's settings is temporary (a refused login, a missing
  permission, a throttle): once IT has fixed it, the waiting email still goes.
  `TransportUnavailable` is the temporary failure that stops every email of the run.
- `PermanentFailure`: this recipient or this message will never be taken; record the reason.

Each failure also carries what improveflow recognised (`Cause`) so that `improveflow mail check`
can explain it, and the server's own status and code for the record.
"""

from __future__ import annotations

import email.utils
import time
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from improveflow.exceptions import EmailError
from improveflow.models import DeliveryFault

if TYPE_CHECKING:
    # Only for types: the dispatcher loads this module without the rendering stack.
    from improveflow.notify.message import OutgoingEmail

__all__ = [
    "Cause",
    "DeliveryFailure",
    "PermanentFailure",
    "Stage",
    "TemporaryFailure",
    "Transport",
    "TransportBase",
    "TransportUnavailable",
    "retry_after_seconds",
]


class Stage(StrEnum):
    """Where in sending a failure happened."""

    TOKEN = "token"  # asking the identity platform for an access token
    CONNECT = "connect"  # reaching the server
    AUTHENTICATE = "authenticate"  # logging in, or the server refusing the token
    SEND = "send"  # handing over one message


class Cause(StrEnum):
    """What improveflow recognised in a failure; `mail check` explains each in plain words."""

    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed_out"
    BASIC_AUTH_DISABLED = "basic_auth_disabled"  # 5.7.139 / 5.7.30 for a password login
    SMTP_AUTH_DISABLED = "smtp_auth_disabled"  # 5.7.139 with OAuth: SMTP AUTH switched off
    LOGIN_REFUSED = "login_refused"  # a wrong password, or a token Exchange would not take
    TOKEN_REFUSED = "token_refused"  # the token endpoint would not issue a token
    CERTIFICATE_UNUSABLE = "certificate_unusable"  # the certificate file cannot sign a request
    TOKEN_REJECTED = "token_rejected"  # the service would not accept an issued token
    PERMISSION_MISSING = "permission_missing"  # Mail.Send / SMTP.SendAsApp, or mailbox access
    SEND_AS_DENIED = "send_as_denied"  # 5.7.60, ErrorSendAsDenied
    MAILBOX_NOT_FOUND = "mailbox_not_found"
    THROTTLED = "throttled"  # 4.7.500, 429
    NOTIFY_KEY_INVALID = "notify_key_invalid"
    NOTIFY_CLOCK = "notify_clock"
    NOTIFY_TEAM_KEY = "notify_team_key"
    NOTIFY_TRIAL_MODE = "notify_trial_mode"
    NOTIFY_DAILY_LIMIT = "notify_daily_limit"
    NOTIFY_TEMPLATE_NOT_FOUND = "notify_template_not_found"
    NOTIFY_TEMPLATE_WRONG = "notify_template_wrong"  # not email, or without ((subject))/((body))
    NOTIFY_REPLY_TO_UNKNOWN = "notify_reply_to_unknown"
    RECIPIENT_REFUSED = "recipient_refused"
    MESSAGE_REFUSED = "message_refused"
    SERVER_ERROR = "server_error"


class DeliveryFailure(EmailError):
    """An email did not leave; `reason` is the one line the outbox records."""

    permanent = False

    def __init__(
        self,
        reason: str,
        *,
        fault: DeliveryFault,
        stage: Stage,
        cause: Cause,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fault = fault
        self.stage = stage
        self.cause = cause
        self.status = status  # the SMTP reply code or HTTP status, when there was one
        self.code = code  # the server's own code: "5.7.139", "ErrorSendAsDenied", "invalid_client"


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later; `retry_after` is the server's own wait in seconds, if given."""

    def __init__(
        self,
        reason: str,
        *,
        fault: DeliveryFault = DeliveryFault.SERVER,
        stage: Stage,
        cause: Cause,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason, fault=fault, stage=stage, cause=cause, status=status, code=code)
        self.retry_after = retry_after


class TransportUnavailable(TemporaryFailure):
    """No email can go now: no connection, no token, or the login was refused."""


class PermanentFailure(DeliveryFailure):
    """This recipient or this message will never be taken; trying again cannot help."""

    permanent = True


class Transport(Protocol):
    """One way out for email. Open, send many, close; failures are `DeliveryFailure`s."""

    @property
    def name(self) -> str:
        """`smtp`, `graph` or `notify`, as in IMPROVEFLOW_MAIL_TRANSPORT."""
        ...

    @property
    def concurrency(self) -> int:
        """How many sends may usefully run at once."""
        ...

    async def open(self) -> None:
        """Connect and authenticate; `TransportUnavailable` when nothing could be sent."""
        ...

    async def send(
        self, email: OutgoingEmail, *, sender: str, recipient: str, reference: str
    ) -> None:
        """Send one built email to `recipient`, as `sender` (the sending mailbox).

        `reference` names the email for the service (the outbox id), so that a repeat after a
        crash is recognisably the same email where the service records it.
        """
        ...

    async def close(self) -> None:
        """Let go of connections; errors on the way out do not matter."""
        ...


class TransportBase:
    """`async with transport:` opens and closes it."""

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


# Retry-After is seldom more than minutes; a bigger value is a broken header, not advice.
_RETRY_AFTER_CAP_S = 24 * 3600.0


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), _RETRY_AFTER_CAP_S)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(wait, 0.0), _RETRY_AFTER_CAP_S)
