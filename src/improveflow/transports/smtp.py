"""The SMTP transport: the connection pool, logging in with a password, an OAuth token
(XOAUTH2, as Exchange Online wants from 2027) or not at all, and SMTP replies as failures.

The pool is improveflow's own (`notify.smtp_pool`): a few connections, each reused for many
messages. Here it only gets clients that log in the configured way; with OAuth, aiosmtplib asks
the token provider for a token each time a connection logs in, and the provider hands out its
cached one, so a token is fetched once an hour rather than per message or per connection.

A failure is judged as the outbox has always judged SMTP replies (`notify.retry_policy`), with
one refinement: Exchange's codes about the sending account (basic authentication disabled,
SendAs denied) concern the settings, not the message, whichever command they answer.
"""

from __future__ import annotations

import re

import aiosmtplib

from improveflow.config import Settings
from improveflow.exceptions import SmtpUnavailable
from improveflow.notify.message import OutgoingEmail
from improveflow.notify.retry_policy import fault_of, is_permanent
from improveflow.notify.smtp_pool import (
    ClientFactory,
    PooledClient,
    SmtpPool,
    describe,
    password_client,
)
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    PermanentFailure,
    Stage,
    TemporaryFailure,
    TransportBase,
    TransportUnavailable,
)
from improveflow.transports.oauth import TokenProvider

__all__ = ["SmtpTransport", "classify_smtp_error", "enhanced_status"]

# RFC 3463's enhanced status code at the start of a reply's text: "5.7.139 Authentication ...".
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_AUTH_REPLIES = frozenset({530, 534, 535, 538})


def enhanced_status(message: str) -> str | None:
    """The enhanced status code ("5.7.139") a reply's text starts with, if any."""
    found = _ENHANCED.match(message)
    return ".".join(found.groups()) if found else None


def _subject_detail(code: str | None) -> str | None:
    # "5.7.139" -> "7.139": the class digit (4 or 5) varies between servers for one cause.
    return code.partition(".")[2] if code else None


def _client_factory(settings: Settings, tokens: TokenProvider | None) -> ClientFactory:
    """Clients that log in as configured: a password, an OAuth token (XOAUTH2), or not at all."""
    login = settings.smtp_login
    if login == "password":
        return password_client(settings)
    username = settings.smtp_username
    if login == "oauth2":
        # XOAUTH2 names the mailbox the token is used for; by default the sending one.
        username = username or settings.mailbox
    token = tokens.token if login == "oauth2" and tokens is not None else None

    def make(local_hostname: str | None) -> PooledClient:
        return PooledClient(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=username if login != "none" else None,
            oauth_token_generator=token,
            local_hostname=local_hostname,
            timeout=settings.smtp_timeout_s,
            use_tls=settings.smtp_tls,
            # Only what is configured: never an opportunistic upgrade that may fail validation.
            start_tls=settings.smtp_starttls and not settings.smtp_tls,
        )

    return make


class SmtpTransport(TransportBase):
    """Email over SMTP through a pool of `size` connections."""

    name = "smtp"

    def __init__(self, settings: Settings, size: int, tokens: TokenProvider | None = None) -> None:
        if settings.smtp_login == "oauth2" and tokens is None:
            raise ValueError("SMTP with OAuth needs a token provider")
        self._settings = settings
        self._tokens = tokens
        self._pool = SmtpPool(settings, size, _client_factory(settings, tokens))
        self._size = max(1, size)

    @property
    def concurrency(self) -> int:
        return self._pool.size or self._size

    @property
    def connections_opened(self) -> int:
        return self._pool.connections_opened

    @property
    def tokens(self) -> TokenProvider | None:
        return self._tokens

    async def open(self) -> None:
        try:
            await self._pool.open()
        except SmtpUnavailable as error:
            raise self._unavailable(error) from error

    async def send(
        self, email: OutgoingEmail, *, sender: str, recipient: str, reference: str
    ) -> None:
        try:
            await self._pool.send(email, sender=sender, recipient=recipient)
        except SmtpUnavailable as error:
            raise self._unavailable(error) from error
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            raise classify_smtp_error(error, login=self._settings.smtp_login) from error

    async def close(self) -> None:
        await self._pool.close()

    def _unavailable(self, error: SmtpUnavailable) -> TransportUnavailable:
        """No connection could be made or logged in: why, as the pool found it."""
        cause = error.__cause__
        judged = (
            classify_smtp_error(cause, login=self._settings.smtp_login)
            if cause is not None
            else None
        )
        refused = judged is not None and judged.cause is Cause.LOGIN_REFUSED
        if refused and self._tokens is not None:
            # A refused token may have been revoked: the next connection asks afresh.
            self._tokens.invalidate()
        if isinstance(cause, TransportUnavailable):  # no token: the provider said why
            return cause
        reason = str(error)
        if judged is not None and judged.stage is Stage.AUTHENTICATE:
            # Connected, then refused: "could not connect" would send IT looking at firewalls.
            server = f"{self._settings.smtp_host}:{self._settings.smtp_port}"
            reason = f"The mail server {server} refused the login: {judged.reason}"
        return TransportUnavailable(
            reason,
            stage=judged.stage if judged else Stage.CONNECT,
            cause=judged.cause if judged else Cause.UNREACHABLE,
            status=judged.status if judged else None,
            code=judged.code if judged else None,
        )


def classify_smtp_error(error: BaseException, *, login: str = "none") -> DeliveryFailure:
    """An SMTP error (or a failure to get a token) as a temporary or permanent failure."""
    if isinstance(error, DeliveryFailure):
        return error
    reason = describe(error)
    status = error.code if isinstance(error, aiosmtplib.SMTPResponseException) else None
    code = (
        enhanced_status(error.message)
        if isinstance(error, aiosmtplib.SMTPResponseException)
        else None
    )
    detail = _subject_detail(code)
    stage = _stage_of(error, status)
    cause = _cause_of(error, status, detail, login)
    if cause in _ABOUT_THE_SENDER:
        return TemporaryFailure(reason, stage=stage, cause=cause, status=status, code=code)
    if is_permanent(error):
        return PermanentFailure(
            reason, fault=fault_of(error), stage=stage, cause=cause, status=status, code=code
        )
    return TemporaryFailure(
        reason, fault=fault_of(error), stage=stage, cause=cause, status=status, code=code
    )


_ABOUT_THE_SENDER = frozenset(
    {
        Cause.BASIC_AUTH_DISABLED,
        Cause.SMTP_AUTH_DISABLED,
        Cause.LOGIN_REFUSED,
        Cause.SEND_AS_DENIED,
        Cause.THROTTLED,
    }
)


def _stage_of(error: BaseException, status: int | None) -> Stage:
    if isinstance(error, aiosmtplib.SMTPAuthenticationError) or status in _AUTH_REPLIES:
        return Stage.AUTHENTICATE
    if isinstance(error, aiosmtplib.SMTPConnectError | OSError):
        return Stage.CONNECT
    return Stage.SEND


def _cause_of(error: BaseException, status: int | None, detail: str | None, login: str) -> Cause:
    if detail in ("7.139", "7.30"):
        # Exchange Online: with a password, basic authentication is off for the tenant or the
        # mailbox; with a token, SMTP AUTH itself is switched off for them.
        return Cause.SMTP_AUTH_DISABLED if login == "oauth2" else Cause.BASIC_AUTH_DISABLED
    if detail in ("7.60", "2.252"):  # 2.252: SendAsDenied when the check comes after DATA
        return Cause.SEND_AS_DENIED
    if detail == "7.500":  # "Server busy, please try again later"
        return Cause.THROTTLED
    if isinstance(error, aiosmtplib.SMTPAuthenticationError) or status in _AUTH_REPLIES:
        return Cause.LOGIN_REFUSED
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return Cause.TIMED_OUT
    if isinstance(error, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
        return Cause.UNREACHABLE
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return Cause.RECIPIENT_REFUSED
    if isinstance(error, aiosmtplib.SMTPDataError | aiosmtplib.SMTPNotSupported | ValueError):
        return Cause.MESSAGE_REFUSED
    return Cause.SERVER_ERROR
