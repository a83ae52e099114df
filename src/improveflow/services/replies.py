"""Owners' replies by email, recorded as the action page would record them.

A reply reaches `handle_reply` from `improveflow inbound serve` (SMTP/LMTP) or `inbound poll`
(IMAP). It is judged in order, and the first thing wrong decides:

1. the same Message-ID seen before: nothing happens (a message delivered twice counts once);
2. automatic mail (out-of-office, bounce, list): kept as ignored, never answered;
3. too large, not sent to a reply address, an address changed or expired, the council's mail
   system not vouching for the sender, a sender who is neither the email's person nor their
   deputy today, no new text, a first line that cannot be read, no action or an action that is
   finished: refused, with one polite answer saying why and what to write;
4. otherwise the progress update, the rating and the request are recorded through the same
   services the action page uses, in one transaction with the message's record and its audit
   event; a request still waits for its body. Any refusal there rolls everything back.

A recorded reply queues a confirmation notice, bundled into email like the others. Answers go
only to people improveflow knows, so a forged sender cannot make it write to strangers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.inbound.instructions import (
    WHAT_TO_WRITE,
    Ask,
    ReplyInstruction,
    ReplyUnclear,
    new_text,
    read_instruction,
)
from improveflow.inbound.numbering import numbered_actions
from improveflow.inbound.reading import InboundMessage, read_message
from improveflow.inbound.tokens import ReplyAddresses, ReplyToken
from improveflow.inbound.trust import authentication_failure, automatic_reason
from improveflow.services import approvals, notices, progress
from improveflow.services.changes import ChangeResult, ChangeStatus
from improveflow.services.context import Context
from improveflow.stores import actions, outbox, people, replies
from improveflow.workflow.details import DetailInvalid

__all__ = ["REFUSED_TEMPLATE", "ReplyOutcome", "ReplyResult", "handle_reply", "reply_addresses"]

REFUSED_TEMPLATE = "reply_refused"
# Polite answers to one person in a day, at most: a mail system that answers every email
# without saying it is automatic must not make improveflow answer it for ever.
ANSWERS_PER_DAY = 5


class ReplyOutcome(StrEnum):
    RECORDED = "recorded"
    REFUSED = "refused"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"  # seen before: not stored again


@dataclass(frozen=True)
class ReplyResult:
    """What became of one message; `answered` when a polite answer was queued."""

    outcome: ReplyOutcome
    message_id: str
    reason: str | None = None
    action_id: int | None = None
    answered: bool = False


def reply_addresses(ctx: Context) -> ReplyAddresses | None:
    """The reply addresses the settings describe; None when IMPROVEFLOW_REPLY_ADDRESS is unset.

    ConfigurationError when it is set but no secret key is.
    """
    settings = ctx.settings
    if not settings.reply_address:
        return None
    if not settings.secret_key:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_SECRET_KEY must be set to sign reply addresses"
        )
    return ReplyAddresses(
        settings.secret_key,
        settings.reply_address,
        timedelta(days=settings.link_max_age_days),
        style=settings.reply_address_style,
    )


class _Refusal(Exception):
    """A reply refused: `reason` is told to its sender (when `answer`) and kept."""

    def __init__(
        self, reason: str, *, answer: bool = True, action_id: int | None = None, hint: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason, self.answer, self.action_id, self.hint = reason, answer, action_id, hint


@dataclass
class _Facts:
    """What is learnt about a message on the way, kept with it whatever the outcome."""

    token: ReplyToken | None = None
    person_id: int | None = None  # the sender, when known
    action_id: int | None = None


def handle_reply(
    ctx: Context,
    data: bytes,
    *,
    envelope_sender: str | None = None,
    envelope_recipients: tuple[str, ...] = (),
    size: int | None = None,
) -> ReplyResult:
    """Judge and record one received message (its bytes, as delivered; or, for a message too
    large to download, its headers and the `size` the mailbox states)."""
    addresses = reply_addresses(ctx)
    if addresses is None:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_REPLY_ADDRESS must be set to read replies by email"
        )
    received = read_message(
        data,
        envelope_sender=envelope_sender,
        envelope_recipients=envelope_recipients,
        size=size,
    )
    with ctx.database.reading() as session:
        if replies.outcome_of(session, received.message_id) is not None:
            return ReplyResult(ReplyOutcome.DUPLICATE, received.message_id)
    automatic = automatic_reason(received)
    if automatic is not None:
        return _keep(ctx, received, _Facts(), ReplyOutcome.IGNORED, f"Not read: {automatic}.")
    facts = _Facts()
    try:
        instruction = _judge(ctx, addresses, received, facts)
        return _record(ctx, received, facts, instruction)
    except _Refusal as refusal:
        facts.action_id = refusal.action_id or facts.action_id
        return _keep(
            ctx,
            received,
            facts,
            ReplyOutcome.REFUSED,
            refusal.reason,
            answer=refusal.answer,
            hint=refusal.hint,
        )


def _judge(
    ctx: Context, addresses: ReplyAddresses, received: InboundMessage, facts: _Facts
) -> ReplyInstruction:
    """The reply's instruction, once it has passed every check that needs no writing."""
    limit = ctx.settings.reply_max_bytes
    if received.size > limit:
        raise _Refusal(
            f"Your reply was too large to read ({received.size / 1e6:.1f} MB; at most "
            f"{limit / 1e6:.1f} MB). Please reply again without attachments or pictures."
        )
    facts.token = _token(ctx, addresses, received)
    failure = authentication_failure(received, ctx.settings.authserv_ids)
    if failure is not None:
        raise _Refusal(f"Your reply could not be accepted because {failure}.")
    text = new_text(received.text)
    if not text:
        raise _Refusal(
            "Your reply had no new text in it, only the email you replied to, so there was "
            "nothing to record.",
            hint=True,
        )
    try:
        return read_instruction(text)
    except ReplyUnclear as unclear:
        raise _Refusal(str(unclear), hint=True) from None


def _token(ctx: Context, addresses: ReplyAddresses, received: InboundMessage) -> ReplyToken:
    candidates = addresses.candidates(received.recipients)
    if not candidates:
        raise _Refusal(
            "Your email was not a reply to one of improveflow's emails, so improveflow cannot "
            "tell which action it is about. Please reply to the reminder about the action."
        )
    problem: exceptions.LinkError | None = None
    for candidate in candidates:
        try:
            return addresses.read(candidate, ctx.clock.now())
        except exceptions.LinkError as exc:
            problem = problem or exc
    assert problem is not None
    expired = isinstance(problem, exceptions.LinkExpired)
    raise _Refusal(
        f"{problem} "
        + (
            "Please reply to a more recent email, or record your update on the action's page."
            if expired
            else "Please reply to the email itself, without changing the address."
        )
    )


def _sender_checked(session: Session, ctx: Context, received: InboundMessage, facts: _Facts) -> str:
    """The email address the update is recorded as: the sender's, when they are the person
    the reply address was made for or their deputy today; otherwise a refusal."""
    assert facts.token is not None
    sender = people.person_with_email(session, received.sender)
    facts.person_id = sender.id if sender else None
    if sender is not None and sender.id == facts.token.person_id:
        return sender.email
    meant = people.contact_of(session, facts.token.person_id)
    if meant is None:
        raise _Refusal("The email you replied to was for someone improveflow no longer knows.")
    if sender is not None and sender.id is not None:
        today = as_london(ctx.clock.now()).date()
        if facts.token.person_id in people.stand_ins_on(session, sender.id, today):
            return sender.email
    raise _Refusal(
        f"The email you replied to was sent to {meant.name}, so only they (or their deputy) "
        f"can answer it by email, and this reply came from {received.sender}. If you work on "
        "the action too, record your update on the action's page."
    )


def _action_of(
    session: Session, ctx: Context, instruction: ReplyInstruction, facts: _Facts
) -> tuple[int, list[int]]:
    assert facts.token is not None
    email = replies.answered_email(session, facts.token.email_id)
    if email is None or email.person_id != facts.token.person_id:
        raise _Refusal("improveflow has no record of the email you replied to.")
    listed = numbered_actions(email.template, email.context)
    if instruction.number is not None:
        if not 1 <= instruction.number <= len(listed):
            raise _Refusal(
                f"The email you replied to numbered its actions #1 to #{len(listed)}, so "
                f"#{instruction.number} is none of them.",
                hint=True,
            )
        return listed[instruction.number - 1], listed
    if len(listed) == 1:
        return listed[0], listed
    if not listed:
        raise _Refusal("The email you replied to was not about an action.")
    raise _Refusal(
        f"The email you replied to was about {len(listed)} actions, so improveflow cannot "
        f"tell which one you mean. Start your reply with the action's number from that "
        f"email, for example '#2 DONE' or '#1' followed by your update.",
        hint=True,
    )


def _record(
    ctx: Context, received: InboundMessage, facts: _Facts, instruction: ReplyInstruction
) -> ReplyResult:
    now = ctx.clock.now()
    try:
        with ctx.database.writing() as session:
            by_email = _sender_checked(session, ctx, received, facts)
            action_id, _ = _action_of(session, ctx, instruction, facts)
            facts.action_id = action_id
            _refuse_finished(session, ctx, action_id)
            done = _apply(ctx, session, action_id, instruction, by_email, now)
            if not _kept(session, received, facts, ReplyOutcome.RECORDED, None, now):
                raise _Duplicate()
            notices.add(
                session,
                key=f"{notices.REPLY_RECORDED}:{_digest(received.message_id)}",
                kind=notices.REPLY_RECORDED,
                person_id=facts.person_id or facts.token.person_id,  # type: ignore[union-attr]
                action_id=action_id,
                due_at=now,
                now=now,
                data=_confirmation(ctx, session, action_id, instruction, done),
            )
    except _Duplicate:
        return ReplyResult(ReplyOutcome.DUPLICATE, received.message_id)
    except (exceptions.ImproveflowError, DetailInvalid) as refused:
        raise _Refusal(
            f"Nothing from your reply was recorded: {_sentence(str(refused))}",
            action_id=facts.action_id,
        ) from None
    return ReplyResult(ReplyOutcome.RECORDED, received.message_id, action_id=action_id)


class _Duplicate(Exception):
    """Another worker recorded the same message first: roll back, say nothing."""


def _refuse_finished(session: Session, ctx: Context, action_id: int) -> None:
    action = actions.action_state(session, action_id)
    state = ctx.workflows.workflow(action.workflow).states.get(action.state)
    if state is not None and state.final:
        raise _Refusal(
            f"Action {action_id} is already {state.label.lower()}, so it takes no more "
            "updates by email. To reopen it, use the action's page.",
            action_id=action_id,
        )


def _apply(
    ctx: Context,
    session: Session,
    action_id: int,
    instruction: ReplyInstruction,
    by_email: str,
    now: datetime,
) -> ChangeResult | None:
    if instruction.text or instruction.rag is not None:
        progress.add_progress(
            ctx, session, action_id, instruction.text, instruction.rag, by_email=by_email, now=now
        )
    if instruction.ask is None:
        return None
    reason = instruction.reason
    if instruction.ask is not Ask.COMPLETE and reason is None:
        reason = instruction.text or None  # 'NEW DATE 31/03/2027' with the reason below it
    return approvals.request_change_in(
        ctx,
        session,
        action_id,
        instruction.ask.value,
        by_email=by_email,
        now=now,
        reason=reason,
        new_target_date=instruction.new_target_date,
    )


def _confirmation(
    ctx: Context,
    session: Session,
    action_id: int,
    instruction: ReplyInstruction,
    done: ChangeResult | None,
) -> dict[str, Any]:
    """What the confirmation tells: what was recorded, and who decides what was asked."""
    action = actions.action_state(session, action_id)
    workflow = ctx.workflows.workflow(action.workflow)
    data: dict[str, Any] = {
        "progress": instruction.text or None,
        "rag": instruction.rag.value if instruction.rag else None,
        "asked": None,
    }
    if done is not None:
        data["asked"] = {
            "transition": done.transition,
            "label": workflow.transition(done.transition).label,
            "status": done.status.value,
            "body": done.body,
            "body_title": workflow.body_title(done.body) if done.body else None,
            "new_target_date": (
                instruction.new_target_date.isoformat() if instruction.new_target_date else None
            ),
            "applied": done.status is ChangeStatus.APPLIED,
        }
    return data


def _keep(
    ctx: Context,
    received: InboundMessage,
    facts: _Facts,
    outcome: ReplyOutcome,
    reason: str,
    *,
    answer: bool = False,
    hint: bool = False,
) -> ReplyResult:
    """Keep a message that was not recorded, with its audit event, and answer it once (only
    to someone improveflow knows)."""
    now = ctx.clock.now()
    answered = False
    with ctx.database.writing() as session:
        known = people.person_with_email(session, received.sender)
        facts.person_id = known.id if known else facts.person_id
        if not _kept(session, received, facts, outcome, reason, now):
            return ReplyResult(ReplyOutcome.DUPLICATE, received.message_id)
        if (
            answer
            and known is not None
            and known.id is not None
            and replies.refused_since(session, known.id, now - timedelta(days=1)) <= ANSWERS_PER_DAY
        ):
            answered = (
                outbox.enqueue(
                    session,
                    key=f"{REFUSED_TEMPLATE}:{_digest(received.message_id)}",
                    template=REFUSED_TEMPLATE,
                    recipient_email=known.email,
                    recipient_name=known.name,
                    person_id=known.id,
                    context={
                        "reason": reason,
                        "subject": received.subject,
                        "received_at": now.isoformat(),
                        "what_to_write": WHAT_TO_WRITE if hint else None,
                    },
                    due_at=now,
                    now=now,
                )
                is not None
            )
    return ReplyResult(
        outcome, received.message_id, reason=reason, action_id=facts.action_id, answered=answered
    )


def _kept(
    session: Session,
    received: InboundMessage,
    facts: _Facts,
    outcome: ReplyOutcome,
    reason: str | None,
    now: datetime,
) -> bool:
    """Store the message's record and its audit event; False when it was stored before."""
    fresh = replies.keep(
        session,
        message_id=received.message_id,
        sender=received.sender,
        person_id=facts.person_id,
        email_id=facts.token.email_id if facts.token else None,
        action_id=facts.action_id,
        outcome=outcome.value,
        reason=reason,
        now=now,
    )
    if fresh:
        audit.record(
            session,
            recorded.ReplyReceived(
                actor_id=facts.person_id,
                action_id=facts.action_id,
                message_id=received.message_id,
                sender=received.sender[:320],
                outcome=outcome.value,
                reason=reason,
            ),
            at=now,
        )
    return fresh


def _digest(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
