"""Turning one action's audit events into its history: one entry per change, rare cases included.

The events are stored rows, payloads as the services write them, read through `from_row` as
the action page reads them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from improveflow import audit_events, resources
from improveflow.calendar import WorkingCalendar
from improveflow.models import AuditEvent
from improveflow.services.action_history import (
    Ask,
    CarriedForward,
    Changed,
    Decided,
    EscalationClosed,
    NoProgress,
    RequestClosed,
    RequestOutcome,
    Waiting,
)
from improveflow.services.action_history.building import build_history
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import load_workflow

START = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
NAMES = {1: "Owen Marsh", 2: "Dana Reeve", 3: "Sam Patel"}


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(resources.bundled_dir("workflows") / "improvement_action.yaml")


class _Log:
    """Audit events of action 1, numbered and an hour apart, as the services write them."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def add(self, event: str, **fields: Any) -> None:
        data = fields.pop("data", {})
        seq = len(self.events) + 1
        self.events.append(
            AuditEvent(
                seq=seq,
                at=START + timedelta(hours=seq),
                event=event,
                action_id=1,
                data=json.dumps(data),
                prev_hash="",
                hash="",
                **fields,
            )
        )

    def history(self, workflow: Workflow, target_now: date | None = None) -> list[Any]:
        return build_history(
            [audit_events.from_row(event) for event in self.events],
            workflow=workflow,
            calendar=WorkingCalendar(),
            names=NAMES,
            target_now=target_now,
        )


def test_a_request_waiting_for_its_second_approval_lists_the_first(workflow: Workflow) -> None:
    """With a quorum of two, one approval so far: the request still waits, and says who approved."""
    log = _Log()
    log.add(
        "requested", request_id=7, actor_id=1, comment="Done",
        from_state="in_progress", to_state="complete",
        data={"transition": "complete", "body": "CMT", "quorum": 2, "new_target_date": None},
    )  # fmt: skip
    log.add(
        "decision", request_id=7, actor_id=2, comment="Yes",
        data={"verdict": "approve", "transition": "complete"},
    )  # fmt: skip
    [waiting] = log.history(workflow)
    assert waiting == Waiting(
        START + timedelta(hours=1),
        Ask(
            label="mark the action complete",
            by="Owen Marsh",
            at=START + timedelta(hours=1),
            reason="Done",
            body="Corporate Management Team",
            new_target_date=None,
            quorum=2,
            decisions=(Decided("Dana Reeve", True, "Yes"),),
        ),
    )


def test_an_approval_that_came_too_late_is_one_closed_request(workflow: Workflow) -> None:
    """Approved after the action moved on: closed with no change, naming who approved it."""
    log = _Log()
    log.add(
        "requested", request_id=7, actor_id=1, from_state="in_progress", to_state="complete",
        data={"transition": "complete", "body": "CMT", "quorum": 1},
    )  # fmt: skip
    log.add(
        "decision", request_id=7, actor_id=3,
        data={"verdict": "approve", "transition": "complete"},
    )  # fmt: skip
    log.add(
        "superseded", request_id=7, actor_id=3, comment="Cannot mark the action complete ...",
        data={"transition": "complete", "body": "CMT"},
    )  # fmt: skip
    [closed] = log.history(workflow)
    assert isinstance(closed, RequestClosed)
    assert closed.outcome is RequestOutcome.LAPSED
    assert closed.by == "Sam Patel"
    assert closed.ask.approvals == (Decided("Sam Patel", True),)


def test_closings_fold_into_the_change_that_made_them(workflow: Workflow) -> None:
    """Escalations closed as a change is applied belong to it; a prompt's closing shows nothing."""
    log = _Log()
    log.add("escalated", data={"escalation_id": 1, "level": 0, "reason": "stalled"})
    log.add("escalation_closed", comment="progress recorded", data={"escalation_id": 1, "level": 0})
    log.add("progress", actor_id=1, comment="News", data={"progress_id": 1, "rag": None})
    log.add("escalated", data={"escalation_id": 2, "level": 1, "reason": "overdue"})
    log.add("escalation_closed", comment="action complete", data={"escalation_id": 2, "level": 1})
    log.add(
        "transition", actor_id=2, from_state="in_progress", to_state="complete",
        data={"transition": "complete"},
    )  # fmt: skip
    entries = log.history(workflow)
    assert [type(entry).__name__ for entry in entries] == [
        "Changed",
        "Escalated",
        "ProgressRecorded",
        "NoProgress",
    ]
    assert isinstance(entries[0], Changed)
    assert entries[0].closed_levels == (1,)
    assert entries[0].by == "Dana Reeve"
    assert isinstance(entries[3], NoProgress)


def test_an_escalation_closed_on_its_own_is_said(workflow: Workflow) -> None:
    """A level closed with no change beside it still shows, with its level."""
    log = _Log()
    log.add("escalation_closed", comment="cleared", data={"escalation_id": 2, "level": 2})
    log.add("notice_escalation", comment="told", data={"notice_id": 1})
    log.add("signed_in", actor_id=1, data={"via": "action"})
    assert log.history(workflow) == [EscalationClosed(START + timedelta(hours=1), 2)]


def test_escalations_count_from_the_target_then_in_force(workflow: Workflow) -> None:
    """The target an escalation was raised against is found by undoing later changes of date."""
    log = _Log()
    log.add("escalated", data={"escalation_id": 1, "level": 1, "reason": "overdue"})
    log.add(
        "transition", actor_id=2, from_state="in_progress", to_state="in_progress",
        data={"transition": "revise_target",
              "target_date": {"from": "2014-05-30", "to": "2014-07-31"}},
    )  # fmt: skip
    changed, escalated = log.history(workflow, target_now=date(2014, 7, 31))
    assert isinstance(changed, Changed)
    assert (changed.target_from, changed.target_to) == (date(2014, 5, 30), date(2014, 7, 31))
    assert escalated.target_date == date(2014, 5, 30)
    assert escalated.working_days_overdue == 1  # Friday 30 May to Monday 2 June


def test_a_carried_forward_action_starts_from_last_years_action(workflow: Workflow) -> None:
    """Its first entry names last year's plan and action (or says last year's plan when that
    is no longer known by name); its news counts from the carrying forward."""
    log = _Log()
    carried = audit_events.ActionCarriedForward(
        action_id=1, actor_id=3, state="deferred", plan_id=2, from_action_id=9, from_plan_id=1,
        from_year="2013/14",
    )  # fmt: skip
    columns = {name: value for name, value in carried.columns().items() if name != "action_id"}
    log.add(carried.kind.value, data=carried.payload(), **columns)
    events = [audit_events.from_row(event) for event in log.events]

    def history(origins: dict[int, str] | None) -> list[Any]:
        return build_history(
            events, workflow=workflow, calendar=WorkingCalendar(), names=NAMES,
            target_now=None, origins=origins,
        )  # fmt: skip

    assert history({9: "AGS 2013/14, action 9"}) == [
        CarriedForward(START + timedelta(hours=1), "Sam Patel", "Deferred", 9,
                       "AGS 2013/14, action 9"),
    ]  # fmt: skip
    assert history(None) == [
        CarriedForward(START + timedelta(hours=1), "Sam Patel", "Deferred", 9,
                       "last year's plan"),
    ]  # fmt: skip
