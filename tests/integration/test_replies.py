"""Replies by email recorded through the services: an owner's update, rating and requests go
where the action page would put them, in one transaction; every refusal is kept with its
reason, audited, and answered once (never an automatic message); a message counts once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from improveflow.clock import FrozenClock
from improveflow.models import AuditEvent, Notice, Rag
from improveflow.services import approvals, notices
from improveflow.services.context import Context
from improveflow.services.replies import ReplyOutcome, handle_reply
from tests.reply_council import (
    OWEN,
    RepliesCouncil,
    answers,
    kept_replies,
    progress_of,
    queue_reminders,
    replies_council,
    reply_address,
    requests_of,
    state_of,
    with_replies,
)
from tests.reply_mail import gmail_reply, outlook_reply


@pytest.fixture
def council(ctx: Context) -> RepliesCouncil:
    return replies_council(with_replies(ctx))


def _to_owen(council: RepliesCouncil, *action_ids: int) -> str:
    owen = council.person_id(OWEN)
    email_id = queue_reminders(council.ctx, owen, *(action_ids or (council.action_id,)))
    return reply_address(council.ctx, owen, email_id)


@dataclass(frozen=True)
class _Event:
    action_id: int | None
    actor_id: int | None
    data: dict[str, Any]


def _events(ctx: Context, kind: str) -> list[_Event]:
    with ctx.database.reading() as session:
        rows = session.exec(
            select(AuditEvent.action_id, AuditEvent.actor_id, AuditEvent.data).where(
                AuditEvent.event == kind
            )
        ).all()
        return [_Event(a, b, json.loads(c) if isinstance(c, str) else c) for a, b, c in rows]


# Recorded ----------------------------------------------------------------------------------------


def test_an_outlook_reply_becomes_a_progress_update_rating_and_completion_request(
    council: RepliesCouncil,
) -> None:
    """RAG AMBER on the first line, the update below: the update (rated amber) is recorded
    as Owen's, without signature, disclaimer or quoted email, and audited with its Message-ID."""
    ctx = council.ctx
    message = outlook_reply(
        "RAG AMBER\nContractor appointed; two weeks behind.", to=_to_owen(council)
    )
    result = handle_reply(ctx, bytes(message))
    assert result.outcome is ReplyOutcome.RECORDED
    assert result.action_id == council.action_id
    assert progress_of(ctx, council.action_id) == [
        ("Contractor appointed; two weeks behind.", "amber")
    ]
    assert state_of(ctx, council.action_id) == ("in_progress", "amber")
    [event] = _events(ctx, "reply_received")
    assert event.data["message_id"] == message["Message-ID"]
    assert event.data["outcome"] == "recorded"
    assert event.action_id == council.action_id
    assert event.actor_id == council.person_id(OWEN)
    assert answers(ctx) == []


def test_done_asks_cmt_and_changes_nothing_until_they_decide(council: RepliesCouncil) -> None:
    """'DONE' records the update and opens a completion request for CMT; the action stays in
    progress, and a confirmation notice is queued for Owen."""
    ctx = council.ctx
    message = gmail_reply("DONE\nAll repairs complete and signed off.", to=_to_owen(council))
    assert handle_reply(ctx, bytes(message)).outcome is ReplyOutcome.RECORDED
    assert requests_of(ctx, council.action_id) == [("complete", "pending", None)]
    assert state_of(ctx, council.action_id)[0] == "in_progress"
    with ctx.database.reading() as session:
        [(person_id, data)] = session.exec(
            select(Notice.person_id, Notice.data).where(Notice.kind == notices.REPLY_RECORDED)
        ).all()
    assert person_id == council.person_id(OWEN)
    assert data["asked"]["body_title"] == "Corporate Management Team"
    assert data["progress"] == "All repairs complete and signed off."


def test_a_new_date_asks_for_it_with_the_reason(council: RepliesCouncil) -> None:
    """NEW DATE 31/03/2015 because ... opens a revise_target request with that reason."""
    ctx = council.ctx
    message = outlook_reply(
        "NEW DATE 31/03/2015 because the contractor went into administration",
        to=_to_owen(council),
    )
    assert handle_reply(ctx, bytes(message)).outcome is ReplyOutcome.RECORDED
    assert requests_of(ctx, council.action_id) == [
        ("revise_target", "pending", "the contractor went into administration")
    ]
    assert progress_of(ctx, council.action_id) == []  # nothing below the first line


def test_a_digest_reply_names_its_action_by_number(council: RepliesCouncil) -> None:
    """'#2 ...' in a reply to an email about two actions updates the second one listed."""
    ctx = council.ctx
    to = _to_owen(council, council.action_id, council.second_id)
    message = gmail_reply("#2\nAsset review drafted.", to=to)
    result = handle_reply(ctx, bytes(message))
    assert result.outcome is ReplyOutcome.RECORDED
    assert progress_of(ctx, council.second_id) == [("Asset review drafted.", None)]
    assert progress_of(ctx, council.action_id) == []


def test_a_digest_reply_without_a_number_is_refused_saying_how(council: RepliesCouncil) -> None:
    """Which of two actions is meant cannot be guessed: the answer shows '#2 DONE'."""
    ctx = council.ctx
    to = _to_owen(council, council.action_id, council.second_id)
    result = handle_reply(ctx, bytes(gmail_reply("Going well.", to=to)))
    assert result.outcome is ReplyOutcome.REFUSED
    assert "about 2 actions" in str(result.reason)
    [answer] = answers(ctx)
    assert "#2 DONE" in answer.context["reason"]


# Refused, and answered once ----------------------------------------------------------------------


def _refused(council: RepliesCouncil, data: bytes, *, says: str) -> None:
    result = handle_reply(council.ctx, data)
    assert result.outcome is ReplyOutcome.REFUSED
    assert says in str(result.reason)
    assert progress_of(council.ctx, council.action_id) == []
    assert requests_of(council.ctx, council.action_id) == []
    [kept] = kept_replies(council.ctx)
    assert (kept.outcome, kept.reason) == ("refused", result.reason)
    [event] = _events(council.ctx, "reply_received")
    assert event.data["outcome"] == "refused"


def test_a_reply_from_someone_else_is_refused_and_they_are_told(council: RepliesCouncil) -> None:
    """Priya answering Owen's email (forwarded to her) records nothing; she is told why."""
    message = outlook_reply(
        "Done on Owen's behalf", sender="Priya Shah <priya@council.example>", to=_to_owen(council)
    )
    _refused(council, bytes(message), says="was sent to Owen Marsh")
    [answer] = answers(council.ctx)
    assert answer.recipient_email == "priya@council.example"


def test_the_sender_is_compared_without_regard_to_case(council: RepliesCouncil) -> None:
    """OWEN@Council.Example is Owen."""
    message = gmail_reply("Progressing", sender="Owen <OWEN@Council.Example>", to=_to_owen(council))
    assert handle_reply(council.ctx, bytes(message)).outcome is ReplyOutcome.RECORDED


def test_an_unknown_sender_is_refused_and_never_answered(council: RepliesCouncil) -> None:
    """improveflow writes only to people it knows: a stranger gets no answer."""
    message = gmail_reply("hello", sender="someone@elsewhere.example", to=_to_owen(council))
    _refused(council, bytes(message), says="was sent to Owen Marsh")
    assert answers(council.ctx) == []


def test_a_tampered_reply_address_is_refused(council: RepliesCouncil) -> None:
    """An address with a changed signature is not one improveflow gave out."""
    to = _to_owen(council)
    local, domain = to.split("@")
    broken = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    _refused(council, bytes(gmail_reply("x", to=broken)), says="not one improveflow gave out")
    assert len(answers(council.ctx)) == 1


def test_an_expired_reply_address_is_refused(council: RepliesCouncil) -> None:
    """Fifteen days on, a reply to the email is refused, saying how long replies work."""
    to = _to_owen(council)
    clock = council.ctx.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=15))
    _refused(council, bytes(gmail_reply("late news", to=to)), says="replies work for 14 days")
    assert "more recent email" in answers(council.ctx)[0].context["reason"]


def test_failing_dmarc_from_the_councils_mail_system_is_refused(council: RepliesCouncil) -> None:
    """The council's own Authentication-Results saying dmarc=fail refuses the reply."""
    ctx = with_replies(council.ctx, reply_authserv_ids="mx.council.example")
    council = RepliesCouncil(ctx, council.action_id, council.second_id)
    message = gmail_reply(
        "forged",
        to=_to_owen(council),
        headers={"Authentication-Results": "mx.council.example; spf=fail; dmarc=fail"},
    )
    _refused(council, bytes(message), says="DMARC: fail")


def test_a_reply_with_only_quoted_text_is_refused_with_what_to_write(
    council: RepliesCouncil,
) -> None:
    """Pressing reply and send records nothing; the answer says what to write."""
    _refused(council, bytes(outlook_reply("", to=_to_owen(council))), says="no new text")
    [answer] = answers(council.ctx)
    assert "NEW DATE 31/03/2027 because" in answer.context["what_to_write"]


def test_a_reply_about_a_complete_action_is_refused(council: RepliesCouncil) -> None:
    """A complete action takes no more updates by email; the answer says to use the page."""
    ctx = council.ctx
    to = _to_owen(council)
    approvals_done(ctx, council.action_id)
    result = handle_reply(ctx, bytes(gmail_reply("More news", to=to)))
    assert result.outcome is ReplyOutcome.REFUSED
    assert "is already complete" in str(result.reason)
    assert "use the action's page" in answers(ctx)[0].context["reason"]


def approvals_done(ctx: Context, action_id: int) -> None:
    """Progress, a completion request and CMT's approval: the action is complete."""
    from improveflow.models import Verdict
    from improveflow.services import progress

    progress.record_progress(ctx, action_id, "Finished.", None, by_email=OWEN)
    asked = approvals.request_change(ctx, action_id, "complete", by_email=OWEN)
    assert asked.request_id is not None
    approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email="dana@council.example")
    assert state_of(ctx, action_id)[0] == "complete"


def test_a_request_the_page_would_refuse_records_nothing_at_all(council: RepliesCouncil) -> None:
    """DEFER with no reason is refused by the workflow, and the update with it rolls back."""
    message = gmail_reply("DEFER\n", to=_to_owen(council))
    result = handle_reply(council.ctx, bytes(message))
    assert result.outcome is ReplyOutcome.REFUSED
    assert str(result.reason).startswith("Nothing from your reply was recorded:")
    assert progress_of(council.ctx, council.action_id) == []
    assert requests_of(council.ctx, council.action_id) == []


def test_a_too_large_reply_is_refused(council: RepliesCouncil) -> None:
    """A 10 MB reply (a photo attached, say) is not read; the answer asks for one without."""
    message = gmail_reply("See attached", to=_to_owen(council))
    message.add_attachment(b"\0" * 10_000_000, maintype="image", subtype="jpeg", filename="a.jpg")
    _refused(council, bytes(message), says="too large to read")
    assert "without attachments" in answers(council.ctx)[0].context["reason"]


def test_an_unreadable_first_line_is_refused_naming_it(council: RepliesCouncil) -> None:
    """RAG PURPLE: the answer names the word and the ratings there are."""
    _refused(council, bytes(gmail_reply("RAG PURPLE\nhmm", to=_to_owen(council))), says="'PURPLE'")


# Ignored: never answered -------------------------------------------------------------------------


def test_an_out_of_office_reply_is_ignored_and_never_answered(council: RepliesCouncil) -> None:
    """Exchange's automatic reply is kept as ignored, audited, and gets no answer."""
    message = outlook_reply(
        "I am out of the office until Monday.",
        to=_to_owen(council),
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    message.replace_header("Subject", "Automatic reply: Reminder")
    result = handle_reply(council.ctx, bytes(message))
    assert result.outcome is ReplyOutcome.IGNORED
    assert answers(council.ctx) == []
    assert progress_of(council.ctx, council.action_id) == []
    assert [e.data["outcome"] for e in _events(council.ctx, "reply_received")] == ["ignored"]


def test_a_bounce_is_ignored_and_never_answered(council: RepliesCouncil) -> None:
    """A delivery failure (null envelope sender, MAILER-DAEMON) is ignored."""
    message = gmail_reply(
        "Delivery to the following recipient failed permanently",
        sender="Mail Delivery Subsystem <mailer-daemon@council.example>",
        to=_to_owen(council),
    )
    result = handle_reply(council.ctx, bytes(message), envelope_sender="")
    assert result.outcome is ReplyOutcome.IGNORED
    assert answers(council.ctx) == []


# Once --------------------------------------------------------------------------------------------


def test_the_same_message_delivered_twice_is_recorded_once(council: RepliesCouncil) -> None:
    """A second delivery of one Message-ID records nothing more and answers nothing."""
    data = bytes(gmail_reply("Going well", to=_to_owen(council)))
    assert handle_reply(council.ctx, data).outcome is ReplyOutcome.RECORDED
    assert handle_reply(council.ctx, data).outcome is ReplyOutcome.DUPLICATE
    assert progress_of(council.ctx, council.action_id) == [("Going well", None)]
    assert len(kept_replies(council.ctx)) == 1
    assert len(_events(council.ctx, "reply_received")) == 1


def test_a_refused_message_delivered_twice_is_answered_once(council: RepliesCouncil) -> None:
    """The polite answer goes once per Message-ID, however often the message comes."""
    data = bytes(outlook_reply("", to=_to_owen(council)))
    handle_reply(council.ctx, data)
    assert handle_reply(council.ctx, data).outcome is ReplyOutcome.DUPLICATE
    assert len(answers(council.ctx)) == 1


def test_rag_is_kept_as_a_rag(council: RepliesCouncil) -> None:
    """RAG RED stores red, the same value the page's form stores."""
    handle_reply(council.ctx, bytes(gmail_reply("RAG RED\nStalled.", to=_to_owen(council))))
    assert state_of(council.ctx, council.action_id)[1] == Rag.RED.value


def test_the_scheduler_reads_the_mailbox_only_when_one_is_set(council: RepliesCouncil) -> None:
    """With IMPROVEFLOW_IMAP_HOST set the scheduler polls every few minutes; without, never."""
    from improveflow.scheduler import build_scheduler

    assert build_scheduler(council.ctx, blocking=False).get_job("inbound_poll") is None
    polling = with_replies(council.ctx, imap_host="imap.council.example", imap_poll_every_minutes=3)
    job = build_scheduler(polling, blocking=False).get_job("inbound_poll")
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=3)


def test_at_most_five_answers_a_day_go_to_one_person(council: RepliesCouncil) -> None:
    """A mail system answering every email without saying it is automatic gets five answers
    a day, then none, so improveflow never keeps a loop going; each message is still kept."""
    to = _to_owen(council)
    for n in range(7):
        handle_reply(council.ctx, bytes(gmail_reply("", to=to, message_id=f"<loop-{n}@x>")))
    assert len(kept_replies(council.ctx)) == 7
    assert len(answers(council.ctx)) == 5
