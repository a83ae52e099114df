"""The GOV.UK Notify transport: one generic email template, filled with each email's words.

Notify sends from its own address with its own layout, so it takes words, not MIME: the
template (IMPROVEFLOW_NOTIFY_TEMPLATE_ID) has the subject `((subject))` and the body `((body))`,
and each email fills them with its subject and its plain text (rendered from the text templates,
where links are plain URLs, which Notify turns into links). The outbox id goes as Notify's
`reference`, so a repeat after a crash is recognisable on Notify's dashboard; a one-click
unsubscribe link goes as Notify's `one_click_unsubscribe_url`. Replies go to the Notify reply-to
address IMPROVEFLOW_NOTIFY_REPLY_TO_ID names, or the service's default.

notifications-python-client is synchronous and a client is not thread-safe, so each of the
`size` worker threads has its own. Opening the transport fetches the template once: a key Notify
does not know, or a template without the two placeholders (whose emails would go out with the
template's own words), stops the run before any email is sent.

Notify asks that code use its error types rather than its messages; the types alone cannot tell
a key of the wrong kind from an over-long email (both are a 400 BadRequestError), so the
documented messages choose the explanation, and anything unrecognised is temporary: mail waits
rather than being given up.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

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
)
from improveflow.transports.notify_content import notify_content

__all__ = ["NotifyTransport", "notify_failure", "template_problem"]

T = TypeVar("T")

# Notify's rate limit is counted over a rolling minute.
_RATE_WINDOW_S = 60.0
_PLACEHOLDER = r"\(\(\s*{name}\s*\)\)"
_SUBJECT = re.compile(_PLACEHOLDER.format(name="subject"), re.IGNORECASE)
_BODY = re.compile(_PLACEHOLDER.format(name="body"), re.IGNORECASE)


class NotifyTransport(TransportBase):
    """Email through GOV.UK Notify, `size` requests at once."""

    name = "notify"

    def __init__(self, settings: Settings, size: int) -> None:
        if settings.notify_api_key is None or settings.notify_template_id is None:
            raise ValueError("the Notify API key and template id are not set")
        self._api_key = settings.notify_api_key
        self._template_id = settings.notify_template_id
        self._base_url = settings.notify_base_url
        self._reply_to_id = settings.notify_reply_to_id
        self._timeout_s = settings.smtp_timeout_s
        self._size = max(1, size)
        self._executor: ThreadPoolExecutor | None = None
        self._idle: asyncio.Queue[NotificationsAPIClient] = asyncio.Queue()
        self.template: dict[str, Any] | None = None  # as Notify returned it on opening

    @property
    def concurrency(self) -> int:
        return self._size

    def _client(self) -> NotificationsAPIClient:
        # The client's constructor has no type hints (its methods do).
        return NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self._api_key.get_secret_value(), base_url=self._base_url, timeout=self._timeout_s
        )

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(self._size, thread_name_prefix="notify")
        self._idle = asyncio.Queue()
        for _ in range(self._size):
            self._idle.put_nowait(self._client())
        template = await self._call(NotificationsAPIClient.get_template, self._template_id)
        problem = template_problem(template, self._template_id)
        if problem is not None:
            raise TransportUnavailable(
                problem, stage=Stage.AUTHENTICATE, cause=Cause.NOTIFY_TEMPLATE_WRONG
            )
        self.template = template

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        while not self._idle.empty():
            self._idle.get_nowait().request_session.close()
        if executor is not None:
            executor.shutdown(wait=False)

    async def send(
        self, email: OutgoingEmail, *, sender: str, recipient: str, reference: str
    ) -> None:
        content = notify_content(email)
        await self._call(
            NotificationsAPIClient.send_email_notification,
            email_address=recipient,
            template_id=self._template_id,
            personalisation={"subject": content.subject, "body": content.body},
            reference=reference,
            email_reply_to_id=self._reply_to_id,
            one_click_unsubscribe_url=content.one_click_unsubscribe_url,
        )

    async def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a client method on a worker thread with a client of its own."""
        if self._executor is None:
            raise RuntimeError("open the transport before using it")
        client = await self._idle.get()
        try:
            call = functools.partial(method, client, *args, **kwargs)
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except APIError as error:
            raise notify_failure(error) from error
        finally:
            self._idle.put_nowait(client)


def template_problem(template: dict[str, Any], template_id: str) -> str | None:
    """What is wrong with the Notify template for improveflow's email, or None."""
    kind = template.get("type")
    if kind != "email":
        return f"The Notify template {template_id} is a {kind or 'non-email'} template, not email."
    missing = [
        placeholder
        for placeholder, pattern, text in (
            ("((subject)) in its subject", _SUBJECT, template.get("subject")),
            ("((body)) in its message", _BODY, template.get("body")),
        )
        if not pattern.search(str(text or ""))
    ]
    if missing:
        return f"The Notify template {template_id} lacks " + " and ".join(missing) + "."
    return None


def notify_failure(error: APIError) -> DeliveryFailure:
    """A Notify error answer as a temporary or permanent failure."""
    status = error.status_code
    kind, message = _first_error(error)
    reason = f"GOV.UK Notify answered {status}" + (f" {kind}" if kind else "")
    if message:
        reason += f": {message}"
    said = message.lower()
    if error.response is None:  # no answer at all: the client says 503 "Request failed"
        return TransportUnavailable(
            f"Could not reach GOV.UK Notify: {error.__cause__ or message}",
            stage=Stage.CONNECT,
            cause=Cause.UNREACHABLE,
        )
    if status == 403:
        cause = Cause.NOTIFY_CLOCK if "clock" in said else Cause.NOTIFY_KEY_INVALID
        return TransportUnavailable(
            reason, stage=Stage.AUTHENTICATE, cause=cause, status=status, code=kind
        )
    if status == 429:
        daily = kind == "TooManyRequestsError"
        return TemporaryFailure(
            reason,
            stage=Stage.SEND,
            cause=Cause.NOTIFY_DAILY_LIMIT if daily else Cause.THROTTLED,
            status=status,
            code=kind,
            retry_after=_until_midnight_utc() if daily else _RATE_WINDOW_S,
        )
    if status == 400 and kind == "ValidationError":
        return PermanentFailure(
            reason,
            fault=DeliveryFault.RECIPIENT,
            stage=Stage.SEND,
            cause=Cause.RECIPIENT_REFUSED if "email_address" in said else Cause.MESSAGE_REFUSED,
            status=status,
            code=kind,
        )
    if status == 400 and "cannot be longer than" in said:
        return PermanentFailure(
            reason,
            fault=DeliveryFault.RECIPIENT,
            stage=Stage.SEND,
            cause=Cause.MESSAGE_REFUSED,
            status=status,
            code=kind,
        )
    cause = _setting_cause(said) if status in (400, 404) else Cause.SERVER_ERROR
    return TemporaryFailure(reason, stage=Stage.SEND, cause=cause, status=status, code=kind)


def _setting_cause(said: str) -> Cause:
    """Which setting a 400 refusal is about, from Notify's documented messages."""
    if "team-only" in said or "team only" in said:
        return Cause.NOTIFY_TEAM_KEY
    if "trial mode" in said:
        return Cause.NOTIFY_TRIAL_MODE
    if "reply_to" in said:
        return Cause.NOTIFY_REPLY_TO_UNKNOWN
    if "personalisation" in said:
        return Cause.NOTIFY_TEMPLATE_WRONG
    if "template" in said or "no result found" in said:
        return Cause.NOTIFY_TEMPLATE_NOT_FOUND
    return Cause.SERVER_ERROR


def _first_error(error: APIError) -> tuple[str | None, str]:
    """Notify's error type and message: {"status_code": 400, "errors": [{"error", "message"}]}."""
    response = error.response
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        kind = first.get("error")
        return (str(kind) if kind else None, " ".join(str(first.get("message", "")).split()))
    return None, " ".join(str(error.message).split())


def _until_midnight_utc() -> float:
    # Notify's daily limits reset at midnight UTC.
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return (midnight - now).total_seconds()
