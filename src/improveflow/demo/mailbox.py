"""The demo's mailbox: what its SMTP server caught, read as a mail client reads it."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime

from improveflow import exceptions
from improveflow.testing.smtp import CapturingSmtpServer, ReceivedEmail


@dataclass(frozen=True)
class Mail:
    """One email: numbered from 1 in the order it arrived."""

    number: int
    sent_at: datetime | None
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    raw: bytes


def _read(number: int, received: ReceivedEmail) -> Mail:
    message = received.message
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    date_header = message["Date"]
    sent_at = email.utils.parsedate_to_datetime(str(date_header)) if date_header else None
    return Mail(
        number=number,
        sent_at=sent_at,
        sender=str(message["From"] or received.sender),
        to=received.recipients,
        subject=str(message["Subject"] or "(no subject)"),
        text=str(text_part.get_content()) if text_part is not None else "",
        html=str(html_part.get_content()) if html_part is not None else None,
        raw=received.raw,
    )


def newest_first(smtp: CapturingSmtpServer, to: str | None = None) -> list[Mail]:
    """Every email caught (only those to `to`, when given), the newest first."""
    found = [_read(n, received) for n, received in enumerate(smtp.received, start=1)]
    if to:
        found = [mail for mail in found if to.lower() in (r.lower() for r in mail.to)]
    return found[::-1]


def recipients(smtp: CapturingSmtpServer) -> list[str]:
    """Everyone who has been sent an email, in alphabetical order."""
    return sorted({r.lower() for received in smtp.received for r in received.recipients})


def mail_number(smtp: CapturingSmtpServer, number: int) -> Mail:
    received = smtp.received
    if not 1 <= number <= len(received):
        raise exceptions.NotFound(f"There is no email number {number} in the demo's mailbox")
    return _read(number, received[number - 1])
