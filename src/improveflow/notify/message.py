"""Build the bytes of a rendered email: multipart/alternative, safe headers, CRLF lines.

Names and addresses come from people's records, so they are checked here, at the last step
before the wire: a line break in a name must never become a header of its own.

Every email has the same shape (text and HTML parts, quoted-printable, a fixed header set), so
the bytes are written directly rather than through `EmailMessage`: its header registry parses
each value it is handed and its generator folds them again, ~1 ms an email, more than sending
it. Plain ASCII values that fit are written as they are; anything else goes through the
stdlib policy, which encodes it (RFC 2047) and folds it.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from improveflow.calendar import require_aware
from improveflow.exceptions import InvalidValue
from improveflow.notify.render import RenderedEmail

__all__ = ["BOUNDARY", "SMTP_POLICY", "OutgoingEmail", "build_message", "message_id"]

# SMTP wants CRLF (the default policy's bare LF makes servers answer "500 Line too long").
# refold_source="none": the policy would otherwise re-encode a long raw value such as the
# List-Unsubscribe URL as RFC 2047 words, which mail clients do not decode there.
SMTP_POLICY = policy.SMTP.clone(refold_source="none")
CRLF = "\r\n"
MAX_LINE = 78  # RFC 5322's recommended limit; the hard one is 998
MAX_URL = 900
MAX_NAME = 200  # as Person.name

# Quoted-printable bodies never contain "=_" (every "=" becomes "=3D"), so this boundary cannot
# collide with content and need not be random.
BOUNDARY = "=_improveflow_alternative"

_MULTIPART_HEADERS = (
    f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{BOUNDARY}"\r\n\r\n'
).encode("ascii")


def _part_start(subtype: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
    ).encode("ascii")


_TEXT_PART = _part_start("plain")
_HTML_PART = _part_start("html")
_END = f"--{BOUNDARY}--\r\n".encode("ascii")


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One email ready for the wire: its Message-ID and its bytes (7-bit, CRLF lines)."""

    message_id: str
    data: bytes


# Whitespace (line breaks included), ASCII control characters, and the brackets around the URL.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f<>]")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Control characters, and the Unicode line and paragraph separators some mail code splits on.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def _has_control(text: str) -> bool:
    # isprintable() is C code and true for nearly every value; only then look closer.
    return not text.isprintable() and any(
        unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in text
    )


def _display_name(name: str) -> str:
    if _has_control(name):
        raise InvalidValue(
            f"The name {name!r} contains a line break or another control character, "
            "so it cannot be put in an email header. Correct the person's name."
        )
    if len(name) > MAX_NAME:
        # The policy does not break a long name, and SMTP refuses lines over 998 characters.
        raise InvalidValue(
            f"The name {name[:40]!r}... is too long for an email header "
            f"({len(name)} characters; at most {MAX_NAME})."
        )
    return name.strip()


# A plain ASCII address: dot-atom local part, a host name with at least one dot. Such an address
# is safe on the SMTP command line and in a header as it is.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+{_LABEL})")
MAX_ADDRESS = 254


@lru_cache(maxsize=4096)
def _checked_address(address: str) -> str:
    """`address` as it goes on the wire, or InvalidValue.

    People's addresses were validated with email_validator when they were recorded; here
    a plain ASCII address only has to be one the wire can carry safely, which a pattern
    decides in a microsecond. Anything else (an internationalised domain, say) goes through
    email_validator again, which also turns it into ASCII.
    """
    plain = _PLAIN_ADDRESS.fullmatch(address)
    if plain is not None and len(address) <= MAX_ADDRESS:
        return f"{plain[1]}@{plain[2].lower()}"
    if _has_control(address):
        raise InvalidValue(f"The email address {address!r} contains a control character.")
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"{address!r} is not a valid email address: {exc}") from exc
    return valid.ascii_email or valid.normalized


@lru_cache(maxsize=64)
def _sender(sender: str, what: str = "sender") -> Address:
    # From settings: "Council <improveflow@council.gov.uk>" or a bare address. A local relay's
    # "improveflow@localhost" must pass, so this is a plain check, not email_validator.
    if _has_control(sender):
        raise InvalidValue(f"The {what} {sender!r} contains a control character.")
    name, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    if not at or not local or not _DOMAIN.match(domain):
        raise InvalidValue(f"The {what} {sender!r} is not an email address.")
    return Address(display_name=name, username=local, domain=domain)


def _subject(subject: str) -> str:
    # The renderer already gives one line; this guards callers that did not use it.
    flat = " ".join(subject.split())
    if flat.isprintable():  # C code, true for nearly every subject
        return flat
    return "".join(ch for ch in flat if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)


def _unsubscribe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValue(f"The unsubscribe link {url!r} is not an http(s) address.")
    if not url.isascii() or _NOT_IN_URL.search(url):
        raise InvalidValue(f"The unsubscribe link {url!r} has a character a URL cannot have.")
    if len(url) > MAX_URL:
        raise InvalidValue(f"The unsubscribe link is too long for a header ({len(url)} chars).")
    return url


def _fold(name: str, value: str) -> str:
    """`value` broken before spaces so each line of `name: value` fits in MAX_LINE."""
    lines: list[str] = []
    line, room = "", MAX_LINE - len(name) - 2
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = word, MAX_LINE - 1  # a continuation line starts with the space
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def _plain(text: str) -> bool:
    # "=?" would read as the start of an RFC 2047 encoded word.
    return text.isascii() and "=?" not in text


def _fits(name: str, folded: str) -> bool:
    # Raw values are written as they are, so each line must already be short; the policy's
    # own folding (and encoding, for a word too long to fit) handles the rest.
    first, *rest = folded.split("\r\n")
    return len(name) + 2 + len(first) <= MAX_LINE and all(len(line) <= MAX_LINE for line in rest)


def _header(name: str, value: str | Address) -> str:
    """`name: value` and its CRLF; encoded and folded by the policy unless plain and short."""
    text = value if isinstance(value, str) else str(value)  # str() quotes names with commas
    folded = _fold(name, text) if isinstance(value, str) else text
    if _plain(text) and _fits(name, folded):
        return f"{name}: {folded}{CRLF}"
    folded_by_policy: str = SMTP_POLICY.header_factory(name, value).fold(policy=SMTP_POLICY)
    return folded_by_policy


def _quoted_printable(body: str) -> bytes:
    # Quoted-printable passes relays without 8BITMIME and wraps long HTML lines; binascii's
    # encoder is C code. Line breaks are unified first so the encoder sees one kind.
    unified = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(unified.encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


@lru_cache(maxsize=8)
def _date(sent_at: datetime) -> str:
    # A dispatch run dates every message with one moment.
    return format_datetime(require_aware(sent_at, "sent_at"))


def message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID for an outbox row: the same key always gives the same id."""
    if not _DOMAIN.match(domain):
        raise InvalidValue(f"{domain!r} is not a domain name for Message-IDs.")
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_message(
    rendered: RenderedEmail,
    *,
    sender: str,
    recipient_email: str,
    recipient_name: str,
    message_id_domain: str,
    idempotency_key: str,
    list_unsubscribe_url: str,
    sent_at: datetime,
    reply_to: str | None = None,
) -> OutgoingEmail:
    """A multipart/alternative email (text, then HTML), as the bytes SMTP sends.

    `reply_to` ("Name <address>" or an address), when given, is where replies go instead of
    the sending mailbox. Raises InvalidValue for a name with a control character, an invalid
    address, or a bad unsubscribe link, Reply-To or Message-ID domain.
    """
    name = _display_name(recipient_name)
    local, _, domain = _checked_address(recipient_email).rpartition("@")
    to = Address(display_name=name, username=local, domain=domain)
    # From the outbox key, so a resend after a crash is recognisably the same email.
    identifier = message_id(idempotency_key, message_id_domain)
    unsubscribe = _unsubscribe_url(list_unsubscribe_url)
    # RFC 8058's one-click POST works only at an unsubscribe link, whose token allows it; the
    # plain preferences page (for someone with no record) must not promise it.
    one_click = (
        f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{CRLF}"
        if "/unsubscribe?token=" in unsubscribe
        else ""
    )
    headers = "".join(
        (
            _header("From", _sender(sender)),
            _header("To", to),
            _header("Subject", _subject(rendered.subject)),
            f"Date: {_date(sent_at)}{CRLF}",
            f"Message-ID: {identifier}{CRLF}",
            f"List-Unsubscribe: <{unsubscribe}>{CRLF}",
            one_click,
            # Tells other systems (and out-of-office replies) that no person sent this.
            f"Auto-Submitted: auto-generated{CRLF}",
            # Exchange ignores Auto-Submitted: without this its out-of-office and delivery
            # replies would flood the sending mailbox.
            f"X-Auto-Response-Suppress: All{CRLF}",
            _header("Reply-To", _sender(reply_to, "Reply-To")) if reply_to else "",
        )
    )
    data = b"".join(
        (
            headers.encode("ascii"),
            _MULTIPART_HEADERS,
            _TEXT_PART,
            _quoted_printable(rendered.text),
            b"\r\n",
            _HTML_PART,
            _quoted_printable(rendered.html),
            b"\r\n",
            _END,
        )
    )
    return OutgoingEmail(message_id=identifier, data=data)
