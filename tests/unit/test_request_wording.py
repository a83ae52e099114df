"""The approval pages' sentences for the outcomes that are rare in a council's week.

Superseded requests, quorums with a deputy's vote, a request asked by someone other than the
owner, an action with no target date and a closed request listed without its record: each
must still say only what is true.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from improveflow.models import RequestStatus, Verdict
from improveflow.resources import bundled_dir
from improveflow.services.approval_queue import DecisionView, RequestView
from improveflow.services.request_record import Change, Closing, RequestRecord
from improveflow.web.request_wording import describe
from improveflow.workflow.definition import Workflow
from improveflow.workflow.loader import load_workflow

ASKED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # 10:00 in London (GMT)
CLOSED_AT = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)
OWEN, DANA, SAM, ALEX, PIA = 1, 2, 3, 4, 5

COMPLETION = RequestView(
    id=7, action_id=3, description="Extend medium term financial strategy", plan_id=1,
    plan="Peer Challenge Improvement Plan", workflow="improvement_action",
    transition="complete", body="CMT", quorum=1, status=RequestStatus.PENDING, requester_id=OWEN,
    requester="Owen Marsh", reason="All done", new_target_date=None, created_at=ASKED_AT,
    closed_at=None, state="in_progress", target_date=date(2026, 11, 30), rag=None,
    owner_id=OWEN,
)  # fmt: skip
ASKED_COMPLETION = Change("in_progress", "complete")


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(bundled_dir("workflows") / "improvement_action.yaml")


def _decision(
    person: int, name: str, verdict: Verdict, deputy_for: str | None = None
) -> DecisionView:
    return DecisionView(person, name, deputy_for, verdict, None, CLOSED_AT)


def _closed(status: RequestStatus, closing: Closing, *decisions: DecisionView) -> RequestView:
    return replace(
        COMPLETION,
        status=status,
        closed_at=CLOSED_AT,
        decisions=decisions,
        record=RequestRecord(ASKED_COMPLETION, closing),
    )


def test_superseded_says_the_action_had_moved_on(workflow: Workflow) -> None:
    """An approval that came after the action was deferred changed nothing, and says so."""
    closing = Closing(RequestStatus.SUPERSEDED, CLOSED_AT, "Dana Reeve", "Cannot mark ...", None,
                      "deferred", date(2026, 11, 30))  # fmt: skip
    words = describe(workflow, _closed(RequestStatus.SUPERSEDED, closing))
    assert words.outcome == (
        "This request was closed without a change at 15:30 on 4 November 2026: when Dana Reeve "
        "approved it, the action was deferred, so the change could no longer be made."
    )
    assert words.result == "Nothing changed: the action stayed deferred."
    assert words.summary == "Closed without a change. Asked for: from in progress to complete"


def test_a_quorum_names_every_approver_and_the_deputy(workflow: Workflow) -> None:
    """Both approvers are named, the deputy with the member they stood in for."""
    made = Change("in_progress", "complete")
    closing = Closing(RequestStatus.APPROVED, CLOSED_AT, "Alex Smith", None, made, None, None)
    request = _closed(
        RequestStatus.APPROVED,
        closing,
        _decision(DANA, "Dana Reeve", Verdict.APPROVE),
        _decision(ALEX, "Alex Smith", Verdict.APPROVE, deputy_for="Sam Patel"),
    )
    words = describe(workflow, replace(request, quorum=2))
    assert words.outcome == (
        "This request was approved by Dana Reeve and Alex Smith as deputy for Sam Patel "
        "(Corporate Management Team) at 15:30 on 4 November 2026."
    )
    assert words.result == "The action went from in progress to complete."


def test_someone_other_than_the_owner_is_not_called_the_owner(workflow: Workflow) -> None:
    """A lead's request names the lead, without 'the action's owner'."""
    words = describe(workflow, replace(COMPLETION, requester_id=PIA, requester="Pia Lund"))
    assert (
        words.asked == "Pia Lund asked to mark the action complete (from in progress to complete)."
    )
    assert words.changes == ("The action goes from in progress to complete.",)


def test_a_first_target_date_is_not_called_a_change_from_none(workflow: Workflow) -> None:
    """An action with no target date is given one: the words say so plainly."""
    pending = replace(
        COMPLETION, transition="revise_target", target_date=None, new_target_date=date(2027, 1, 31)
    )
    words = describe(workflow, pending)
    assert words.changes == ("The action has no target date; it gets Sunday 31 January 2027.",)
    assert words.summary == "Target date from none to 31 January 2027"
    assert words.asked == (
        "Owen Marsh, the action's owner, asked to change the target date from no date to "
        "Sunday 31 January 2027."
    )


def test_a_closed_request_without_its_record_says_only_what_is_certain(
    workflow: Workflow,
) -> None:
    """Listed without its record, a decided request never borrows the action's state today."""
    listed = replace(
        COMPLETION, status=RequestStatus.REJECTED, closed_at=CLOSED_AT, state="complete"
    )
    words = describe(workflow, listed)
    assert words.summary == "Rejected"
    assert words.asked == "Owen Marsh asked to mark the action complete."
    assert words.outcome == "This request was rejected at 15:30 on 4 November 2026."
    assert "goes" not in " ".join(words.changes)
