"""An email's words for GOV.UK Notify: its subject, its plain-text body and its one-click
unsubscribe link, taken from the built message.

The plain-text part is rendered from the text templates, so its links are plain URLs, which is
what Notify's formatting wants (Notify makes them links). Reading them back from the MIME bytes
keeps every transport sending from the same built message.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser

from improveflow.notify.message import OutgoingEmail

__all__ = ["NotifyContent", "notify_content"]


@dataclass(frozen=True, slots=True)
class NotifyContent:
    """The values for the generic template's placeholders, and the unsubscribe link."""

    subject: str
    body: str
    one_click_unsubscribe_url: str | None


def notify_content(built: OutgoingEmail) -> NotifyContent:
    """The subject, the text part (LF line ends) and the one-click link of a built email."""
    message = BytesParser(EmailMessage, policy=email.policy.default).parsebytes(built.data)
    text = message.get_body(preferencelist=("plain",))
    body = text.get_content() if isinstance(text, EmailMessage) else ""
    body = body.replace("\r\n", "\n").strip("\n")
    return NotifyContent(
        subject=" ".join(str(message.get("Subject", "")).split()),
        body=body,
        one_click_unsubscribe_url=_one_click_link(message),
    )


def _one_click_link(message: EmailMessage) -> str | None:
    """The List-Unsubscribe URL when the email offers RFC 8058 one-click (Notify wants https)."""
    if message.get("List-Unsubscribe-Post") is None:
        return None
    value = str(message.get("List-Unsubscribe", "")).strip()
    url = value.removeprefix("<").removesuffix(">")
    return url if url.startswith("https://") else None
