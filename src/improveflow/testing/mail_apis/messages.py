"""Built emails for transport tests: the same MIME bytes the outbox sends."""

from __future__ import annotations

from datetime import UTC, datetime

from improveflow.notify.message import OutgoingEmail, build_message
from improveflow.notify.render import RenderedEmail

SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sample_email(
    sender: str,
    recipient: str,
    *,
    key: str = "sample-1",
    subject: str = "Your action is due on 6 March 2026",
    text: str = "Dear Dana,\n\nUpdate this action:\nhttps://plans.council.example/actions/7\n",
    unsubscribe: str = "https://plans.council.example/unsubscribe?token=abc",
) -> OutgoingEmail:
    """A multipart email from `sender` to `recipient`; `key` makes its Message-ID."""
    html = "".join(f"<p>{line}</p>" for line in text.splitlines() if line)
    return build_message(
        RenderedEmail(subject=subject, text=text, html=f"<html><body>{html}</body></html>"),
        sender=sender,
        recipient_email=recipient,
        recipient_name="Dana Whitfield",
        message_id_domain=sender.rpartition("@")[2] or "localhost",
        idempotency_key=key,
        list_unsubscribe_url=unsubscribe,
        sent_at=SENT_AT,
    )
