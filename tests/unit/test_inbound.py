"""Unit tests for improveflow.inbound: reply addresses, reading a reply's new text and first
line, and deciding whether a message is automatic or to be trusted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest

from improveflow.exceptions import ConfigurationError, LinkExpired, LinkInvalid
from improveflow.inbound.instructions import Ask, ReplyUnclear, new_text, read_instruction
from improveflow.inbound.numbering import numbered_actions
from improveflow.inbound.reading import html_to_text, read_message
from improveflow.inbound.tokens import ReplyAddresses
from improveflow.inbound.trust import authentication_failure, automatic_reason, sender_allowed
from improveflow.models import Rag
from tests.reply_mail import apple_mail_reply, gmail_reply, outlook_reply

SECRET = "a-test-secret-of-sufficient-length"
MADE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FORTNIGHT = timedelta(days=14)


@pytest.fixture
def addresses() -> ReplyAddresses:
    return ReplyAddresses(SECRET, "improvement@council.example", FORTNIGHT)


# Reply addresses ---------------------------------------------------------------------------------


def test_a_reply_address_carries_its_person_and_email(addresses: ReplyAddresses) -> None:
    """improvement@ gives improvement+TOKEN@, and the token reads back as who and which email."""
    address = addresses.address(7, 1234, MADE)
    local, _, domain = address.partition("@")
    assert domain == "council.example"
    assert local.startswith("improvement+")
    assert len(local) <= 64  # RFC 5321's limit for a local part
    assert local == local.lower()  # survives mail systems that lower-case addresses
    [token] = addresses.candidates([f"Improvement plans <{address}>"])
    read = addresses.read(token, MADE + timedelta(days=1))
    assert (read.person_id, read.email_id, read.made_at) == (7, 1234, MADE)


def test_a_token_read_in_upper_case_still_works(addresses: ReplyAddresses) -> None:
    """A mail system that upper-cases the address does not break the reply."""
    token = addresses.token(7, 1234, MADE)
    assert addresses.read(token.upper(), MADE).person_id == 7


def test_a_changed_token_is_refused(addresses: ReplyAddresses) -> None:
    """Changing the person or the email in a token breaks its signature."""
    token = addresses.token(7, 1234, MADE)
    _person, rest = token.split("-", 1)
    with pytest.raises(LinkInvalid, match="not one improveflow gave out"):
        addresses.read(f"8-{rest}", MADE)
    with pytest.raises(LinkInvalid):
        addresses.read(token[:-1] + ("a" if token[-1] != "a" else "b"), MADE)
    with pytest.raises(LinkInvalid):
        addresses.read("nonsense", MADE)


def test_a_token_expires_as_links_do(addresses: ReplyAddresses) -> None:
    """Fourteen days after the email, replies to it are refused, saying how long they last."""
    token = addresses.token(7, 1234, MADE)
    addresses.read(token, MADE + FORTNIGHT)
    with pytest.raises(LinkExpired, match="replies work for 14 days"):
        addresses.read(token, MADE + FORTNIGHT + timedelta(seconds=1))


def test_a_token_made_with_another_secret_is_refused(addresses: ReplyAddresses) -> None:
    """Only the installation's own secret makes reply tokens it accepts."""
    other = ReplyAddresses(
        "another-secret-of-enough-length", "improvement@council.example", FORTNIGHT
    )
    with pytest.raises(LinkInvalid):
        addresses.read(other.token(7, 1234, MADE), MADE)


def test_only_addresses_on_the_reply_mailbox_are_candidates(addresses: ReplyAddresses) -> None:
    """Other recipients, and plus addresses of other mailboxes, are not read as tokens."""
    found = addresses.candidates(
        [
            "owen@council.example",
            "improvement+abc@elsewhere.example",
            "other+abc@council.example",
            "IMPROVEMENT+Def@Council.Example",
        ]
    )
    assert found == ["def"]


def test_a_whole_domain_routed_to_improveflow_uses_the_local_part() -> None:
    """With style 'local' the token is the whole local part on the reply address's domain."""
    addresses = ReplyAddresses(SECRET, "reply@replies.council.example", FORTNIGHT, style="local")
    address = addresses.address(7, 99, MADE)
    assert address.endswith("@replies.council.example")
    assert "+" not in address
    [token] = addresses.candidates([address])
    assert addresses.read(token, MADE).email_id == 99


def test_a_reply_address_needs_a_secret_and_an_address() -> None:
    """A missing or short secret, or a reply address that is not one, is a configuration error."""
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        ReplyAddresses("short", "improvement@council.example", FORTNIGHT)
    with pytest.raises(ConfigurationError, match="REPLY_ADDRESS"):
        ReplyAddresses(SECRET, "not an address", FORTNIGHT)


# Reading a reply ---------------------------------------------------------------------------------

NEW = "#2 DONE\nThe repairs backlog is cleared and the contractor has signed off."


@pytest.mark.parametrize("build", [outlook_reply, gmail_reply, apple_mail_reply])
def test_only_the_new_text_of_a_reply_is_kept(build: object) -> None:
    """Outlook's From/Sent block, Gmail's and Apple's quotes, signatures and the disclaimer go."""
    assert callable(build)
    message = build(NEW, to="improvement+abc@council.example")
    received = read_message(bytes(message))
    assert new_text(received.text) == NEW


@pytest.mark.parametrize("build", [outlook_reply, gmail_reply, apple_mail_reply])
def test_an_html_only_reply_loses_its_quoted_history(build: object) -> None:
    """A reply with only an HTML part is read as text, without the quoted email."""
    assert callable(build)
    message = build(NEW, to="improvement+abc@council.example")
    html_only = EmailMessage()
    for name in ("From", "To", "Subject", "Message-ID"):
        html_only[name] = message[name]
    markup = message.get_body(preferencelist=("html",))
    assert markup is not None
    html_only.set_content(markup.get_content(), subtype="html")
    text = new_text(read_message(bytes(html_only)).text)
    assert text.startswith("#2 DONE")
    assert "repairs backlog is cleared" in text
    assert "Your action is due" not in text


def test_a_reply_of_only_quoted_text_has_no_new_text() -> None:
    """Pressing reply and send, writing nothing, leaves nothing to record."""
    message = gmail_reply("", to="improvement+abc@council.example")
    assert new_text(read_message(bytes(message)).text) == ""
    assert new_text("> quoted line\n> another\n") == ""


def test_reading_a_message_names_its_sender_recipients_and_id() -> None:
    """From is lower-cased; envelope and header recipients are all kept, once each."""
    message = outlook_reply(
        "News", sender="Owen Owner <Owen@Council.Example>", to="improvement+abc@council.example"
    )
    received = read_message(
        bytes(message),
        envelope_sender="owen@council.example",
        envelope_recipients=("improvement+abc@council.example",),
    )
    assert received.sender == "owen@council.example"
    assert received.recipients == ("improvement+abc@council.example",)
    assert received.message_id.endswith("prod.outlook.com>")
    assert received.size == len(bytes(message))


def test_a_message_without_a_message_id_gets_one_from_its_bytes() -> None:
    """The same bytes always get the same made-up id, so a second delivery is recognised."""
    message = gmail_reply("News", to="improvement+abc@council.example")
    del message["Message-ID"]
    first = read_message(bytes(message)).message_id
    assert first == read_message(bytes(message)).message_id
    assert first.endswith("@improveflow.invalid>")


def test_html_to_text_keeps_lines_and_drops_styles() -> None:
    """Blocks become lines; style sheets and entities do not leak into the text."""
    assert html_to_text("<style>p{x}</style><p>One &amp; two</p><div>Three</div>") == (
        "One & two\n\nThree"
    )


# The first line ----------------------------------------------------------------------------------


def test_plain_text_is_a_progress_update() -> None:
    """Without an instruction, the whole text is the update."""
    read = read_instruction("Consultation closed on Friday.\nReport next week.")
    assert read.text == "Consultation closed on Friday.\nReport next week."
    assert (read.ask, read.rag, read.number) == (None, None, None)


@pytest.mark.parametrize("first", ["DONE", "done.", "Complete", "COMPLETED!"])
def test_done_asks_for_completion(first: str) -> None:
    """DONE or COMPLETE asks to mark the action complete; the rest is the update."""
    read = read_instruction(f"{first}\nAll repairs finished.")
    assert read.ask is Ask.COMPLETE
    assert read.text == "All repairs finished."


def test_a_number_names_the_action_of_a_digest() -> None:
    """'#2 done' is about the email's second action."""
    read = read_instruction("#2 done")
    assert (read.number, read.ask, read.text) == (2, Ask.COMPLETE, "")


def test_new_date_with_a_reason() -> None:
    """NEW DATE 31/03/2027 because ... asks for that date with that reason."""
    read = read_instruction("NEW DATE 31/03/2027 because the contractor went bust\nMore news.")
    assert read.ask is Ask.NEW_DATE
    assert read.new_target_date == date(2027, 3, 31)
    assert read.reason == "the contractor went bust"
    assert read.text == "More news."


def test_new_date_in_words() -> None:
    """A date written out is read too."""
    read = read_instruction("New date: 31 March 2027 because of the election")
    assert read.new_target_date == date(2027, 3, 31)
    assert read.reason == "of the election"


def test_a_new_date_that_is_not_a_date_is_unclear() -> None:
    """The refusal names what was written and shows the form to use."""
    with pytest.raises(ReplyUnclear, match=r"'next spring' is not a date.*NEW DATE 31/03/2027"):
        read_instruction("NEW DATE next spring because reasons")
    with pytest.raises(ReplyUnclear):
        read_instruction("NEW DATE 31/02/2027 because there is no such day")


@pytest.mark.parametrize(
    ("word", "rag"), [("AMBER", Rag.AMBER), ("red", Rag.RED), ("Green.", Rag.GREEN)]
)
def test_rag_rates_the_action(word: str, rag: Rag) -> None:
    """RAG AMBER (red, green) rates the action; the rest is the update."""
    read = read_instruction(f"RAG {word}\nSlipping a little.")
    assert read.rag is rag
    assert read.text == "Slipping a little."


def test_an_unknown_rating_is_unclear() -> None:
    """RAG PURPLE is refused with the ratings there are."""
    with pytest.raises(ReplyUnclear, match="'PURPLE' is not one: write RAG GREEN, RAG AMBER"):
        read_instruction("RAG PURPLE")


def test_defer_because() -> None:
    """DEFER because ... asks for deferral with that reason."""
    read = read_instruction("DEFER because funding was withdrawn")
    assert (read.ask, read.reason, read.text) == (Ask.DEFER, "funding was withdrawn", "")


def test_a_word_that_merely_starts_like_an_instruction_is_text() -> None:
    """'Done some work' is not DONE: only the word on its own asks for completion."""
    assert read_instruction("Doneness is hard to judge").ask is None
    assert read_instruction("Deferring the survey to May").ask is None


# Numbers in emails -------------------------------------------------------------------------------


def test_a_digest_numbers_its_actions_across_sections_once_each() -> None:
    """An action listed under two headings keeps its first number."""
    context = {
        "sections": [
            {"kind": "escalation", "context": {"items": [{"action_id": 5}, {"action_id": 3}]}},
            {"kind": "reminder", "context": {"items": [{"action_id": 3}, {"action_id": 9}]}},
        ]
    }
    assert numbered_actions("digest", context) == [5, 3, 9]
    assert numbered_actions("reminder", {"items": [{"action_id": 4}]}) == [4]
    assert numbered_actions("decision", {"action": {"action_id": 6}}) == [6]


# Trust -------------------------------------------------------------------------------------------

TO = "improvement+abc@council.example"


def _received(message: EmailMessage, envelope_sender: str | None = None) -> object:
    return read_message(bytes(message), envelope_sender=envelope_sender)


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(headers: dict[str, str], why: str) -> None:
    """Out-of-office replies and the like say so in their headers."""
    received = read_message(bytes(outlook_reply("I am away", to=TO, headers=headers)))
    reason = automatic_reason(received)
    assert reason is not None
    assert why in reason


def test_an_out_of_office_subject_is_automatic() -> None:
    """Some systems mark nothing but the subject."""
    message = gmail_reply("I am away until Monday", to=TO)
    message.replace_header("Subject", "Automatic reply: Reminder: Improve housing repairs")
    reason = automatic_reason(read_message(bytes(message)))
    assert reason is not None
    assert "subject" in reason


def test_a_bounce_is_automatic() -> None:
    """A null envelope sender, a delivery report or a mailer-daemon From is a bounce."""
    plain = read_message(bytes(gmail_reply("x", to=TO)), envelope_sender="")
    assert "bounces" in str(automatic_reason(plain))
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.council.example>"
    report["To"] = TO
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("The mail system could not deliver.")
    report.make_mixed()
    report.set_type("multipart/report")
    assert automatic_reason(read_message(bytes(report))) is not None


def test_a_person_writing_is_not_automatic() -> None:
    """An ordinary reply from each mail program is a person's."""
    for build in (outlook_reply, gmail_reply, apple_mail_reply):
        assert automatic_reason(read_message(bytes(build("News", to=TO)))) is None


def test_the_sender_is_compared_without_regard_to_case() -> None:
    """Owen@Council.Example is owen@council.example."""
    assert sender_allowed("Owen@Council.Example", ["owen@council.example"])
    assert not sender_allowed("mallory@council.example", ["owen@council.example"])


OURS = ["mx.council.example"]


def _authenticated(result: str) -> object:
    return read_message(bytes(gmail_reply("x", to=TO, headers={"Authentication-Results": result})))


def test_dmarc_pass_from_the_councils_mail_system_is_trusted() -> None:
    """dmarc=pass from the council's own authserv-id lets the reply through."""
    received = _authenticated(
        "mx.council.example; spf=pass; dkim=pass; dmarc=pass header.from=council.example"
    )
    assert authentication_failure(received, OURS) is None  # type: ignore[arg-type]


def test_dmarc_fail_from_the_councils_mail_system_is_refused() -> None:
    """dmarc=fail is refused, whatever SPF said."""
    received = _authenticated(
        "mx.council.example; spf=pass smtp.mailfrom=x; dmarc=fail header.from=council.example"
    )
    reason = authentication_failure(received, OURS)  # type: ignore[arg-type]
    assert reason is not None
    assert "DMARC: fail" in reason


def test_without_dmarc_spf_and_dkim_must_both_pass() -> None:
    """No DMARC result: SPF and DKIM together decide."""
    ok = _authenticated("mx.council.example; spf=pass; dkim=pass")
    bad = _authenticated("mx.council.example; spf=pass; dkim=fail")
    assert authentication_failure(ok, OURS) is None  # type: ignore[arg-type]
    assert "DKIM fail" in str(authentication_failure(bad, OURS))  # type: ignore[arg-type]


def test_results_from_another_system_are_ignored() -> None:
    """Anyone can write an Authentication-Results header: only the council's own counts."""
    forged = _authenticated("mx.elsewhere.example; dmarc=fail")
    assert authentication_failure(forged, OURS) is None  # type: ignore[arg-type]
    assert authentication_failure(_authenticated("mx.council.example; dmarc=fail"), []) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        # Outlook for Windows, plain text
        "NEW DATE 31/03/2027 because of the tender\n\nRegards,\nOwen\n\n"
        "-----Original Message-----\nFrom: Improvement plans <improvement@council.example>\n"
        "Sent: Monday, March 2, 2026 9:00 AM\nTo: Owen <owen@council.example>\n"
        "Subject: Reminder\n\nYour action is due.\n",
        # Outlook on the web, no rule above the quoted header
        "NEW DATE 31/03/2027 because of the tender\n\n"
        "From: Improvement plans <improvement@council.example>\nSent: 02 March 2026 09:00\n"
        "To: Owen <owen@council.example>\nSubject: Reminder\n\nYour action is due.\n",
    ],
)
def test_outlooks_quoted_header_ends_the_new_text(text: str) -> None:
    """'-----Original Message-----' or a bare From/Sent/To/Subject block starts the quote."""
    assert new_text(text) == "NEW DATE 31/03/2027 because of the tender"


def test_a_sign_off_ends_the_new_text() -> None:
    """'Thanks' on its own line, and the name under it, are not part of the update."""
    assert new_text("Update: survey done.\nThanks\nOwen\n") == "Update: survey done."
