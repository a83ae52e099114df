"""Replies built as Outlook, Gmail and Apple Mail build them: the new text on top, a
signature, the quoted email below, in text and HTML parts with each program's own headers."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

QUOTED_TEXT = (
    "Dear Owen Owner,\n\nYour action is due in 5 working days.\n\n"
    "Improve housing repairs\nPlan: Housing improvement plan\n"
)
SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DISCLAIMER = (
    "This email and any attachments are confidential and intended solely for the addressee. "
    "If you have received this email in error please notify the sender immediately."
)


def _message(
    *,
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    text: str,
    markup: str,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = message_id
    message["In-Reply-To"] = "<0123456789abcdef@council.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(markup, subtype="html")
    return message


def outlook_reply(
    new_text: str,
    *,
    sender: str = "Owen Owner <owen@council.example>",
    to: str,
    message_id: str = "<AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """As Outlook for Microsoft 365 writes a reply: signature, disclaimer, then the quoted
    email under a 'From: ... Sent: ...' block, with no '>' quoting."""
    text = (
        f"{new_text}\n\nKind regards\n\nOwen Owner\nHead of Housing Services\n"
        f"Tel: 01234 567890\n\n{DISCLAIMER}\n\n"
        "________________________________\n"
        "From: Improvement plans <improvement@council.example>\n"
        "Sent: 02 March 2026 09:00\n"
        "To: Owen Owner <owen@council.example>\n"
        "Subject: Reminder: Improve housing repairs is due in 5 working days\n\n"
        f"{QUOTED_TEXT}"
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in new_text.split("\n"))
    markup = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<style>p{margin:0}</style></head><body>"
        f'<div class="elementToProof">{paragraphs}</div>'
        '<div id="Signature"><p>Kind regards</p><p>Owen Owner</p></div>'
        f"<p>{DISCLAIMER}</p>"
        '<div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>From:</b> Improvement plans<br><b>Sent:</b> 02 March 2026'
        f"</div><div>{html.escape(QUOTED_TEXT)}</div></body></html>"
    )
    return _message(
        sender=sender,
        to=to,
        subject="RE: Reminder: Improve housing repairs is due in 5 working days",
        message_id=message_id,
        text=text,
        markup=markup,
        headers={
            "Thread-Topic": "Reminder: Improve housing repairs is due in 5 working days",
            "Thread-Index": "AQHaBCDeFgHiJkLmNoPqRsTuVwXyZ==",
            "X-MS-Has-Attach": "",
            "Content-Language": "en-GB",
            **(headers or {}),
        },
    )


def gmail_reply(
    new_text: str,
    *,
    sender: str = "Owen Owner <owen@council.example>",
    to: str,
    message_id: str = "<CAJ+abc123DEF456@mail.gmail.com>",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """As Gmail writes a reply: an 'On ... wrote:' line and '>' quoting, a '-- ' signature,
    and HTML with the quote in a gmail_quote container."""
    quoted = "\n".join(f"> {line}".rstrip() for line in QUOTED_TEXT.split("\n"))
    text = (
        f"{new_text}\n\n-- \nOwen Owner\nHousing\n\n"
        "On Mon, 2 Mar 2026 at 09:00, Improvement plans <improvement@council.example> wrote:\n\n"
        f"{quoted}\n"
    )
    paragraphs = "<br>".join(html.escape(line) for line in new_text.split("\n"))
    markup = (
        f'<div dir="ltr"><div>{paragraphs}</div><br><span class="gmail_signature_prefix">-- '
        '</span><br><div class="gmail_signature">Owen Owner</div></div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, 2 Mar 2026 at 09:00, '
        'Improvement plans wrote:<br></div><blockquote class="gmail_quote">'
        f"{html.escape(QUOTED_TEXT)}</blockquote></div>"
    )
    return _message(
        sender=sender,
        to=to,
        subject="Re: Reminder: Improve housing repairs is due in 5 working days",
        message_id=message_id,
        text=text,
        markup=markup,
        headers=headers,
    )


def apple_mail_reply(
    new_text: str,
    *,
    sender: str = "Owen Owner <owen@council.example>",
    to: str,
    message_id: str = "<5F1C2D3E-4A5B-6C7D-8E9F-0A1B2C3D4E5F@council.example>",
) -> EmailMessage:
    """As Apple Mail on an iPhone writes a reply: 'Sent from my iPhone', then the quote."""
    quoted = "\n".join(f"> {line}".rstrip() for line in QUOTED_TEXT.split("\n"))
    text = (
        f"{new_text}\n\nSent from my iPhone\n\n"
        "> On 2 Mar 2026, at 09:00, Improvement plans <improvement@council.example> wrote:\n"
        f">\n{quoted}\n"
    )
    markup = (
        f'<html><body dir="auto"><div>{html.escape(new_text)}</div><div><br>'
        '<div dir="ltr">Sent from my iPhone</div><blockquote type="cite">'
        f"{html.escape(QUOTED_TEXT)}</blockquote></div></body></html>"
    )
    return _message(
        sender=sender,
        to=to,
        subject="Re: Reminder: Improve housing repairs is due in 5 working days",
        message_id=message_id,
        text=text,
        markup=markup,
        headers={"X-Mailer": "iPhone Mail (21D61)"},
    )
