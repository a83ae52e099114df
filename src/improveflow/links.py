"""Signed, expiring links for emails: one salt per purpose, a nonce per token, time passed in.

A token is an itsdangerous `URLSafeTimedSerializer` dump of a small dict. The salt names the
link's purpose, so a token made for one page is refused by another. Each token carries a random
nonce `n`, so a later single-use check can record the ones already spent.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Serializer, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from improveflow.calendar import require_aware
from improveflow.clock import Clock, SystemClock
from improveflow.exceptions import ConfigurationError, LinkExpired, LinkInvalid

if TYPE_CHECKING:
    from improveflow.config import Settings

__all__ = ["PURPOSES", "LinkSigner", "milestone_slug"]

PURPOSES = frozenset({"action", "approval", "preferences", "sign_in", "timetable", "unsubscribe"})
NONCE_KEY = "n"
MIN_SECRET_LENGTH = 16

_SALT_PREFIX = "improveflow.link."
# Tokens are stamped by one machine and checked by another; allow their clocks to differ a little.
_CLOCK_SKEW = timedelta(minutes=5)
_STAMPERS_KEPT = 16


class _SignerAt(TimestampSigner):
    """A TimestampSigner that stamps a given moment instead of reading the system clock."""

    def __init__(self, *args: Any, at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._at = at

    def get_timestamp(self) -> int:
        return int(self._at.timestamp())


class _Serializer(URLSafeTimedSerializer):
    """URL-safe timed tokens, never compressed.

    itsdangerous compresses a payload only when that makes it shorter, which a few ids never
    are; trying costs a fifth of making a link. Tokens are the same bytes as without this.
    """

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


def _clean_base_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            "IMPROVEFLOW_BASE_URL must start with http:// or https:// and name a host: "
            f"{base_url!r}"
        )
    if parts.query or parts.fragment or any(ch.isspace() for ch in base_url.strip()):
        raise ConfigurationError(
            f"IMPROVEFLOW_BASE_URL must be a plain address with no spaces, '?' or '#': {base_url!r}"
        )
    return base_url.strip().rstrip("/")


def describe_age(age: timedelta) -> str:
    """'14 days', '1 hour', '30 minutes'."""
    days, rest = divmod(age, timedelta(days=1))
    if not rest:
        return "1 day" if days == 1 else f"{days} days"
    if age < timedelta(hours=1):
        minutes = max(1, round(age / timedelta(minutes=1)))
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = round(age / timedelta(hours=1))
    return "1 hour" if hours == 1 else f"{hours} hours"


def milestone_slug(milestone: str) -> str:
    """A milestone's kind as its page's address spells it: feedback_report, feedback-report."""
    return milestone.replace("_", "-")


class LinkSigner:
    """Makes and checks the signed links put in emails."""

    def __init__(
        self,
        secret: str,
        base_url: str,
        max_age: timedelta,
        *,
        clock: Clock | None = None,
        sign_in_max_age: timedelta | None = None,
    ) -> None:
        """`max_age` for every link but sign-in links, which last `sign_in_max_age` (at most
        `max_age`, and `max_age` when not given)."""
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"IMPROVEFLOW_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} characters "
                "to sign the links in emails"
            )
        sign_in_max_age = min(sign_in_max_age or max_age, max_age)
        if max_age <= timedelta(0) or sign_in_max_age <= timedelta(0):
            raise ConfigurationError("Links in emails must last longer than no time at all")
        self._secret = secret
        self._base_url = _clean_base_url(base_url)
        self._max_age = max_age
        # A sign-in link opens a whole session, so it need live only as long as a person
        # takes to open the email they just asked for.
        self._max_ages = {"sign_in": sign_in_max_age}
        self._clock: Clock = clock or SystemClock()
        self._stampers: dict[tuple[str, int], tuple[URLSafeTimedSerializer, Signer]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock, *, needed_for: str) -> LinkSigner:
        """The signer the settings describe; without a secret key, ConfigurationError saying
        it must be set `needed_for` ("to send email")."""
        if not settings.secret_key:
            raise ConfigurationError(f"IMPROVEFLOW_SECRET_KEY must be set {needed_for}")
        return cls(
            settings.secret_key,
            settings.base_url,
            timedelta(days=settings.link_max_age_days),
            clock=clock,
            sign_in_max_age=timedelta(minutes=settings.sign_in_link_max_age_minutes),
        )

    def max_age(self, purpose: str) -> timedelta:
        """How long a link for `purpose` works after it is made."""
        return self._max_ages.get(purpose, self._max_age)

    @property
    def base_url(self) -> str:
        """The site's address, without a trailing slash."""
        return self._base_url

    # Links ---------------------------------------------------------------------------------------

    def action_link(self, person_id: int | None, action_id: int) -> str:
        """The page where `person_id` updates action `action_id`."""
        token = self.token("action", {"person": person_id, "action": action_id})
        return f"{self._base_url}/actions/{action_id}?token={token}"

    def approval_link(self, person_id: int | None, request_id: int) -> str:
        """The page where `person_id` approves or rejects request `request_id`."""
        token = self.token("approval", {"person": person_id, "request": request_id})
        return f"{self._base_url}/approvals/{request_id}?token={token}"

    def timetable_link(self, person_id: int | None, plan_id: int, milestone: str) -> str:
        """The page where `person_id` marks milestone `milestone` ("feedback_report") of plan
        `plan_id`'s peer-challenge timetable done; its visit reaches that plan's timetable."""
        token = self.token(
            "timetable", {"person": person_id, "plan": plan_id, "milestone": milestone}
        )
        page = f"/plans/{plan_id}/timetable/{milestone_slug(milestone)}"
        return f"{self._base_url}{page}?token={token}"

    def preferences_link(self, person_id: int) -> str:
        """The page where `person_id` chooses how reminders reach them."""
        token = self.token("preferences", {"person": person_id})
        return f"{self._base_url}/preferences?token={token}"

    def unsubscribe_link(self, person_id: int) -> str:
        """The List-Unsubscribe address for `person_id` (RFC 8058 one-click).

        Its token is made for this one change and nothing else: no page but /unsubscribe
        takes it, and it never signs anyone in.
        """
        token = self.token("unsubscribe", {"person": person_id})
        return f"{self._base_url}/unsubscribe?token={token}"

    def sign_in_link(self, person_id: int) -> str:
        """A link that signs `person_id` in."""
        token = self.token("sign_in", {"person": person_id})
        return f"{self._base_url}/sign-in?token={token}"

    # Tokens --------------------------------------------------------------------------------------

    def token(self, purpose: str, payload: dict[str, Any]) -> str:
        """A token for `purpose` carrying `payload` and a fresh nonce, stamped with the clock."""
        if NONCE_KEY in payload:
            raise ValueError(f"the payload key {NONCE_KEY!r} is reserved for the nonce")
        serializer, signer = self._stamping(purpose, self._clock.now())
        body = serializer.dump_payload({**payload, NONCE_KEY: secrets.token_urlsafe(8)})
        return signer.sign(body).decode("ascii")

    def verify(self, token: str, purpose: str, now: datetime) -> dict[str, Any]:
        """The payload of `token` (with its nonce `n`), if it was made for `purpose` and is in date.

        Raises LinkInvalid for a changed, truncated or other-purpose token and LinkExpired for
        one older than the maximum age at `now`.
        """
        require_aware(now, "now")
        salt = self._salt(purpose)
        try:
            payload, signed_at = self._serializer(now).loads(
                token, salt=salt, return_timestamp=True
            )
        except BadSignature as exc:
            raise LinkInvalid() from exc
        if not isinstance(payload, dict) or NONCE_KEY not in payload:
            raise LinkInvalid()
        age = now - signed_at
        if age > self.max_age(purpose):
            kind = "Sign-in links" if purpose == "sign_in" else "Links in emails"
            raise LinkExpired(
                f"This link has expired. {kind} last {describe_age(self.max_age(purpose))}. "
                f"Ask for a new one at {self._base_url}/sign-in."
            )
        if age < -_CLOCK_SKEW:
            # Only a badly set clock makes these; honouring one would stretch its life.
            raise LinkInvalid(
                "This link is not valid yet: it is dated in the future. Ask for a new one at "
                f"{self._base_url}/sign-in."
            )
        return payload

    # ---------------------------------------------------------------------------------------------

    def _stamping(self, purpose: str, at: datetime) -> tuple[URLSafeTimedSerializer, Signer]:
        # What `dumps` builds afresh for every token, kept for the second it stamps: a dispatch
        # run signs every link at one moment, so this halves the cost of a link.
        key = (purpose, int(at.timestamp()))
        found = self._stampers.get(key)
        if found is None:
            serializer = self._serializer(at)
            found = (serializer, serializer.make_signer(self._salt(purpose)))
            if len(self._stampers) >= _STAMPERS_KEPT:
                self._stampers.clear()
            self._stampers[key] = found
        return found

    def _serializer(self, at: datetime) -> URLSafeTimedSerializer:
        # Built per call so the moment is fixed for that call alone: safe across threads.
        return _Serializer(self._secret, signer=_SignerAt, signer_kwargs={"at": at})

    @staticmethod
    def _salt(purpose: str) -> str:
        if purpose not in PURPOSES:
            known = ", ".join(sorted(PURPOSES))
            raise ValueError(f"unknown link purpose {purpose!r}; expected one of: {known}")
        return _SALT_PREFIX + purpose
