"""Build the MIME message for a rendered email: multipart/alternative, safe headers, CRLF bytes.

Names and addresses come from people's records, so they are checked here, at the last step
before the wire: a line break in a name must never become a header of its own.

Building is kept lean (the stdlib's header registry parses every value it is handed, ~0.1 ms
each, and again when folding): values this module has checked and that are plain ASCII are
stored already folded with `set_raw`; anything else goes through the policy, which encodes it.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import unicodedata
from datetime import datetime
from email import policy
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from improveflow.calendar import require_aware
from improveflow.exceptions import InvalidValue
from improveflow.notify.render import RenderedEmail

__all__ = ["BOUNDARY", "SMTP_POLICY", "as_bytes", "build_message", "message_id"]

# SMTP wants CRLF (the default policy's bare LF makes servers answer "500 Line too long").
# refold_source="none": the policy would otherwise re-encode a long raw value such as the
# List-Unsubscribe URL as RFC 2047 words, which mail clients do not decode there.
SMTP_POLICY = policy.SMTP.clone(refold_source="none")
MAX_LINE = 78  # RFC 5322's recommended limit; the hard one is 998
MAX_URL = 900
MAX_NAME = 200  # as Person.name

# Quoted-printable bodies never contain "=_" (every "=" becomes "=3D"), so this boundary cannot
# collide with content and need not be random.
BOUNDARY = "=_improveflow_alternative"

# Parsed once: header objects are immutable, and shared by every message.
_ALTERNATIVE = SMTP_POLICY.header_factory(
    "Content-Type", f'multipart/alternative; boundary="{BOUNDARY}"'
)
_TEXT = SMTP_POLICY.header_factory("Content-Type", 'text/plain; charset="utf-8"')
_HTML = SMTP_POLICY.header_factory("Content-Type", 'text/html; charset="utf-8"')
_QUOTED_PRINTABLE = SMTP_POLICY.header_factory("Content-Transfer-Encoding", "quoted-printable")

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


@lru_cache(maxsize=4096)
def _checked_address(address: str) -> str:
    # Recipients repeat from run to run, and checking one costs about 60 microseconds.
    if _has_control(address):
        raise InvalidValue(f"The email address {address!r} contains a control character.")
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"{address!r} is not a valid email address: {exc}") from exc
    return valid.ascii_email or valid.normalized


@lru_cache(maxsize=64)
def _sender(sender: str) -> Address:
    # From settings: "Council <improveflow@council.gov.uk>" or a bare address. A local relay's
    # "improveflow@localhost" must pass, so this is a plain check, not email_validator.
    if _has_control(sender):
        raise InvalidValue(f"The sender {sender!r} contains a control character.")
    name, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    if not at or not local or not _DOMAIN.match(domain):
        raise InvalidValue(f"The sender {sender!r} is not an email address.")
    return Address(display_name=name, username=local, domain=domain)


def _subject(subject: str) -> str:
    # The renderer already gives one line; this guards callers that did not use it.
    flat = " ".join(subject.split())
    return "".join(ch for ch in flat if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)


def _unsubscribe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValue(f"The unsubscribe link {url!r} is not an http(s) address.")
    if _has_control(url) or any(ch.isspace() or ch in "<>" for ch in url) or not url.isascii():
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


def _set_address(msg: EmailMessage, name: str, address: Address) -> None:
    text = str(address)  # quotes a name with commas or other specials
    if _plain(text) and _fits(name, text):
        msg.set_raw(name, text)
    else:
        msg[name] = address


def _set_subject(msg: EmailMessage, subject: str) -> None:
    folded = _fold("Subject", subject)
    if _plain(subject) and _fits("Subject", folded):
        msg.set_raw("Subject", folded)
    else:
        msg["Subject"] = subject


def _part(content_type: BaseHeader, body: str) -> MIMEPart:
    part = MIMEPart(policy=SMTP_POLICY)
    part["Content-Type"] = content_type
    part["Content-Transfer-Encoding"] = _QUOTED_PRINTABLE
    # Quoted-printable passes relays without 8BITMIME and wraps long HTML lines; binascii's
    # encoder is C code, many times faster than the content manager's.
    unified = body.replace("\r\n", "\n").replace("\r", "\n")
    part.set_payload(binascii.b2a_qp(unified.encode("utf-8"), istext=True).decode("ascii"))
    return part


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
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) ready for `as_bytes`.

    Raises InvalidValue for a name with a control character, an invalid address, or a bad
    unsubscribe link or Message-ID domain.
    """
    to = Address(
        display_name=_display_name(recipient_name), addr_spec=_checked_address(recipient_email)
    )
    msg = EmailMessage(policy=SMTP_POLICY)
    _set_address(msg, "From", _sender(sender))
    _set_address(msg, "To", to)
    _set_subject(msg, _subject(rendered.subject))
    msg.set_raw("Date", format_datetime(require_aware(sent_at, "sent_at")))
    # From the outbox key, so a resend after a crash is recognisably the same email.
    msg.set_raw("Message-ID", message_id(idempotency_key, message_id_domain))
    msg.set_raw("List-Unsubscribe", f"<{_unsubscribe_url(list_unsubscribe_url)}>")
    msg.set_raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    # Tells other systems (and out-of-office replies) that no person sent this.
    msg.set_raw("Auto-Submitted", "auto-generated")
    msg.set_raw("MIME-Version", "1.0")
    msg["Content-Type"] = _ALTERNATIVE
    msg.set_payload([_part(_TEXT, rendered.text), _part(_HTML, rendered.html)])
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as SMTP wants it: CRLF line endings throughout."""
    return msg.as_bytes(policy=SMTP_POLICY)
