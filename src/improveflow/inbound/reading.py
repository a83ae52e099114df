"""An incoming email's bytes as the facts a reply is judged on: who, to whom, and its text.

The text is the message's plain-text part; a message with only HTML has its HTML turned into
text, leaving out quoted history (blockquotes, Gmail's and Outlook's quote containers).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

__all__ = ["InboundMessage", "read_message"]

# Headers a mail system writes with the address a message was delivered to.
_DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


@dataclass(frozen=True)
class InboundMessage:
    """One received email, parsed. `envelope_sender` is SMTP's MAIL FROM when known ("" for a
    bounce's null sender; None when the message came from a mailbox)."""

    message_id: str
    sender: str
    subject: str
    recipients: tuple[str, ...]
    text: str
    size: int
    envelope_sender: str | None
    message: EmailMessage = field(compare=False, repr=False)


def read_message(
    data: bytes,
    *,
    envelope_sender: str | None = None,
    envelope_recipients: tuple[str, ...] = (),
    size: int | None = None,
) -> InboundMessage:
    """Parse `data` (`size`: the whole message's, when `data` is only its headers); a message
    without a Message-ID gets one made from its bytes, so the same message delivered twice is
    still recognised."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    message_id = _header(message, "Message-ID").strip()
    if not message_id:
        message_id = f"<{hashlib.sha256(data).hexdigest()[:40]}@improveflow.invalid>"
    sender = parseaddr(_header(message, "From"))[1].strip().lower()
    recipients = list(envelope_recipients)
    for name in _DELIVERY_HEADERS:
        values = [str(v) for v in message.get_all(name, [])]
        recipients.extend(address for _, address in getaddresses(values) if address)
    return InboundMessage(
        message_id=message_id[:300],
        sender=sender,
        subject=" ".join(_header(message, "Subject").split()),
        recipients=tuple(dict.fromkeys(recipients)),
        text=_text_of(message),
        size=len(data) if size is None else size,
        envelope_sender=envelope_sender,
        message=message,
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a header the policy cannot parse
        return ""
    return "" if value is None else str(value)


def _text_of(message: EmailMessage) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _content(plain)
    rich = message.get_body(preferencelist=("html",))
    if rich is not None:
        return html_to_text(_content(rich))
    return ""


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return str(content).replace("\r\n", "\n")


# HTML -------------------------------------------------------------------------------------------

_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "hr"})
_SKIPPED = frozenset({"style", "script", "head", "title", "blockquote"})
# Containers mail programs put the quoted email in.
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the tags whose content is being left out
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        named = dict(attrs)
        classes = (named.get("class") or "").lower()
        ident = (named.get("id") or "").lower()
        if ident in _QUOTE_IDS:
            self.stopped = True  # Outlook: everything from here on is the quoted email
            return
        if self.skipping or tag in _SKIPPED or any(c in classes for c in _QUOTE_CLASSES):
            if tag not in ("br", "hr", "img", "meta", "link"):
                self.skipping.append(tag)
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif not self.skipping and not self.stopped and tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.stopped:
            self.parts.append(" ".join(data.split(" ")))


def html_to_text(markup: str) -> str:
    """The text a reader sees of `markup`, without quoted history; one line per block."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in html.unescape("".join(parser.parts)).split("\n"))
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
