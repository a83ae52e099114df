"""The events around the plans: plans created, people and their settings, sign-ins, email."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from improveflow.audit_events.base import (
    FROM_KIND,
    Event,
    Record,
    Unreadable,
    column,
    in_payload,
    readable,
    readable_enum,
    registered,
)
from improveflow.audit_events.kinds import EventKind
from improveflow.models import PlanKind

readable_enum(PlanKind)


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class PlanCreated(Event):
    """A plan created, by hand or by importing its file (`source`)."""

    KIND = EventKind.PLAN_CREATED
    plan_id: int
    title: str
    plan_kind: PlanKind = field(metadata=in_payload("kind"))
    organisation: str | None
    source: str | None = field(default=None, metadata=in_payload(omit_default=True))
    # The financial year it is for ("2025/26"), where one was given.
    financial_year: str | None = field(default=None, metadata=in_payload(omit_default=True))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class PersonSaved(Event):
    """A person created or updated from a people file, with what they became."""

    KIND = EventKind.PERSON_CREATED
    KINDS = (EventKind.PERSON_CREATED, EventKind.PERSON_UPDATED)
    created: bool = field(metadata=FROM_KIND)
    person_id: int
    email: str
    bodies: tuple[str, ...]
    roles: tuple[str, ...]
    organisation: str | None

    @property
    def kind(self) -> EventKind:
        return EventKind.PERSON_CREATED if self.created else EventKind.PERSON_UPDATED

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        return {"created": kind is EventKind.PERSON_CREATED}


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class PreferencesChanged(Event):
    """Someone chose how their reminders reach them ("immediate", "daily_digest")."""

    KIND = EventKind.PREFERENCES_CHANGED
    actor_id: int
    reminder_delivery: str


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class DeputyNamed(Event):
    """A deputy named to decide for a member (`actor_id`) from one day to another."""

    KIND = EventKind.DEPUTY_NAMED
    actor_id: int
    deputy_id: int  # the deputyship's id
    member: str
    deputy: str
    starts_on: date = field(metadata=in_payload("from"))
    ends_on: date = field(metadata=in_payload("to"))


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class SignedIn(Event):
    """Someone signed in by following a link of the kind `via`."""

    KIND = EventKind.SIGNED_IN
    actor_id: int
    via: str


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyReceived(Event):
    """An email received at the reply address, by its Message-ID, and what became of it:
    `outcome` recorded, refused or ignored (automatic mail), with the reason for the last two.
    `actor_id` is the sender when known; `action_id` the action it was about, when one."""

    KIND = EventKind.REPLY_RECEIVED
    actor_id: int | None
    action_id: int | None
    message_id: str
    sender: str
    outcome: str
    reason: str | None = field(default=None, metadata=in_payload(omit_default=True))


@dataclass(frozen=True, slots=True)
class RequeuedEmail(Record):
    """One email queued to be sent again: how it stood before, and its attempts so far."""

    id: int
    was: str
    attempts: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "was": self.was, "attempts": self.attempts}

    @classmethod
    def read(cls, value: Any) -> RequeuedEmail:
        try:
            return cls(int(value["id"]), str(value["was"]), int(value["attempts"]))
        except (KeyError, TypeError, ValueError):
            raise Unreadable(f"{value!r} is not an email requeued") from None


readable("RequeuedEmail", RequeuedEmail.read)


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class EmailsRequeued(Event):
    """An administrator queued failed or held emails to be sent again."""

    KIND = EventKind.EMAILS_REQUEUED
    summary: str = field(metadata=column("comment"))
    emails: tuple[RequeuedEmail, ...]
    # Ids of emails sent again even though they no longer mattered.
    sent_even_if_superseded: tuple[int, ...]
