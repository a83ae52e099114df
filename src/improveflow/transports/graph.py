"""The Microsoft Graph transport: `POST /users/{mailbox}/sendMail` with the built MIME bytes.

The MIME bytes go base64-encoded as a text/plain body, Graph's documented way to send MIME, so
the text and HTML parts and every header (List-Unsubscribe, Auto-Submitted, Message-ID) arrive
as improveflow wrote them; Graph takes the recipients from the To header. The token is an
app-only one (scope https://graph.microsoft.com/.default, permission Mail.Send), from the same
app registration as SMTP OAuth.

Graph allows four requests at once per mailbox; more are refused with 429, so sends to one
mailbox wait for a slot here instead. A 429 or 503 comes back as a temporary failure carrying
Graph's Retry-After. A 401 is answered once by fetching a new token and trying again (the held
one may have been revoked). Graph's error codes say whose problem a refusal is: the settings'
(permission, SendAs, mailbox) are temporary, so mail waits until IT has fixed them; a malformed
message or recipient is permanent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any
from urllib.parse import quote

import httpx2

from improveflow.config import Settings
from improveflow.models import DeliveryFault
from improveflow.notify.message import OutgoingEmail
from improveflow.transports.base import (
    Cause,
    DeliveryFailure,
    PermanentFailure,
    Stage,
    TemporaryFailure,
    TransportBase,
    TransportUnavailable,
    retry_after_seconds,
)
from improveflow.transports.oauth import TokenProvider, web_client

__all__ = ["MAILBOX_CONCURRENCY", "GraphTransport", "graph_failure"]

log = logging.getLogger(__name__)

# Graph's limit of concurrent requests to one mailbox (Outlook service limits).
MAILBOX_CONCURRENCY = 4
_ACCEPTED = 202

# Graph's documented codes (error.code, or an innerError's) and what they are about.
_RECIPIENT_CODES = frozenset({"ErrorInvalidRecipients", "ErrorInvalidRecipient"})
_MESSAGE_CODES = frozenset(
    {
        "ErrorMimeContentInvalidBase64String",
        "ErrorMimeContentInvalid",
        "ErrorMessageSizeExceeded",
        "ErrorInvalidRequest",
    }
)
_CAUSES = {
    "ErrorSendAsDenied": Cause.SEND_AS_DENIED,
    "ErrorAccessDenied": Cause.PERMISSION_MISSING,
    "accessDenied": Cause.PERMISSION_MISSING,
    "Authorization_RequestDenied": Cause.PERMISSION_MISSING,
    "ErrorInvalidUser": Cause.MAILBOX_NOT_FOUND,
    "MailboxNotEnabledForRESTAPI": Cause.MAILBOX_NOT_FOUND,
    "ResourceNotFound": Cause.MAILBOX_NOT_FOUND,
    "InvalidAuthenticationToken": Cause.TOKEN_REJECTED,
    "ApplicationThrottled": Cause.THROTTLED,
    "TooManyRequests": Cause.THROTTLED,
    "MailboxConcurrency": Cause.THROTTLED,
}
_WAIT_STATUSES = frozenset({429, 503, 504, 509})


class GraphTransport(TransportBase):
    """Email through Microsoft Graph, at most four requests at once per mailbox."""

    name = "graph"

    def __init__(self, settings: Settings, size: int, tokens: TokenProvider) -> None:
        self._base_url = settings.graph_url.rstrip("/")
        self._timeout_s = settings.smtp_timeout_s
        self._size = max(1, min(size, MAILBOX_CONCURRENCY))
        self._tokens = tokens
        self._client: httpx2.AsyncClient | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.requests = 0  # sendMail requests made, retries included

    @property
    def concurrency(self) -> int:
        return self._size

    @property
    def tokens(self) -> TokenProvider:
        return self._tokens

    async def open(self) -> None:
        """Get a token (proving the app's credentials) and open a client for the run."""
        await self._tokens.token()
        self._slots = {}  # a run's own: semaphores belong to the event loop they wait on
        self._client = web_client(
            self._timeout_s, limits=httpx2.Limits(max_connections=MAILBOX_CONCURRENCY)
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def send(
        self, email: OutgoingEmail, *, sender: str, recipient: str, reference: str
    ) -> None:
        client = self._client
        if client is None:
            raise RuntimeError("open the transport before sending")
        url = f"{self._base_url}/users/{quote(sender, safe='@')}/sendMail"
        body = base64.b64encode(email.data)
        async with self._slot(sender):
            token = await self._tokens.token()
            response = await self._post(client, url, body, token)
            if response.status_code == 401:
                # A revoked or otherwise refused token: one more try with a new one.
                self._tokens.invalidate(token)
                token = await self._tokens.token()
                response = await self._post(client, url, body, token)
        if response.status_code != _ACCEPTED:
            raise graph_failure(response.status_code, _json(response), response.headers)

    def _slot(self, mailbox: str) -> asyncio.Semaphore:
        key = mailbox.lower()
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = asyncio.Semaphore(MAILBOX_CONCURRENCY)
        return slot

    async def _post(
        self, client: httpx2.AsyncClient, url: str, body: bytes, token: str
    ) -> httpx2.Response:
        self.requests += 1
        try:
            return await client.post(
                url,
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
            )
        except httpx2.TimeoutException as error:
            # Graph may have taken the message before the answer was lost; a retry may repeat
            # it, as after a crash (at most once).
            raise TemporaryFailure(
                f"Microsoft Graph did not answer within {self._timeout_s:g} seconds",
                stage=Stage.SEND,
                cause=Cause.TIMED_OUT,
            ) from error
        except httpx2.HTTPError as error:
            raise TransportUnavailable(
                f"Could not reach Microsoft Graph at {self._base_url}: "
                + (" ".join(str(error).split()) or type(error).__name__),
                stage=Stage.CONNECT,
                cause=Cause.UNREACHABLE,
            ) from error


def graph_failure(
    status: int, body: dict[str, Any], headers: httpx2.Headers | dict[str, str]
) -> DeliveryFailure:
    """A Graph error answer as a temporary or permanent failure, by status and error code."""
    code, message = _error_of(body)
    reason = f"Microsoft Graph answered {status}" + (f" {code}" if code else "")
    if message:
        reason += f": {message}"
    nested = _codes_of(body)
    codes = frozenset(nested)
    # The most specific code Graph gave (the deepest innerError) that improveflow knows.
    cause = next((_CAUSES[found] for found in reversed(nested) if found in _CAUSES), None)
    stage = Stage.AUTHENTICATE if status == 401 else Stage.SEND
    if status in _WAIT_STATUSES:
        return TemporaryFailure(
            reason,
            stage=stage,
            cause=Cause.THROTTLED if status == 429 else (cause or Cause.SERVER_ERROR),
            status=status,
            code=code,
            retry_after=retry_after_seconds(headers.get("Retry-After")),
        )
    if status == 413:
        return PermanentFailure(
            reason,
            fault=DeliveryFault.RECIPIENT,
            stage=stage,
            cause=Cause.MESSAGE_REFUSED,
            status=status,
            code=code,
        )
    if status == 400:
        if codes & _RECIPIENT_CODES:
            return PermanentFailure(
                reason,
                fault=DeliveryFault.RECIPIENT,
                stage=stage,
                cause=Cause.RECIPIENT_REFUSED,
                status=status,
                code=code,
            )
        if codes & _MESSAGE_CODES or cause is None:
            return PermanentFailure(
                reason,
                fault=DeliveryFault.RECIPIENT,
                stage=stage,
                cause=Cause.MESSAGE_REFUSED,
                status=status,
                code=code,
            )
    if status == 401:
        cause = Cause.TOKEN_REJECTED
    elif status == 403 and cause is None:
        cause = Cause.PERMISSION_MISSING
    elif status == 404 and cause is None:
        cause = Cause.MAILBOX_NOT_FOUND
    # Settings, permissions, the mailbox, an outage: every email alike, so wait and retry.
    return TemporaryFailure(
        reason, stage=stage, cause=cause or Cause.SERVER_ERROR, status=status, code=code
    )


def _error_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    error = body.get("error")
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (
        str(code) if code else None,
        " ".join(str(message).split()) if message else None,
    )


def _codes_of(body: dict[str, Any]) -> tuple[str, ...]:
    """The error's code and those of its nested innerErrors, the most specific last."""
    found: list[str] = []
    error: object = body.get("error")
    while isinstance(error, dict) and len(found) < 8:
        code = error.get("code")
        if code:
            found.append(str(code))
        error = error.get("innerError") or error.get("innererror")
    return tuple(found)


def _json(response: httpx2.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
