"""Audit events as typed records: one frozen dataclass per kind of event, and `from_row`.

Writers build a record (`ChangeRequested(action_id=..., ...)`) and `audit.record` stores it;
readers turn a stored row into its record with `from_row` and read its fields, never the JSON
payload's keys or the words of a comment. A row whose kind is unknown here, or whose fields do
not fit its kind's record, is `Unrecognised`, kept as stored, so an old or odd event never
stops a page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from improveflow.audit_events.actions import (
    ActionCreated,
    ActionImported,
    EscalationCause,
    EscalationClosed,
    EscalationRaised,
    NoticeQueued,
    ProgressRecorded,
)
from improveflow.audit_events.admin import (
    DeputyNamed,
    EmailsRequeued,
    PersonSaved,
    PlanCreated,
    PreferencesChanged,
    ReplyReceived,
    RequeuedEmail,
    SignedIn,
)
from improveflow.audit_events.base import Event, StoredRow, Unreadable, record_class
from improveflow.audit_events.kinds import EventKind
from improveflow.audit_events.milestones import (
    ChallengeDateSet,
    CommitteeSignedOff,
    MilestoneDone,
    ReportDateSet,
)
from improveflow.audit_events.publication import PlanPublished, ProgressMarked
from improveflow.audit_events.requests import (
    ChangeRequested,
    DateChange,
    RequestDecided,
    RequestEnded,
    TransitionApplied,
    Unchanged,
)
from improveflow.audit_events.rollover import ActionCarriedForward, PlanRolledOver

__all__ = [
    "ActionCarriedForward",
    "ActionCreated",
    "ActionImported",
    "AuditRecord",
    "ChallengeDateSet",
    "ChangeRequested",
    "CommitteeSignedOff",
    "DateChange",
    "DeputyNamed",
    "EmailsRequeued",
    "EscalationCause",
    "EscalationClosed",
    "EscalationRaised",
    "Event",
    "EventKind",
    "Logged",
    "MilestoneDone",
    "NoticeQueued",
    "PersonSaved",
    "PlanCreated",
    "PlanPublished",
    "PlanRolledOver",
    "PreferencesChanged",
    "ProgressMarked",
    "ProgressRecorded",
    "ReplyReceived",
    "ReportDateSet",
    "RequestDecided",
    "RequestEnded",
    "RequeuedEmail",
    "SignedIn",
    "StoredRow",
    "TransitionApplied",
    "Unchanged",
    "Unrecognised",
    "from_row",
]

AuditRecord = (
    ActionCreated
    | ActionImported
    | ProgressRecorded
    | EscalationRaised
    | EscalationClosed
    | NoticeQueued
    | ChangeRequested
    | RequestDecided
    | TransitionApplied
    | RequestEnded
    | PlanCreated
    | ChallengeDateSet
    | MilestoneDone
    | ReportDateSet
    | CommitteeSignedOff
    | PlanRolledOver
    | ActionCarriedForward
    | PersonSaved
    | PreferencesChanged
    | DeputyNamed
    | SignedIn
    | EmailsRequeued
    | ReplyReceived
    | PlanPublished
    | ProgressMarked
)


@dataclass(frozen=True)
class Unrecognised:
    """A stored event no record here fits: its kind as stored, and why it was not read."""

    kind: str
    why: str


@dataclass(frozen=True)
class Logged:
    """One stored event: its place in the chain, when, and what happened."""

    seq: int
    at: datetime
    event: AuditRecord | Unrecognised


def from_row(row: StoredRow) -> Logged:
    """The typed record of a stored `audit_event` row."""
    return Logged(seq=row.seq, at=row.at, event=_read(row))


def _read(row: StoredRow) -> AuditRecord | Unrecognised:
    try:
        kind = EventKind(row.event)
    except ValueError:
        return Unrecognised(row.event, "no record of this kind")
    cls = record_class(kind)
    if cls is None:
        return Unrecognised(row.event, "no record of this kind")
    try:
        data: Any = json.loads(row.data or "{}")
    except ValueError:
        return Unrecognised(row.event, "its payload is not JSON")
    if not isinstance(data, dict):
        return Unrecognised(row.event, "its payload is not an object")
    try:
        event = cls.read(kind, row, data)
    except Unreadable as error:
        return Unrecognised(row.event, str(error))
    if not isinstance(event, AuditRecord):  # registered but not named above
        return Unrecognised(row.event, f"{type(event).__name__} is not an AuditRecord")
    return event
