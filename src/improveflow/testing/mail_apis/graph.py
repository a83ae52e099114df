"""Microsoft Graph's `POST /v1.0/users/{mailbox}/sendMail`, for messages in MIME format.

It checks the bearer token with the token endpoint (Graph's audience, the Mail.Send
permission), takes the base64 MIME body, and answers 202, or as Graph does: 401
InvalidAuthenticationToken, 403 ErrorAccessDenied or ErrorSendAsDenied, 404 ErrorInvalidUser,
400 ErrorMimeContentInvalidBase64String, and 429 with Retry-After when throttled or when more
than four requests to one mailbox are in flight at once. Scripted per recipient (the To
address), it refuses one for good (400 ErrorInvalidRecipients), puts one off (503 with
Retry-After) or holds its message before answering, as a slow service would.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any
from urllib.parse import unquote

from improveflow.testing.mail_apis.http import Answer, MailApiServer, Request
from improveflow.testing.mail_apis.tokens import GRAPH_AUDIENCE, TokenEndpoint, Verdict

MAILBOX_CONCURRENCY = 4


@dataclass(frozen=True)
class GraphRequest:
    """One accepted sendMail: the mailbox it was sent as, the MIME bytes and the token."""

    mailbox: str
    raw: bytes
    token: str

    @property
    def message(self) -> EmailMessage:
        return BytesParser(EmailMessage, policy=email.policy.default).parsebytes(self.raw)


class GraphServer(MailApiServer):
    """sendMail for the given mailboxes; `url` is the base (…/v1.0), as IMPROVEFLOW_GRAPH_URL."""

    def __init__(
        self,
        tokens: TokenEndpoint,
        mailboxes: tuple[str, ...] = ("plans@council.example",),
        *,
        delay_s: float = 0.0,
        port: int | None = None,
    ) -> None:
        super().__init__(port)
        self.tokens = tokens
        self.mailboxes = {mailbox.lower() for mailbox in mailboxes}
        self.delay_s = delay_s  # how long each accepted request takes, to expose concurrency
        self.send_as: set[tuple[str, str]] = set()  # (mailbox, From address) allowed to differ
        self.received: list[GraphRequest] = []
        self.peak_in_flight = 0  # the most requests to one mailbox handled at once
        self._in_flight: Counter[str] = Counter()
        self._throttles: list[float] = []  # Retry-After of each scripted 429 to come
        self._failures: list[tuple[int, str, str]] = []  # scripted (status, code, message)
        self._put_off: dict[str, list[float]] = {}  # Retry-After of each 503 to come

    @property
    def url(self) -> str:
        return f"{super().url}/v1.0"

    def throttle(self, times: int = 1, retry_after_s: float = 1) -> None:
        """Answer the next `times` requests with 429 ApplicationThrottled and Retry-After."""
        with self._lock:
            self._throttles.extend([retry_after_s] * times)

    def fail_next(self, status: int, code: str, message: str, times: int = 1) -> None:
        """Answer the next `times` authorised requests with this Graph error."""
        with self._lock:
            self._failures.extend([(status, code, message)] * times)

    def refuse(self, address: str) -> None:
        """Refuse every message to `address` for good: 400 ErrorInvalidRecipients."""
        with self._lock:
            self._refused.add(address.lower())

    def put_off(self, address: str, times: int = 1, retry_after_s: float = 120) -> None:
        """Answer the next `times` messages to `address` with 503 and Retry-After."""
        with self._lock:
            self._put_off.setdefault(address.lower(), []).extend([retry_after_s] * times)

    def _answer(self, request: Request) -> Answer:
        prefix, _, rest = request.path.partition("/users/")
        mailbox, _, action = rest.partition("/")
        if request.method != "POST" or prefix != "/v1.0" or action != "sendMail":
            return _error(400, "BadRequest", f"Resource not found for the segment '{rest}'.")
        mailbox = unquote(mailbox).lower()
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        verdict = self.tokens.verify(token, GRAPH_AUDIENCE, "Mail.Send")
        if verdict is Verdict.MISSING_ROLE:
            return _error(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        if verdict is not Verdict.VALID:
            said = {
                Verdict.EXPIRED: "Lifetime validation failed, the token is expired.",
                Verdict.WRONG_AUDIENCE: "Invalid audience.",
            }.get(verdict, "IDX14100: JWT is not well formed.")
            return _error(401, "InvalidAuthenticationToken", said)
        with self._lock:
            if self._throttles:
                wait = self._throttles.pop(0)
                return _error(
                    429,
                    "ApplicationThrottled",
                    "Application is over its MailboxConcurrency limit.",
                    {"Retry-After": f"{wait:g}"},
                )
            if self._failures:
                status, code, message = self._failures.pop(0)
                return _error(status, code, message)
            if self._in_flight[mailbox] >= MAILBOX_CONCURRENCY:
                return _error(
                    429,
                    "ApplicationThrottled",
                    "Application is over its MailboxConcurrency limit.",
                    {"Retry-After": "1"},
                )
            self._in_flight[mailbox] += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight[mailbox])
        try:
            return self._send(mailbox, request, token)
        finally:
            with self._lock:
                self._in_flight[mailbox] -= 1

    def _send(self, mailbox: str, request: Request, token: str) -> Answer:
        if mailbox not in self.mailboxes:
            return _error(404, "ErrorInvalidUser", f"The requested user '{mailbox}' is invalid.")
        if not request.headers.get("content-type", "").startswith("text/plain"):
            return _error(400, "ErrorInvalidRequest", "Cannot read the request body as JSON.")
        try:
            raw = base64.b64decode(request.body, validate=True)
        except binascii.Error:
            return _error(
                400,
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            )
        parsed = BytesParser(EmailMessage, policy=email.policy.default).parsebytes(raw)
        sender = parseaddr(str(parsed.get("From", "")))[1].lower()
        if sender != mailbox and (mailbox, sender) not in self.send_as:
            return _error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right "
                "to send mail on behalf of the specified sending account., Cannot submit message.",
            )
        to = parseaddr(str(parsed.get("To", "")))[1].lower()
        with self._lock:
            refused = to in self._refused
            waits = self._put_off.get(to)
            put_off = waits.pop(0) if waits else None
            stall = self._stalled.get(to, 0.0)
        if refused:
            return _error(
                400, "ErrorInvalidRecipients", "At least one recipient isn't valid., Cannot send."
            )
        if put_off is not None:
            return _error(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
                {"Retry-After": f"{put_off:g}"},
            )
        if stall:
            self._hold(to, stall)
        elif self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            self.received.append(GraphRequest(mailbox, raw, token))
        return Answer(202)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return Answer(status, body, headers or {})
