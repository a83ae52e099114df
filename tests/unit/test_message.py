"""Unit tests for improveflow.notify.message: MIME structure, safe headers and SMTP bytes."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from improveflow import resources
from improveflow.clock import FrozenClock
from improveflow.exceptions import InvalidValue
from improveflow.links import LinkSigner
from improveflow.notify.message import OutgoingEmail, build_message, message_id
from improveflow.notify.render import EmailRenderer, RenderedEmail

SENT_AT = datetime(2015, 7, 24, 9, 0, tzinfo=UTC)
BASE = "https://plans.council.example"
UNSUBSCRIBE = (
    f"{BASE}/unsubscribe?token="
    "eyJwZXJzb24iOjQsIm4iOiIzaGRqcWVXU1h1VSJ9.VbHwgA.zyYGXu2E3543HgoZuCJzSl51GBE"
)
RENDERED = RenderedEmail(
    subject="Reminder: 'Extend medium term financial strategy' is due in 5 working days",
    text=(
        "Dear Owen Marsh,\n\nYour action is due in 5 working days.\n\n"
        "Extend medium term financial strategy \u2013 budget gap \u00a33.2m\n"
        f"Update this action:\n{BASE}/actions/17?token=abc.def.ghi\n"
    ),
    html=(
        '<!DOCTYPE html>\n<html lang="en"><body><p style="margin:0 0 16px 0;">Dear Owen Marsh,</p>'
        "<p>Extend medium term financial strategy \u2013 budget gap \u00a33.2m</p></body></html>"
    ),
)


def build(rendered: RenderedEmail = RENDERED, **changes: Any) -> OutgoingEmail:
    arguments: dict[str, Any] = {
        "sender": "Council improvement plans <improveflow@council.example>",
        "recipient_email": "owen.marsh@council.example",
        "recipient_name": "Owen Marsh",
        "message_id_domain": "council.example",
        "idempotency_key": "reminder:17:2015-07-31:4",
        "list_unsubscribe_url": UNSUBSCRIBE,
        "sent_at": SENT_AT,
    }
    return build_message(rendered, **(arguments | changes))


def parsed(msg: OutgoingEmail) -> EmailMessage:
    """The message as a receiving server would read it."""
    received = email.message_from_bytes(msg.data, policy=policy.default)
    assert isinstance(received, EmailMessage)
    return received


def content(part: EmailMessage) -> str:
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


# Structure -------------------------------------------------------------------------------------


def test_message_is_multipart_alternative_with_text_first() -> None:
    """Text comes first and HTML last, so clients that can show HTML prefer it."""
    received = parsed(build())
    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)


def test_both_parts_arrive_unchanged() -> None:
    """Non-ASCII text (a pound sign, a dash) survives encoding in both parts."""
    received = parsed(build())
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage)
    assert isinstance(html, EmailMessage)
    assert content(text) == RENDERED.text
    assert content(html) == RENDERED.html


def test_bodies_are_quoted_printable_and_the_message_is_ascii() -> None:
    """The bytes are 7-bit clean, so relays without 8BITMIME pass them untouched."""
    data = build().data
    data.decode("ascii")
    assert data.count(b"Content-Transfer-Encoding: quoted-printable") == 2


def test_carriage_returns_in_a_body_do_not_break_the_encoding() -> None:
    """Progress notes typed in a browser arrive with CRLF; the text part still reads the same."""
    rendered = replace(RENDERED, text="Line one\r\nLine two\rLine three\n")
    text = parsed(build(rendered)).get_body(preferencelist=("plain",))
    assert isinstance(text, EmailMessage)
    assert content(text) == "Line one\nLine two\nLine three\n"


# Headers ---------------------------------------------------------------------------------------


def test_headers_say_who_what_when_and_how_to_stop() -> None:
    """From, To, Subject, Date, Message-ID and the list and auto-reply headers are all set."""
    received = parsed(build())
    assert received["From"].addresses[0].display_name == "Council improvement plans"
    assert received["From"].addresses[0].addr_spec == "improveflow@council.example"
    (to,) = received["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Owen Marsh", "owen.marsh@council.example")
    assert received["Subject"] == RENDERED.subject
    assert received["Date"].datetime == SENT_AT
    assert received["Message-ID"] == message_id("reminder:17:2015-07-31:4", "council.example")
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["MIME-Version"] == "1.0"


def test_one_click_is_promised_only_where_it_works() -> None:
    """Someone with no record is sent to the preferences page, which has no one-click POST."""
    received = parsed(build(list_unsubscribe_url=f"{BASE}/preferences"))
    assert received["List-Unsubscribe"] == f"<{BASE}/preferences>"
    assert received["List-Unsubscribe-Post"] is None


def test_exchange_is_told_not_to_answer_with_out_of_office_replies() -> None:
    """Every email asks Exchange to suppress automatic replies, and has no Reply-To unless
    one is set."""
    received = parsed(build())
    assert received["X-Auto-Response-Suppress"] == "All"
    assert received["Reply-To"] is None


def test_a_reply_to_address_is_added_when_set() -> None:
    """A Reply-To setting, with or without a name, becomes the Reply-To header."""
    received = parsed(build(reply_to="Improvement team <improvement.team@council.example>"))
    (reply_to,) = received["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == (
        "Improvement team",
        "improvement.team@council.example",
    )
    bare = parsed(build(reply_to="plans@council.example"))
    assert bare["Reply-To"].addresses[0].addr_spec == "plans@council.example"


@pytest.mark.parametrize("reply_to", ["improvement team", "Team <plans@council.example>\nBcc: x"])
def test_a_bad_reply_to_is_refused(reply_to: str) -> None:
    """A Reply-To that is not an address, or carries a line break, never reaches a header."""
    with pytest.raises(InvalidValue):
        build(reply_to=reply_to)


def test_the_unsubscribe_link_is_sent_as_written() -> None:
    """A long List-Unsubscribe URL stays one plain URL, never RFC 2047 encoded words."""
    data = build().data
    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in data
    assert b"=?utf-8?" not in data


def test_lines_end_in_crlf_and_stay_short() -> None:
    """Every line ends CRLF; all but the unbreakable unsubscribe URL fit in 78 characters."""
    data = build().data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert all(len(line) <= 78 for line in lines if not line.startswith(b"List-Unsubscribe:"))


def test_the_same_inputs_give_the_same_bytes() -> None:
    """Building is deterministic, so a resend after a crash is byte for byte the same email."""
    assert build().data == build().data


def test_message_id_comes_from_the_idempotency_key() -> None:
    """One key always gives one Message-ID; another key gives another."""
    first = parsed(build(idempotency_key="reminder:17:2015-07-31:4"))["Message-ID"]
    again = parsed(build(idempotency_key="reminder:17:2015-07-31:4"))["Message-ID"]
    other = parsed(build(idempotency_key="reminder:17:2015-07-31:5"))["Message-ID"]
    assert build(idempotency_key="reminder:17:2015-07-31:4").message_id == first
    assert first == again != other
    assert re.fullmatch(r"<[0-9a-f]{32}@council\.example>", str(first))


def test_a_long_subject_is_folded_and_read_back_whole() -> None:
    """A subject far beyond one line is folded at spaces and unfolds to the original."""
    subject = "Reminder: " + " ".join(f"word{n}" for n in range(60))
    data = build(replace(RENDERED, subject=subject)).data
    header = data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in header if not line.startswith(b"List-Unsubscribe:"))
    assert parsed(build(replace(RENDERED, subject=subject)))["Subject"] == subject


def test_a_word_too_long_for_any_line_still_keeps_lines_legal() -> None:
    """An unbreakable subject longer than a line is encoded and folded by the policy."""
    subject = "Reminder: " + "x" * 1200
    msg = build(replace(RENDERED, subject=subject))
    lines = msg.data.split(b"\r\n")
    assert all(len(line) <= 78 for line in lines if not line.startswith(b"List-Unsubscribe:"))
    assert parsed(msg)["Subject"] == subject


def test_a_name_too_long_for_a_header_is_refused() -> None:
    """Names are at most 200 characters, as in the people table; longer cannot be folded."""
    assert parsed(build(recipient_name="N" * 200))["To"].addresses[0].display_name == "N" * 200
    with pytest.raises(InvalidValue, match="too long"):
        build(recipient_name="N" * 201)


def test_a_long_subject_with_accents_and_dashes_round_trips() -> None:
    """A non-ASCII subject is encoded by the policy and decodes to the original."""
    subject = "Approved: mark the action complete \u2013 'Am\u00e9liorer la strat\u00e9gie' " * 3
    received = parsed(build(replace(RENDERED, subject=subject.strip())))
    assert received["Subject"] == subject.strip()


def test_a_subject_with_line_breaks_stays_one_header() -> None:
    """A line break inside a subject cannot start a header of its own."""
    rendered = replace(RENDERED, subject="Reminder\r\nBcc: everyone@council.example\n")
    received = parsed(build(rendered))
    assert received["Bcc"] is None
    assert received["Subject"] == "Reminder Bcc: everyone@council.example"


def test_a_name_needing_quotes_or_encoding_round_trips() -> None:
    """Commas, quotes and accents in names are quoted or encoded, and read back exactly."""
    for name in ("Marsh, Owen", 'Owen "O" Marsh', "Si\u00e2n Jones", "Zo\u00eb O'Neill, Finance"):
        (to,) = parsed(build(recipient_name=name))["To"].addresses
        assert to.display_name == name


def test_an_empty_name_sends_to_the_bare_address() -> None:
    """Without a name the To header is just the address."""
    (to,) = parsed(build(recipient_name=""))["To"].addresses
    assert (to.display_name, to.addr_spec) == ("", "owen.marsh@council.example")


def test_a_bare_local_sender_is_accepted() -> None:
    """The default sender, improveflow@localhost, works with a local relay."""
    received = parsed(build(sender="improveflow@localhost"))
    assert received["From"].addresses[0].addr_spec == "improveflow@localhost"


def test_the_address_domain_is_normalised() -> None:
    """Addresses are checked with email_validator, which lower-cases the domain."""
    (to,) = parsed(build(recipient_email="Owen.Marsh@Council.Example"))["To"].addresses
    assert to.addr_spec == "Owen.Marsh@council.example"


def test_an_internationalised_domain_is_sent_in_ascii() -> None:
    """A domain with accents is carried as its ASCII (punycode) form, which every relay takes."""
    received = parsed(build(recipient_email="owen@b\u00fccher.example"))
    (to,) = received["To"].addresses
    assert to.addr_spec == "owen@xn--bcher-kva.example"


# Refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Owen Marsh\r\nBcc: everyone@council.example",
        "Owen Marsh\nBcc: everyone@council.example",
        "Owen Marsh\rBcc: everyone@council.example",
        "Owen\x00Marsh",
        "Owen\x1bMarsh",
        "Owen\u2028Marsh",
    ],
)
def test_a_name_with_a_control_character_is_refused(name: str) -> None:
    """No header injection: the build fails, naming the offending name."""
    with pytest.raises(InvalidValue) as caught:
        build(recipient_name=name)
    assert repr(name) in caught.value.message


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "owen@",
        "owen@@council.example",
        "owen marsh@council.example",
        "owen@council.example\r\nBcc: everyone@council.example",
        "owen@localhost",
        "o" * 250 + "@council.example",
        "owen@-council.example",
        "owen..marsh@council.example",
    ],
)
def test_an_invalid_recipient_address_is_refused(address: str) -> None:
    """Addresses are validated before anything is built."""
    with pytest.raises(InvalidValue):
        build(recipient_email=address)


@pytest.mark.parametrize(
    "url",
    [
        "mailto:unsubscribe@council.example",
        "https://plans.council.example/pre ferences",
        "https://plans.council.example/p>\r\nBcc: x@council.example",
        "/preferences",
    ],
)
def test_a_bad_unsubscribe_link_is_refused(url: str) -> None:
    """Only a plain http(s) URL can go in List-Unsubscribe."""
    with pytest.raises(InvalidValue):
        build(list_unsubscribe_url=url)


@pytest.mark.parametrize(
    "sender", ["", "improveflow", "Plans <improveflow@council.example>\nBcc: x"]
)
def test_a_bad_sender_is_refused(sender: str) -> None:
    """A sender setting that is not an address, or carries a line break, is refused."""
    with pytest.raises(InvalidValue):
        build(sender=sender)


def test_a_bad_message_id_domain_is_refused() -> None:
    """The Message-ID domain must be a host name."""
    with pytest.raises(InvalidValue):
        build(message_id_domain="council example>")


def test_a_naive_send_time_is_refused() -> None:
    """The Date header needs a time zone."""
    with pytest.raises(ValueError, match="time zone"):
        build(sent_at=datetime(2015, 7, 24, 9, 0))


# With the real templates -----------------------------------------------------------------------


def test_links_from_rendered_templates_verify_after_the_trip() -> None:
    """Quoted-printable line wrapping does not damage the signed links in either part."""
    signer = LinkSigner(
        "a-test-secret-of-sufficient-length", BASE, timedelta(days=14), clock=FrozenClock(SENT_AT)
    )
    renderer = EmailRenderer(resources.bundled_dir("templates"), signer)
    context = {
        "request_id": 31,
        "transition_label": "mark the action complete",
        "status": "approved",
        "decider_name": "Dana Reeve",
        "comment": None,
        "action": {
            "action_id": 17,
            "description": "Extend medium term financial strategy",
            "plan": "Peer Challenge Improvement Plan",
            "state": "complete",
        },
    }
    rendered = renderer.render("decision", context, recipient_name="Owen Marsh", person_id=4)
    received = parsed(build(rendered, list_unsubscribe_url=signer.unsubscribe_link(4)))
    assert received["Subject"] == rendered.subject
    for kind in ("plain", "html"):
        part = received.get_body(preferencelist=(kind,))
        assert isinstance(part, EmailMessage)
        (token,) = re.findall(r"/actions/17\?token=([A-Za-z0-9_.-]+)", content(part))
        assert signer.verify(token, "action", SENT_AT)["action"] == 17
    unsubscribe = str(received["List-Unsubscribe"]).strip("<>").split("token=")[1]
    assert signer.verify(unsubscribe, "unsubscribe", SENT_AT)["person"] == 4
