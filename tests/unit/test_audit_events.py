"""Audit events as typed records: each kind reads back into its record, stores its payload the
way the log has always held it, and an odd or unknown row is set aside instead of breaking."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from improveflow import audit, audit_events
from improveflow.audit_events import (
    ActionCarriedForward,
    ActionCreated,
    ActionImported,
    ChallengeDateSet,
    ChangeRequested,
    CommitteeSignedOff,
    DateChange,
    DeputyNamed,
    EmailsRequeued,
    EscalationCause,
    EscalationClosed,
    EscalationRaised,
    Event,
    EventKind,
    MilestoneDone,
    NoticeQueued,
    PersonSaved,
    PlanCreated,
    PlanPublished,
    PlanRolledOver,
    PreferencesChanged,
    ProgressMarked,
    ProgressRecorded,
    ReplyReceived,
    ReportDateSet,
    RequestDecided,
    RequestEnded,
    RequeuedEmail,
    SignedIn,
    TransitionApplied,
    Unchanged,
    Unrecognised,
)
from improveflow.audit_events.base import COLUMNS, registered
from improveflow.audit_key import AuditKey
from improveflow.models import AuditEvent, PlanKind, Rag, RequestStatus, Verdict

AT = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
AUDIT_KEY = "an-audit-key-for-tests-kept-apart-from-the-database"
JUNE = DateChange(date(2014, 6, 30), date(2014, 9, 30))

# One record of every shape a writer makes, optional parts both given and left out.
EXAMPLES: list[Event] = [
    ActionCreated(action_id=4, actor_id=1, state="drafted", plan_id=2, description="Do it"),
    ActionCreated(action_id=4, actor_id=None, state="drafted", plan_id=2, description="Do it"),
    ActionImported(
        action_id=4, state="in_progress", evidence="Started", source="plan.csv:3", plan_id=2
    ),
    ActionImported(action_id=4, state="drafted", evidence=None, source=None, plan_id=2),
    ProgressRecorded(action_id=4, actor_id=1, text="Drafted", progress_id=9, rag=Rag.AMBER),
    ProgressRecorded(action_id=4, actor_id=1, text="Drafted", progress_id=9, rag=None),
    ProgressRecorded(action_id=4, text="Done", source="plan.csv:3", imported=True),
    EscalationRaised(action_id=4, escalation_id=3, level=2, reason=EscalationCause.OVERDUE),
    EscalationRaised(action_id=4, escalation_id=3, level=0, reason=EscalationCause.STALLED),
    EscalationClosed(action_id=4, escalation_id=3, level=2, why="action complete"),
    NoticeQueued(
        notice="approval_chase", request_id=5, why="waiting", notice_id=8, person_id=1, key="k"
    ),
    NoticeQueued(notice="reminder", action_id=4, why="due", notice_id=8, person_id=1, key="k"),
    ChangeRequested(
        action_id=4,
        request_id=5,
        actor_id=1,
        from_state="in_progress",
        to_state="in_progress",
        reason="Late",
        transition="revise_target",
        body="CMT",
        quorum=2,
        new_target_date=JUNE.after,
        target_date=JUNE,
    ),
    ChangeRequested(
        action_id=4,
        request_id=5,
        actor_id=1,
        from_state="drafted",
        to_state="approved",
        reason=None,
        transition="approve",
        body="CMT",
        quorum=1,
        new_target_date=None,
    ),
    RequestDecided(
        action_id=4,
        request_id=5,
        actor_id=6,
        comment="For Dana",
        verdict=Verdict.APPROVE,
        transition="complete",
        on_behalf_of="Dana Reeve",
        on_behalf_of_id=2,
    ),
    RequestDecided(
        action_id=4,
        request_id=5,
        actor_id=2,
        comment=None,
        verdict=Verdict.REJECT,
        transition="complete",
    ),
    TransitionApplied(
        action_id=4,
        request_id=5,
        actor_id=2,
        from_state="in_progress",
        to_state="in_progress",
        reason="Late",
        transition="revise_target",
        target_date=JUNE,
    ),
    TransitionApplied(
        action_id=4,
        actor_id=1,
        from_state="approved",
        to_state="in_progress",
        reason=None,
        transition="start",
    ),
    RequestEnded(
        outcome=RequestStatus.APPROVED,
        action_id=4,
        request_id=5,
        actor_id=2,
        comment=None,
        transition="complete",
        body="CMT",
    ),
    RequestEnded(
        outcome=RequestStatus.SUPERSEDED,
        action_id=4,
        request_id=5,
        actor_id=2,
        comment="Cannot",
        transition="defer",
        body="CMT",
        unchanged=Unchanged("in_progress", date(2014, 9, 30)),
    ),
    PlanCreated(plan_id=2, title="Plan", plan_kind=PlanKind.ACTION_PLAN, organisation=None),
    PlanCreated(
        plan_id=2,
        title="Plan",
        plan_kind=PlanKind.PEER_CHALLENGE,
        organisation="Sefton",
        source="plan.docx",
    ),
    ChallengeDateSet(
        actor_id=None,
        plan_id=2,
        challenge_date=date(2026, 6, 12),
        earlier=None,
        milestones=("feedback_report 2026-09-12",),
    ),
    ChallengeDateSet(
        actor_id=3, plan_id=2, challenge_date=date(2026, 6, 19), earlier=date(2026, 6, 12)
    ),
    MilestoneDone(
        actor_id=3,
        plan_id=2,
        milestone="action_plan",
        done_on=date(2026, 9, 1),
        link="https://council.example/action-plan",
    ),
    ReportDateSet(
        actor_id=None,
        plan_id=4,
        report_date=date(2026, 12, 31),
        response_months=2,
        response_due=date(2027, 2, 28),
    ),
    ReportDateSet(
        actor_id=3,
        plan_id=4,
        report_date=date(2026, 6, 12),
        response_months=3,
        response_due=date(2026, 9, 11),
        earlier=date(2026, 12, 31),
    ),
    CommitteeSignedOff(
        action_id=9, actor_id=3, plan_id=4, signed_off_on=date(2026, 10, 14), minute="45/26"
    ),
    CommitteeSignedOff(
        action_id=9,
        actor_id=3,
        plan_id=4,
        signed_off_on=date(2026, 10, 15),
        earlier=date(2026, 10, 14),
    ),
    PlanCreated(
        plan_id=3,
        title="Annual Governance Statement 2026/27",
        plan_kind=PlanKind.GOVERNANCE_STATEMENT,
        organisation="Sefton",
        financial_year="2026/27",
    ),
    PlanRolledOver(
        actor_id=1,
        plan_id=2,
        to_plan_id=3,
        from_year="2025/26",
        to_year="2026/27",
        carried=4,
        left=2,
    ),
    PlanRolledOver(
        actor_id=1,
        plan_id=2,
        to_plan_id=3,
        from_year=None,
        to_year="2026/27",
        carried=0,
        left=0,
    ),
    ActionCarriedForward(
        action_id=9,
        actor_id=1,
        state="deferred",
        plan_id=3,
        from_action_id=4,
        from_plan_id=2,
        from_year="2025/26",
    ),
    PersonSaved(
        created=True,
        person_id=1,
        email="o@x.example",
        bodies=("CMT",),
        roles=(),
        organisation=None,
    ),
    PersonSaved(
        created=False,
        person_id=1,
        email="o@x.example",
        bodies=(),
        roles=("admin", "owner"),
        organisation="Sefton",
    ),
    PreferencesChanged(actor_id=1, reminder_delivery="daily_digest"),
    DeputyNamed(
        actor_id=2,
        deputy_id=1,
        member="Dana Reeve",
        deputy="Alex Smith",
        starts_on=date(2014, 6, 1),
        ends_on=date(2014, 6, 30),
    ),
    SignedIn(actor_id=1, via="action"),
    ReplyReceived(
        actor_id=1,
        action_id=4,
        message_id="<abc@mail.example>",
        sender="owen@council.example",
        outcome="refused",
        reason="the reply had no new text",
    ),
    EmailsRequeued(
        summary="2 emails queued to be sent again",
        emails=(RequeuedEmail(7, "failed", 3), RequeuedEmail(8, "superseded", 1)),
        sent_even_if_superseded=(8,),
    ),
    PlanPublished(published=True, actor_id=2, plan_id=1, slug="peer-challenge-plan"),
    PlanPublished(published=False, actor_id=2, plan_id=1, slug="peer-challenge-plan"),
    ProgressMarked(public=True, action_id=4, actor_id=2, progress_id=9),
    ProgressMarked(public=False, action_id=4, actor_id=2, progress_id=9),
]


def _stored(event: Event, seq: int = 1) -> AuditEvent:
    """The row `audit.record` would write for `event` (its hash aside)."""
    return AuditEvent(
        seq=seq,
        at=AT,
        event=event.kind.value,
        data=audit.canonical_json(event.payload()),
        prev_hash="",
        hash="",
        **event.columns(),
    )


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_record_reads_back_as_it_was_written(event: Event) -> None:
    """Stored and read again, a record is equal to itself: no field is lost or changed."""
    logged = audit_events.from_row(_stored(event, seq=12))
    assert (logged.seq, logged.at) == (12, AT)
    assert logged.event == event


def test_every_kind_has_a_record_and_an_example() -> None:
    """No kind of event in the log is left to be read by its keys."""
    assert {event.kind for event in EXAMPLES} | _kinds_not_exemplified() == set(EventKind)
    union = set(typing.get_args(audit_events.AuditRecord))
    assert {type(event) for event in EXAMPLES} == union


def _kinds_not_exemplified() -> set[EventKind]:
    """Kinds told apart by a field: the examples cover their record, not every value."""
    return {
        EventKind(kind)
        for kind in EventKind
        if kind.startswith("notice_") or kind in ("rejected", "withdrawn")
    }


def test_optional_parts_are_left_out_as_their_writers_always_have() -> None:
    """A decision with no deputy carries no deputy keys; an imported update carries no rating."""
    decided = RequestDecided(
        action_id=4, request_id=5, actor_id=2, comment=None, verdict=Verdict.APPROVE,
        transition="complete",
    )  # fmt: skip
    assert decided.payload() == {"verdict": "approve", "transition": "complete"}
    by_owner = ProgressRecorded(action_id=4, actor_id=1, text="News", progress_id=9, rag=None)
    assert by_owner.payload() == {"progress_id": 9, "rag": None}
    assert by_owner.columns() == {"action_id": 4, "actor_id": 1, "comment": "News"}
    imported = ProgressRecorded(action_id=4, text="News", source="plan.csv:3", imported=True)
    assert imported.payload() == {"source": "plan.csv:3", "imported": True}


def test_a_change_of_date_is_stored_under_its_old_keys() -> None:
    """'from' and 'to', as ISO days, as every request for a new date has been stored."""
    asked = ChangeRequested(
        action_id=4, request_id=5, actor_id=1, from_state="in_progress", to_state="in_progress",
        reason="Late", transition="revise_target", body="CMT", quorum=1,
        new_target_date=JUNE.after, target_date=JUNE,
    )  # fmt: skip
    assert audit.canonical_json(asked.payload()) == (
        '{"body":"CMT","new_target_date":"2014-09-30","quorum":1,'
        '"target_date":{"from":"2014-06-30","to":"2014-09-30"},"transition":"revise_target"}'
    )


def test_events_from_before_a_key_existed_read_with_what_it_meant() -> None:
    """A request stored before quorums and replaced dates were kept reads as a quorum of one."""
    row = AuditEvent(
        seq=3, at=AT, event="requested", action_id=4, request_id=5, actor_id=1,
        from_state="drafted", to_state="approved", data='{"transition":"approve","body":"CMT"}',
        prev_hash="", hash="",
    )  # fmt: skip
    asked = audit_events.from_row(row).event
    assert isinstance(asked, ChangeRequested)
    assert (asked.quorum, asked.new_target_date, asked.target_date) == (1, None, None)


@pytest.mark.parametrize(
    ("event", "data", "why"),
    [
        ("person_added", "{}", "no record of this kind"),
        ("notice_fax", "{}", "no record of this kind"),
        ("decision", '{"verdict":"maybe","transition":"complete"}', "verdict"),
        ("escalated", '{"escalation_id":1,"level":"high","reason":"overdue"}', "level"),
        ("escalated", '{"escalation_id":1,"reason":"overdue"}', "has no 'level'"),
        ("signed_in", "not json", "not JSON"),
        ("signed_in", "[1, 2]", "not an object"),
    ],
)
def test_a_row_that_fits_no_record_is_set_aside_saying_why(event: str, data: str, why: str) -> None:
    """Unknown kinds and payloads that do not fit are `Unrecognised`, never an error."""
    row = AuditEvent(
        seq=1, at=AT, event=event, action_id=4, request_id=5, actor_id=1, data=data,
        prev_hash="", hash="",
    )  # fmt: skip
    read = audit_events.from_row(row).event
    assert isinstance(read, Unrecognised)
    assert read.kind == event
    assert why in read.why


def test_a_notice_kind_the_log_does_not_know_cannot_be_written() -> None:
    """A new kind of notice needs its own EventKind before its events can be stored."""
    with pytest.raises(ValueError, match="notice_fax"):
        _ = NoticeQueued(notice="fax", why="", notice_id=1, person_id=1, key="k").kind


def test_a_pending_request_has_not_ended() -> None:
    with pytest.raises(ValueError, match="pending"):
        RequestEnded(
            outcome=RequestStatus.PENDING, action_id=4, request_id=5, actor_id=2, comment=None,
            transition="complete", body="CMT",
        )  # fmt: skip


def test_a_field_that_cannot_be_read_back_is_refused_where_it_is_declared() -> None:
    """A record is checked when it is defined, not the first time a page meets its event."""

    class Unreadable:
        pass

    with pytest.raises(TypeError, match="of type Unreadable cannot be read"):

        @registered
        @dataclass(frozen=True, kw_only=True)
        class Odd(Event):
            KIND = EventKind.SIGNED_IN
            thing: Unreadable


# What this decision hashes to in every installation's log: worked out by the code that wrote
# those logs, before events were typed. A change of wording, key order or escaping breaks it.
DECISION_SHA256 = "81e6c81651c24e9a91292955b84b6ca45b05f0dd9caf8e83bb4fb5cc0315afff"
DECISION_HMAC = "06d656f43689c1f14b4753c690c23003786c7f6bf0fd6ead2ac5428f037c8f90"


@pytest.mark.parametrize(
    ("key", "digest"),
    [(None, DECISION_SHA256), (AuditKey(AUDIT_KEY), DECISION_HMAC)],
    ids=["sha256", "hmac-sha256"],
)
def test_a_record_hashes_as_the_log_always_has(key: AuditKey | None, digest: str) -> None:
    """A deputy's decision, with non-ASCII words, stored as a record hashes exactly as the same
    event written field by field always has, keyed or not."""
    decided = RequestDecided(
        action_id=3, request_id=1, actor_id=1, comment="Agreed, with thanks — Café",
        verdict=Verdict.APPROVE, transition="approve", on_behalf_of="Dana Reeve",
        on_behalf_of_id=1,
    )  # fmt: skip
    columns = dict.fromkeys(COLUMNS) | decided.columns()
    hashed = audit.event_hash(
        seq=13, at=AT, event=decided.kind.value, data=audit.canonical_json(decided.payload()),
        prev_hash="ab" * 32, key=key, **columns,
    )  # fmt: skip
    assert hashed == digest
