"""GOV.UK Notify's `POST /v2/notifications/email` and `GET /v2/template/{id}`.

Requests must carry a JWT signed (HS256) with the secret of a key this server issued, naming the
service as `iss` and issued within 30 seconds. Keys are test, team or live: a team key sends only
to team members, a live key cannot send in trial mode to anyone else, a test key sends nothing
(its requests are recorded all the same). Refusals have Notify's documented bodies:
`{"status_code": 400, "errors": [{"error": "BadRequestError", "message": "..."}]}`.
Scripted per address, it refuses one for good (400 ValidationError), puts one off (500) or holds
its request before answering, as a slow service would.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from improveflow.testing.mail_apis.http import Answer, MailApiServer, Request

KeyKind = Literal["test", "team", "live"]
_PLACEHOLDER = re.compile(r"\(\(\s*([^()?]+?)\s*\)\)")
_CLOCK_LEEWAY_S = 30


@dataclass(frozen=True)
class NotifyRequest:
    """One accepted email notification, as posted, and the kind of key that sent it."""

    email_address: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    email_reply_to_id: str | None
    one_click_unsubscribe_url: str | None
    key_kind: KeyKind


class NotifyServer(MailApiServer):
    """One Notify service with one email template; `url` is IMPROVEFLOW_NOTIFY_BASE_URL."""

    def __init__(
        self,
        *,
        subject: str = "((subject))",
        body: str = "((body))",
        template_type: str = "email",
        team: tuple[str, ...] = ("improvement.team@council.example",),
        trial_mode: bool = False,
        port: int | None = None,
    ) -> None:
        super().__init__(port)
        self.service_id = str(uuid.uuid4())
        self.template_id = str(uuid.uuid4())
        self.reply_to_id = str(uuid.uuid4())
        self.subject, self.body, self.template_type = subject, body, template_type
        self.team = {address.lower() for address in team}
        self.trial_mode = trial_mode
        self.received: list[NotifyRequest] = []
        self._keys: dict[str, KeyKind] = {}  # secret -> kind
        self._limited = 0  # requests still to answer with 429
        self._put_off: Counter[str] = Counter()  # 500s still to answer, per address
        self.delay_s = 0.0  # how long each accepted email takes
        self.peak_in_flight = 0  # the most emails handled at once
        self._in_flight = 0
        self._flight = threading.Lock()

    def key(self, kind: KeyKind = "live", name: str = "improveflow") -> str:
        """A new API key of this kind, as Notify shows it: "{name}-{service id}-{secret}"."""
        secret = str(uuid.uuid4())
        with self._lock:
            self._keys[secret] = kind
        return f"{name}-{self.service_id}-{secret}"

    def rate_limit(self, times: int = 1) -> None:
        """Answer the next `times` requests with 429 RateLimitError."""
        with self._lock:
            self._limited += times

    def refuse(self, address: str) -> None:
        """Refuse every email to `address` for good: 400 ValidationError."""
        with self._lock:
            self._refused.add(address.lower())

    def put_off(self, address: str, times: int = 1) -> None:
        """Answer the next `times` emails to `address` with 500 Internal server error."""
        with self._lock:
            self._put_off[address.lower()] += times

    def _answer(self, request: Request) -> Answer:
        kind = self._key_kind(request.headers.get("authorization", ""))
        if isinstance(kind, Answer):
            return kind
        with self._lock:
            if self._limited:
                self._limited -= 1
                return _error(
                    429,
                    "RateLimitError",
                    f"Exceeded rate limit for key type {kind.upper()} of 3000 requests per 60 "
                    "seconds",
                )
        if request.method == "GET" and request.path.startswith("/v2/template/"):
            return self._template(request.path.removeprefix("/v2/template/"))
        if request.method == "POST" and request.path == "/v2/notifications/email":
            return self._send(request.json(), kind)
        return _error(404, "BadRequestError", "Resource not found")

    def _key_kind(self, authorization: str) -> KeyKind | Answer:
        token = authorization.removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _error(403, "AuthError", "Invalid token: signature, api token not found")
        if claims.get("iss") != self.service_id:
            return _error(403, "AuthError", "Invalid token: service not found")
        with self._lock:
            keys = dict(self._keys)
        for secret, kind in keys.items():
            try:
                jwt.decode(token, secret, algorithms=["HS256"], leeway=_CLOCK_LEEWAY_S)
            except jwt.PyJWTError:
                continue
            if abs(time.time() - float(claims.get("iat", 0))) > _CLOCK_LEEWAY_S:
                return _error(
                    403,
                    "AuthError",
                    "Error: Your system clock must be accurate to within 30 seconds",
                )
            return kind
        return _error(403, "AuthError", "Invalid token: API key not found")

    def _template(self, template_id: str) -> Answer:
        if template_id != self.template_id:
            return _error(404, "NoResultFound", "No Result Found")
        return Answer(
            200,
            {
                "id": self.template_id,
                "name": "improveflow: any email",
                "type": self.template_type,
                "created_at": "2026-01-05 10:30:31.142535",
                "updated_at": None,
                "version": 1,
                "created_by": "it.team@council.example",
                "subject": self.subject,
                "body": self.body,
                "letter_contact_block": None,
            },
        )

    def _send(self, posted: dict[str, Any], kind: KeyKind) -> Answer:
        address = str(posted.get("email_address", ""))
        with self._lock:
            refused = address.lower() in self._refused
            put_off = self._put_off[address.lower()] > 0
            if put_off:
                self._put_off[address.lower()] -= 1
            stall = self._stalled.get(address.lower(), 0.0)
        if "@" not in address.strip("@") or refused:
            return _error(400, "ValidationError", "email_address Not a valid email address")
        if put_off:
            return _error(500, "Exception", "Internal server error")
        if posted.get("template_id") != self.template_id:
            return _error(400, "BadRequestError", "Template not found")
        values = posted.get("personalisation") or {}
        needed = {name.lower() for name in _PLACEHOLDER.findall(self.subject + self.body)}
        missing = sorted(needed - {str(name).lower() for name in values})
        if missing:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        reply_to = posted.get("email_reply_to_id")
        if reply_to is not None and reply_to != self.reply_to_id:
            return _error(
                400,
                "BadRequestError",
                f"email_reply_to_id {reply_to} does not exist in database for service id "
                f"{self.service_id}",
            )
        unsubscribe = posted.get("one_click_unsubscribe_url")
        if unsubscribe is not None and not str(unsubscribe).startswith("https://"):
            return _error(
                400, "ValidationError", "one_click_unsubscribe_url is not a valid https url"
            )
        outsider = address.lower() not in self.team
        if kind == "team" and outsider:
            return _error(
                400, "BadRequestError", "Cannot send to this recipient using a team-only API key."
            )
        if kind == "live" and self.trial_mode and outsider:
            return _error(
                400,
                "BadRequestError",
                "Cannot send to this recipient when service is in trial mode - see "
                "https://www.notifications.service.gov.uk/trial-mode",
            )
        with self._flight:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if stall:
                self._hold(address.lower(), stall)
            elif self.delay_s:
                time.sleep(self.delay_s)
        finally:
            with self._flight:
                self._in_flight -= 1
        with self._lock:
            self.received.append(
                NotifyRequest(
                    address,
                    self.template_id,
                    dict(values),
                    posted.get("reference"),
                    reply_to,
                    unsubscribe,
                    kind,
                )
            )
        return Answer(201, self._created(posted, values))

    def _created(self, posted: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        lookup = {str(name).lower(): str(value) for name, value in values.items()}

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda found: lookup.get(found[1].lower(), found[0]), text)

        notification = str(uuid.uuid4())
        return {
            "id": notification,
            "reference": posted.get("reference"),
            "content": {
                "subject": fill(self.subject),
                "body": fill(self.body),
                "from_email": "improveflow@notifications.service.gov.uk",
                "one_click_unsubscribe_url": posted.get("one_click_unsubscribe_url"),
            },
            "uri": f"{self.url}/v2/notifications/{notification}",
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{self.template_id}",
            },
        }


def _error(status: int, error: str, message: str) -> Answer:
    return Answer(status, {"status_code": status, "errors": [{"error": error, "message": message}]})
