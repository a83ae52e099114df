"""Reply addresses: a signed token in the address an email's Reply-To names.

A token binds one person to one email (its outbox row), and so to the action or actions that
email is about. It is signed with itsdangerous under its own salt, so no link token works as
one, and it expires as links do. It must live in an address's local part, which RFC 5321
limits to 64 characters and some mail systems lower-case, so it is short and lower case:
person, email and moment in base 36, then an 80-bit signature in base 32 (`7-ya-t9x3kq.abcd...`).

`improvement@council.gov.uk` gives `improvement+TOKEN@council.gov.uk` (plus addressing), or,
for a domain routed to improveflow whole, `TOKEN@replies.council.gov.uk`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Literal

from itsdangerous import BadSignature, Signer

from improveflow.calendar import require_aware
from improveflow.exceptions import ConfigurationError, LinkExpired, LinkInvalid
from improveflow.links import MIN_SECRET_LENGTH, describe_age

__all__ = ["AddressStyle", "ReplyAddresses", "ReplyToken"]

AddressStyle = Literal["plus", "local"]
SALT = "improveflow.reply"
_SIGNATURE_CHARS = 16  # 80 bits of HMAC-SHA256, base 32
_SEP = "-"  # between the person, the email and the moment
_SIGNATURE_SEP = "."  # itsdangerous refuses a separator its own alphabet uses
# Tokens are stamped by one machine and checked by another; allow their clocks to differ a little.
_CLOCK_SKEW = timedelta(minutes=5)


class _ShortSigner(Signer):
    """An itsdangerous Signer whose signature is short lower-case base 32, fit for an address."""

    def get_signature(self, value: str | bytes) -> bytes:
        raw = self.algorithm.get_signature(self.derive_key(), _bytes(value))
        return base64.b32encode(raw).decode("ascii").lower()[:_SIGNATURE_CHARS].encode("ascii")

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        return hmac.compare_digest(_bytes(sig), self.get_signature(value))


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


@dataclass(frozen=True)
class ReplyToken:
    """Whom a reply address is for, and which email it answers."""

    person_id: int
    email_id: int
    made_at: datetime


class ReplyAddresses:
    """Makes and reads the reply addresses of improveflow's emails."""

    def __init__(
        self, secret: str, address: str, max_age: timedelta, *, style: AddressStyle = "plus"
    ) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"IMPROVEFLOW_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} characters "
                "to sign reply addresses"
            )
        local, at, domain = parseaddr(address)[1].rpartition("@")
        if not at or not domain or (style == "plus" and not local):
            raise ConfigurationError(
                f"IMPROVEFLOW_REPLY_ADDRESS must be an email address: {address!r}"
            )
        self._signer = _ShortSigner(
            secret, salt=SALT, sep=_SIGNATURE_SEP, digest_method=hashlib.sha256
        )
        self._local = local
        self._domain = domain.lower()
        self._style: AddressStyle = style
        self._max_age = max_age

    @property
    def max_age(self) -> timedelta:
        return self._max_age

    def token(self, person_id: int, email_id: int, at: datetime) -> str:
        """A token for `person_id`'s replies to email `email_id`, stamped `at`."""
        stamp = int(require_aware(at, "at").timestamp())
        value = _SEP.join(_base36(n) for n in (person_id, email_id, stamp))
        return self._signer.sign(value).decode("ascii")

    def address(self, person_id: int, email_id: int, at: datetime) -> str:
        """The Reply-To address for `person_id`'s copy of email `email_id`."""
        token = self.token(person_id, email_id, at)
        if self._style == "plus":
            return f"{self._local}+{token}@{self._domain}"
        return f"{token}@{self._domain}"

    def read(self, token: str, now: datetime) -> ReplyToken:
        """The token's person and email; LinkInvalid if changed or made for something else,
        LinkExpired once older than the links' maximum age."""
        require_aware(now, "now")
        try:
            value = self._signer.unsign(token.strip().lower()).decode("ascii")
            person, email, stamp = (int(part, 36) for part in value.split(_SEP))
        except (BadSignature, ValueError) as exc:
            raise LinkInvalid(
                "The address this reply was sent to is not one improveflow gave out: it may "
                "have been changed or mistyped."
            ) from exc
        made_at = datetime.fromtimestamp(stamp, UTC)
        age = now - made_at
        if age > self._max_age:
            raise LinkExpired(
                f"The email you replied to is too old to answer by email: replies work for "
                f"{describe_age(self._max_age)} after an email is sent."
            )
        if age < -_CLOCK_SKEW:
            raise LinkInvalid("The address this reply was sent to is dated in the future.")
        return ReplyToken(person_id=person, email_id=email, made_at=made_at)

    def candidates(self, recipients: Iterable[str]) -> list[str]:
        """The tokens in those of `recipients` that are reply addresses, in order, once each."""
        found: list[str] = []
        for recipient in recipients:
            local, at, domain = parseaddr(recipient)[1].rpartition("@")
            if not at or domain.lower() != self._domain:
                continue
            if self._style == "plus":
                base, plus, token = local.partition("+")
                if not plus or base.lower() != self._local.lower():
                    continue
            else:
                token = local
            if token and token.lower() not in found:
                found.append(token.lower())
        return found
