"""The audit checkpoint email: words for a chair who may never use improveflow, and a body
that is itself a checkpoint `audit verify` accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from improveflow import audit_checkpoint, resources
from improveflow.audit_key import AuditKey
from improveflow.clock import FrozenClock
from improveflow.config import load_settings
from improveflow.links import LinkSigner
from improveflow.notify.render import EmailRenderer
from improveflow.services.audit_checkpoints import TEMPLATE, email_context

BASE = "https://plans.council.example"
KEY = AuditKey("an-audit-key-for-tests-kept-apart-from-the-database")
MADE_AT = datetime(2014, 12, 1, 6, 0, tzinfo=UTC)  # a Monday, 06:00 in London (GMT)


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    signer = LinkSigner(
        "a-test-secret-of-sufficient-length", BASE, timedelta(days=14), clock=FrozenClock(MADE_AT)
    )
    return EmailRenderer(resources.bundled_dir("templates"), signer)


def _context(events: int = 1234) -> dict[str, object]:
    checkpoint = audit_checkpoint.make(KEY, seq=events, head_hash="ab" * 32, made_at=MADE_AT)
    return email_context(load_settings(base_url=BASE), checkpoint)


def test_checkpoint_email_says_what_it_is_and_what_to_do(renderer: EmailRenderer) -> None:
    """Subject and text say when it was made, how many events, to keep it, and how it is used."""
    email = renderer.render(TEMPLATE, _context(), recipient_name="Cllr Jo Baird", person_id=None)
    assert email.subject == (
        "improveflow audit checkpoint for Monday 1 December 2014: please keep this email"
    )
    assert email.text.startswith(
        "Dear Cllr Jo Baird,\n\nThis is improveflow's audit checkpoint for Monday 1 December "
        "2014 at 06:00. At that moment its audit log, the record of every change and decision, "
        "held 1,234 events.\n\nPlease keep this email as it is, in a mailbox or folder that the "
        "people who run improveflow's database cannot change"
    )
    assert "\nimproveflow audit verify --checkpoint saved-email.txt\n" in email.text
    assert email.text.endswith(
        "of improveflow at https://plans.council.example. improveflow checks its log before "
        "making each checkpoint and sends none for a log that does not check out, so if the "
        "daily email stops arriving, ask improveflow's administrator why.\n"
    )


def test_checkpoint_email_body_is_a_valid_checkpoint(renderer: EmailRenderer) -> None:
    """The plain text, saved whole, reads back as the signed checkpoint it carries."""
    email = renderer.render(TEMPLATE, _context(), recipient_name="", person_id=None)
    assert email.text.startswith("Hello,\n\n")
    read = audit_checkpoint.parse(email.text, KEY, source="saved-email.txt")
    assert (read.seq, read.head_hash, read.made_at) == (1234, "ab" * 32, MADE_AT)


def test_checkpoint_email_html_is_self_contained(renderer: EmailRenderer) -> None:
    """The HTML part fetches nothing, offers no reminder preferences (the chair has none), and
    shows the checkpoint as preformatted text."""
    html = renderer.render(TEMPLATE, _context(), recipient_name="Cllr <Jo>", person_id=None).html
    assert html.startswith("<!DOCTYPE html>")
    assert "Dear Cllr &lt;Jo&gt;," in html
    for fetched in ("src=", "<link", "<script"):
        assert fetched not in html
    assert "/preferences" not in html
    assert "-----BEGIN IMPROVEFLOW AUDIT CHECKPOINT-----\n{\n  &#34;format&#34;" in html
