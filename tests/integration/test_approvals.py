"""The approval workflow against a real database (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from improveflow import audit, audit_events, exceptions
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, RequestStatus, Verdict
from improveflow.services import approval_queue, approvals, progress, views
from improveflow.services.approvals import ChangeStatus
from improveflow.services.context import Context
from improveflow.services.request_record import Change, RequestRecord
from improveflow.stores import actions, people, requests
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.workflow.details import Detail, DetailInvalid, DetailMissing, DetailRefusal
from improveflow.workflow.loader import load_workflow

OWEN = "owen@council.example"
PRIYA = "priya@council.example"
DANA = "dana@council.example"  # CMT
SAM = "sam@council.example"  # CMT
RUTH = "ruth@council.example"  # Cabinet
ALEX = "alex@council.example"  # admin
PIA = "pia@peers.example"  # peer-challenge lead


@pytest.fixture
def plan_id(ctx: Context) -> int:
    add_sample_people(ctx)
    return add_plan(ctx, kind=PlanKind.SERVICE_PLAN)


def _state(ctx: Context, action_id: int) -> str:
    with ctx.database.reading() as session:
        return actions.action_by_id(session, action_id).state


def _approved_in_progress(ctx: Context, plan_id: int) -> int:
    action_id = add_action(ctx, plan_id)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    return action_id


def test_request_needing_approval_waits_for_the_body(ctx: Context, plan_id: int) -> None:
    """Asking to approve an action opens a pending CMT request and leaves the state alone."""
    action_id = add_action(ctx, plan_id)
    result = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert result.status is ChangeStatus.PENDING
    assert result.body == "CMT"
    assert _state(ctx, action_id) == "drafted"
    queue = views.approval_rows(ctx, body="CMT")
    assert [(r["action_id"], r["transition"], r["requested_by"]) for r in queue] == [
        (action_id, "approve", "Owen Marsh")
    ]


def test_member_approval_applies_the_transition(ctx: Context, plan_id: int) -> None:
    """A CMT member's approval moves the action on, bumps its version and closes the request."""
    action_id = add_action(ctx, plan_id)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    decided = approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    assert decided.status is ChangeStatus.APPROVED
    assert _state(ctx, action_id) == "approved"
    detail = views.action_detail(ctx, action_id)
    assert detail["version"] == 2
    assert views.approval_rows(ctx) == []
    events = [(h["event"], h["by"]) for h in detail["history"]]
    assert events == [
        ("action_created", None),
        ("requested", "Owen Marsh"),
        ("decision", "Dana Reeve"),
        ("transition", "Dana Reeve"),
        ("approved", "Dana Reeve"),
    ]


def test_transition_without_approval_applies_at_once(ctx: Context, plan_id: int) -> None:
    """'start' needs no approval: the owner's request changes the state immediately."""
    action_id = _approved_in_progress(ctx, plan_id)
    assert _state(ctx, action_id) == "in_progress"


def test_outsider_of_the_body_is_refused(ctx: Context, plan_id: int) -> None:
    """Only members of the required body may decide, and the message names person and body."""
    action_id = _approved_in_progress(ctx, plan_id)
    progress.record_progress(ctx, action_id, "Draft strategy written", Rag.GREEN, by_email=OWEN)
    request_id = approvals.request_change(ctx, action_id, "complete", by_email=OWEN).request_id
    assert request_id is not None
    with pytest.raises(exceptions.NotAMember) as refused:
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=PRIYA)
    assert str(refused.value) == "Priya Shah is not a member of CMT, which must approve 'complete'"
    assert _state(ctx, action_id) == "in_progress"


def test_nobody_decides_their_own_request(ctx: Context, plan_id: int) -> None:
    """A CMT member who asked for a change cannot approve it, even as a member."""
    action_id = add_action(ctx, plan_id, owner=DANA)
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=DANA).request_id
    assert request_id is not None
    with pytest.raises(exceptions.OwnRequest, match="Dana Reeve asked for this change"):
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=DANA)
    assert (
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=SAM).status
        is ChangeStatus.APPROVED
    )


def test_only_allowed_requesters_may_ask(ctx: Context, plan_id: int) -> None:
    """Someone who is neither owner, lead nor admin cannot ask for a change to an action."""
    action_id = add_action(ctx, plan_id, owner=OWEN)
    with pytest.raises(exceptions.NotAllowedToRequest, match="Priya Shah cannot ask to approve"):
        approvals.request_change(ctx, action_id, "approve", by_email=PRIYA)
    admin = approvals.request_change(ctx, action_id, "approve", by_email=ALEX)
    assert admin.status is ChangeStatus.PENDING


def test_illegal_transition_is_refused_with_what_the_person_may_ask(
    ctx: Context, plan_id: int
) -> None:
    """A change not possible from the action's state is refused in the workflow's words,
    offering the changes this person may ask for now, and only those."""
    action_id = add_action(ctx, plan_id)
    with pytest.raises(exceptions.IllegalTransition) as drafted:
        approvals.request_change(ctx, action_id, "complete", by_email=OWEN)
    assert drafted.value.message == (
        "Cannot mark the action complete while the action is drafted. "
        "Owen Marsh may ask to approve the action or defer the action"
    )
    with pytest.raises(exceptions.IllegalTransition, match="not a transition"):
        approvals.request_change(ctx, action_id, "to_complete", by_email=OWEN)
    approved = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert approved is not None
    approvals.decide(ctx, approved, Verdict.APPROVE, by_email=DANA)
    with pytest.raises(exceptions.IllegalTransition) as owner:
        approvals.request_change(ctx, action_id, "complete", by_email=OWEN)
    assert owner.value.message == (
        "Cannot mark the action complete while the action is approved. "
        "Owen Marsh may ask to start work, defer the action or change the target date"
    )
    # Only the owner and an administrator may start work: a lead is not offered it.
    with pytest.raises(exceptions.IllegalTransition) as lead:
        approvals.request_change(ctx, action_id, "complete", by_email=PIA)
    assert lead.value.message == (
        "Cannot mark the action complete while the action is approved. "
        "Pia Lund may ask to defer the action or change the target date"
    )


def _workflow_with(
    ctx: Context, tmp_path_factory: pytest.TempPathFactory, old: str, new: str
) -> Context:
    """A context on the same database whose improvement_action workflow has `old` as `new`."""
    folder = tmp_path_factory.mktemp("workflows")
    source = ctx.settings.workflows_dir / "improvement_action.yaml"
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1
    (folder / "improvement_action.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return make_context(ctx.database.url, workflows_dir=folder, migrate=False)


def test_a_person_with_nothing_to_ask_for_is_told_so(
    ctx: Context, plan_id: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """When no change from the action's state is theirs to ask for, the refusal says that."""
    action_id = _approved_in_progress(ctx, plan_id)
    progress.record_progress(ctx, action_id, "All delivered", Rag.GREEN, by_email=OWEN)
    completion = approvals.request_change(ctx, action_id, "complete", by_email=OWEN).request_id
    assert completion is not None
    approvals.decide(ctx, completion, Verdict.APPROVE, by_email=DANA)
    admin_reopens = _workflow_with(
        ctx,
        tmp_path_factory,
        "    requires_reason: true\n    requested_by: [owner, lead, admin]\n  revise_target:",
        "    requires_reason: true\n    requested_by: [admin]\n  revise_target:",
    )
    try:
        with pytest.raises(exceptions.IllegalTransition) as caught:
            approvals.request_change(
                admin_reopens, action_id, "defer", by_email=OWEN, reason="Budget"
            )
    finally:
        admin_reopens.close()
    assert caught.value.message == (
        "Cannot defer the action while the action is complete, "
        "and there is no change Owen Marsh may ask for now"
    )


def test_an_approval_after_the_action_moved_on_says_where_it_is(
    ctx: Context, plan_id: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Approved once the action has left the states the change starts from: superseded, and
    the decider is told where the action is, without a list of changes they did not ask for."""
    early_only = _workflow_with(
        ctx,
        tmp_path_factory,
        "    source: [drafted, approved, in_progress]\n    dest: deferred",
        "    source: [drafted, approved]\n    dest: deferred",
    )
    try:
        action_id = add_action(early_only, plan_id)
        opened = approvals.request_change(early_only, action_id, "approve", by_email=OWEN)
        assert opened.request_id is not None
        approvals.decide(early_only, opened.request_id, Verdict.APPROVE, by_email=DANA)
        deferral = approvals.request_change(
            early_only, action_id, "defer", by_email=OWEN, reason="No budget"
        ).request_id
        assert deferral is not None
        # Starting work needs no approval, so it goes ahead while the deferral waits.
        approvals.request_change(early_only, action_id, "start", by_email=OWEN)
        with pytest.raises(exceptions.IllegalTransition) as caught:
            approvals.decide(early_only, deferral, Verdict.APPROVE, by_email=RUTH)
    finally:
        early_only.close()
    assert caught.value.message == (
        f"Request {deferral} can no longer be applied: "
        "Cannot defer the action while the action is in progress"
    )
    closed = approval_queue.request_view(ctx, deferral, None)
    assert closed.status is RequestStatus.SUPERSEDED
    assert closed.record is not None
    assert closed.record.closing is not None
    assert closed.record.closing.comment == (
        "Cannot defer the action while the action is in progress"
    )
    assert _state(ctx, action_id) == "in_progress"


def test_complete_needs_a_progress_update(ctx: Context, plan_id: int) -> None:
    """Completion cannot even be asked for before any progress has been recorded."""
    action_id = _approved_in_progress(ctx, plan_id)
    with pytest.raises(exceptions.ConditionNotMet, match="no progress update"):
        approvals.request_change(ctx, action_id, "complete", by_email=OWEN)


def test_one_pending_request_per_action(ctx: Context, plan_id: int) -> None:
    """While a request waits, a second one for the same action is refused, naming the first.

    The database's one-pending-request index is what refuses it; nothing of the refused
    request is stored.
    """
    action_id = add_action(ctx, plan_id)
    first = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    with pytest.raises(exceptions.RequestAlreadyPending) as caught:
        approvals.request_change(ctx, action_id, "defer", by_email=PIA, reason="No budget")
    assert caught.value.message == (
        f"Action {action_id} already has a request waiting for CMT: 'approve' asked by "
        f"Owen Marsh (request {first})"
    )
    assert [row["id"] for row in views.approval_rows(ctx, status=None)] == [first]


def test_defer_goes_to_cabinet(ctx: Context, plan_id: int) -> None:
    """Deferral needs a reason and a Cabinet member: CMT cannot approve it."""
    action_id = add_action(ctx, plan_id)
    with pytest.raises(exceptions.ConditionNotMet, match="reason"):
        approvals.request_change(ctx, action_id, "defer", by_email=OWEN)
    request_id = approvals.request_change(
        ctx, action_id, "defer", by_email=OWEN, reason="Funding withdrawn"
    ).request_id
    assert request_id is not None
    with pytest.raises(exceptions.NotAMember, match="Dana Reeve is not a member of Cabinet"):
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=DANA)
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=RUTH)
    assert _state(ctx, action_id) == "deferred"


def test_revise_target_changes_the_date_once_approved(ctx: Context, plan_id: int) -> None:
    """A new target date is stored only when the request is approved, and the state stays."""
    action_id = _approved_in_progress(ctx, plan_id)
    new_date = date(2015, 6, 30)
    request_id = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Data late", new_target_date=new_date
    ).request_id
    assert request_id is not None
    assert views.action_detail(ctx, action_id)["target_date"] == "2015-02-28"
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=SAM)
    detail = views.action_detail(ctx, action_id)
    assert (detail["state"], detail["target_date"]) == ("in_progress", "2015-06-30")


def test_rejection_needs_a_comment_and_closes_the_request(ctx: Context, plan_id: int) -> None:
    """A rejection must say why; it leaves the state alone and lets a new request be made."""
    action_id = add_action(ctx, plan_id)
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    with pytest.raises(exceptions.InvalidValue, match="comment"):
        approvals.decide(ctx, request_id, Verdict.REJECT, by_email=DANA)
    rejected = approvals.decide(ctx, request_id, Verdict.REJECT, by_email=DANA, comment="Too vague")
    assert rejected.status is ChangeStatus.REJECTED
    assert _state(ctx, action_id) == "drafted"
    assert (
        approvals.request_change(ctx, action_id, "approve", by_email=OWEN).status
        is ChangeStatus.PENDING
    )


def test_decided_request_cannot_be_decided_again(ctx: Context, plan_id: int) -> None:
    """A second member arriving after the decision is told who decided, and nothing changes."""
    action_id = add_action(ctx, plan_id)
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=DANA)
    with pytest.raises(exceptions.AlreadyDecided, match="already approved by Dana Reeve"):
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=SAM)
    assert views.action_detail(ctx, action_id)["version"] == 2


def test_quorum_of_two(
    ctx: Context, plan_id: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With a quorum of two, the first approval records a vote and the second applies it."""
    folder = tmp_path_factory.mktemp("workflows")
    source = ctx.settings.workflows_dir / "improvement_action.yaml"
    text = source.read_text(encoding="utf-8").replace(
        "    approval: {body: CMT}\n    requested_by: [owner, lead, admin]\n  start:",
        "    approval: {body: CMT, quorum: 2}\n    requested_by: [owner, lead, admin]\n  start:",
    )
    (folder / "improvement_action.yaml").write_text(text, encoding="utf-8")
    rule = load_workflow(folder / "improvement_action.yaml").transitions["approve"].approval
    assert rule is not None
    assert rule.quorum == 2
    strict = make_context(ctx.database.url, workflows_dir=folder, migrate=False)
    try:
        action_id = add_action(strict, plan_id)
        request_id = approvals.request_change(
            strict, action_id, "approve", by_email=OWEN
        ).request_id
        assert request_id is not None
        first = approvals.decide(strict, request_id, Verdict.APPROVE, by_email=DANA)
        assert (first.status, first.approvals, first.quorum) == (ChangeStatus.PENDING, 1, 2)
        with pytest.raises(exceptions.AlreadyVoted):
            approvals.decide(strict, request_id, Verdict.APPROVE, by_email=DANA)
        assert _state(strict, action_id) == "drafted"
        second = approvals.decide(strict, request_id, Verdict.APPROVE, by_email=SAM)
        assert second.status is ChangeStatus.APPROVED
        assert _state(strict, action_id) == "approved"
    finally:
        strict.close()


def test_peer_challenge_plans_send_target_changes_to_cabinet(ctx: Context) -> None:
    """The workflow's plan_kinds section sends a peer-challenge plan's revise_target to Cabinet."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx, kind=PlanKind.PEER_CHALLENGE)
    action_id = _approved_in_progress(ctx, plan_id)
    opened = approvals.request_change(
        ctx,
        action_id,
        "revise_target",
        by_email=OWEN,
        reason="Late",
        new_target_date=date(2016, 1, 31),
    )
    assert opened.body == "Cabinet"


def test_a_plan_may_override_the_body(ctx: Context) -> None:
    """A single plan can send a decision to another body than the workflow names."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx, kind=PlanKind.SERVICE_PLAN, overrides={"approve": "Cabinet"})
    action_id = add_action(ctx, plan_id)
    assert approvals.request_change(ctx, action_id, "approve", by_email=OWEN).body == "Cabinet"


def test_withdrawn_request_frees_the_action(ctx: Context, plan_id: int) -> None:
    """The requester may withdraw a pending request; nobody else may."""
    action_id = add_action(ctx, plan_id)
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    with pytest.raises(exceptions.NotAllowedToRequest):
        approvals.withdraw(ctx, request_id, by_email=DANA)
    assert approvals.withdraw(ctx, request_id, by_email=OWEN).status is ChangeStatus.WITHDRAWN
    with pytest.raises(exceptions.AlreadyDecided, match="withdrawn"):
        approvals.decide(ctx, request_id, Verdict.APPROVE, by_email=DANA)


def test_history_records_times_from_the_injected_clock(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Every history entry carries the moment of the injected clock, not the machine's."""
    action_id = add_action(ctx, plan_id)
    clock.advance(timedelta(days=3))
    approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    history = views.action_detail(ctx, action_id)["history"]
    assert history[0]["at"] == "2014-06-02T09:00:00+00:00"
    assert history[1]["at"] == "2014-06-05T09:00:00+00:00"


def _request_record(ctx: Context, request_id: int) -> RequestRecord:
    record = approval_queue.request_view(ctx, request_id, None).record
    assert record is not None
    return record


def test_a_request_keeps_the_date_it_would_replace(ctx: Context, plan_id: int) -> None:
    """A closed date change remembers the date of its day, whatever the action's date is now."""
    action_id = _approved_in_progress(ctx, plan_id)
    rejected = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Late",
        new_target_date=date(2015, 4, 30),
    ).request_id  # fmt: skip
    assert rejected is not None
    approvals.decide(ctx, rejected, Verdict.REJECT, by_email=SAM, comment="Not yet")
    approved = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Later",
        new_target_date=date(2015, 6, 30),
    ).request_id  # fmt: skip
    assert approved is not None
    approvals.decide(ctx, approved, Verdict.APPROVE, by_email=SAM)

    first = _request_record(ctx, rejected)
    assert first.asked == Change("in_progress", "in_progress", date(2015, 2, 28), date(2015, 4, 30))
    assert first.closing is not None
    assert (first.closing.status, first.closing.by, first.closing.comment) == (
        "rejected", "Sam Patel", "Not yet",
    )  # fmt: skip
    assert (first.closing.stayed_state, first.closing.stayed_target) == (
        "in_progress", date(2015, 2, 28),
    )  # fmt: skip
    assert first.closing.made is None
    second = _request_record(ctx, approved)
    assert second.closing is not None
    assert second.closing.made == Change(
        "in_progress", "in_progress", date(2015, 2, 28), date(2015, 6, 30)
    )


def test_requests_made_before_the_date_was_kept_still_show_it(ctx: Context, plan_id: int) -> None:
    """A request whose event lacks the replaced date takes it from the next date change."""
    action_id = _approved_in_progress(ctx, plan_id)
    now = ctx.clock.now()
    # As earlier versions stored a request: the new date, not the one it would replace.
    with ctx.database.writing() as session:
        owen = people.actor_by_email(session, OWEN)
        old_request = requests.insert_request(
            session, action_id=action_id, transition="revise_target", requester_id=owen.id,
            body="CMT", quorum=1, reason="Late", new_target_date=date(2015, 4, 30), at=now,
        )  # fmt: skip
        asked = audit_events.ChangeRequested(
            action_id=action_id, request_id=old_request, actor_id=owen.id,
            from_state="in_progress", to_state="in_progress", reason="Late",
            transition="revise_target", body="CMT", quorum=1, new_target_date=date(2015, 4, 30),
        )  # fmt: skip
        assert "target_date" not in asked.payload()
        audit.record(session, asked, at=now)
    approvals.withdraw(ctx, old_request, by_email=OWEN)
    assert _request_record(ctx, old_request).asked.target_from == date(2015, 2, 28)
    later = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Later",
        new_target_date=date(2015, 6, 30),
    ).request_id  # fmt: skip
    assert later is not None
    approvals.decide(ctx, later, Verdict.APPROVE, by_email=SAM)
    assert _request_record(ctx, old_request).asked.target_from == date(2015, 2, 28)


# Who may ask, and refusals that name what they are about ---------------------------------------


def test_who_may_ask_is_judged_before_where_the_action_is(ctx: Context, plan_id: int) -> None:
    """A lead asking to start a drafted action is told who may start work, not its state."""
    action_id = add_action(ctx, plan_id)
    with pytest.raises(exceptions.NotAllowedToRequest) as caught:
        approvals.request_change(ctx, action_id, "start", by_email=PIA)
    assert caught.value.message == (
        f"Pia Lund cannot ask to start work on action {action_id}: only the action's owner or "
        "an administrator may ask"
    )
    with pytest.raises(exceptions.IllegalTransition, match="while the action is drafted"):
        approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    deferral = approvals.request_change(ctx, action_id, "defer", by_email=PIA, reason="Later")
    assert deferral.status is ChangeStatus.PENDING


def test_refusals_name_the_detail_they_are_about(ctx: Context, plan_id: int) -> None:
    """A blank or overlong reason and a rejection without a comment each say which detail is wrong.

    They stay the kinds of refusal they always were, so callers catching those still do.
    """
    action_id = add_action(ctx, plan_id)
    with pytest.raises(exceptions.ConditionNotMet) as blank:
        approvals.request_change(ctx, action_id, "defer", by_email=OWEN, reason="  ")
    assert isinstance(blank.value, DetailMissing)
    assert (blank.value.detail, blank.value.message) == (
        Detail.REASON,
        "A reason is needed to defer the action",
    )
    with pytest.raises(exceptions.InvalidValue) as overlong:
        approvals.request_change(ctx, action_id, "defer", by_email=OWEN, reason="x" * 5_001)
    assert isinstance(overlong.value, DetailInvalid)
    assert (overlong.value.detail, overlong.value.message) == (
        Detail.REASON,
        "A reason must be 5,000 characters or fewer; this one has 5,001",
    )
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    with pytest.raises(exceptions.InvalidValue) as bare:
        approvals.decide(ctx, request_id, Verdict.REJECT, by_email=DANA, comment=" ")
    assert isinstance(bare.value, DetailInvalid)
    assert (bare.value.detail, bare.value.message) == (
        Detail.COMMENT,
        "A rejection needs a comment saying why",
    )


def test_outcomes_and_statuses_are_enums(ctx: Context, plan_id: int) -> None:
    """Each outcome is a ChangeStatus and each stored status reads back as a RequestStatus."""
    action_id = add_action(ctx, plan_id)
    asked = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert asked.status is ChangeStatus.PENDING
    assert asked.request_id is not None
    pending = approval_queue.request_view(ctx, asked.request_id, None)
    assert pending.status is RequestStatus.PENDING
    assert pending.record is not None
    assert pending.record.closing is None
    decided = approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email=DANA)
    assert decided.status is ChangeStatus.APPROVED
    approved = approval_queue.request_view(ctx, asked.request_id, None)
    assert approved.status is RequestStatus.APPROVED
    assert approved.record is not None
    assert approved.record.closing is not None
    assert approved.record.closing.status is RequestStatus.APPROVED
    started = approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    assert started.status is ChangeStatus.APPLIED
    deferral = approvals.request_change(ctx, action_id, "defer", by_email=OWEN, reason="Budget")
    assert deferral.request_id is not None
    withdrawn = approvals.withdraw(ctx, deferral.request_id, by_email=OWEN)
    assert withdrawn.status is ChangeStatus.WITHDRAWN
    closed = approval_queue.request_view(ctx, deferral.request_id, None)
    assert closed.record is not None
    assert closed.record.closing is not None
    assert closed.record.closing.status is RequestStatus.WITHDRAWN


def test_a_request_missing_what_the_workflow_now_wants_is_superseded(
    ctx: Context, plan_id: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Asked without a reason, decided once the workflow wants one: closed as superseded.

    The decider is told why; the refusal names no detail, as nothing the decider gave is wrong.
    """
    folder = tmp_path_factory.mktemp("workflows")
    source = ctx.settings.workflows_dir / "improvement_action.yaml"
    text = source.read_text(encoding="utf-8").replace(
        "    approval: {body: CMT}\n    requested_by: [owner, lead, admin]\n  start:",
        "    approval: {body: CMT}\n    requires_reason: true\n"
        "    requested_by: [owner, lead, admin]\n  start:",
    )
    (folder / "improvement_action.yaml").write_text(text, encoding="utf-8")
    assert load_workflow(folder / "improvement_action.yaml").transitions["approve"].requires_reason
    action_id = add_action(ctx, plan_id)
    request_id = approvals.request_change(ctx, action_id, "approve", by_email=OWEN).request_id
    assert request_id is not None
    strict = make_context(ctx.database.url, workflows_dir=folder, migrate=False)
    try:
        with pytest.raises(exceptions.ConditionNotMet) as caught:
            approvals.decide(strict, request_id, Verdict.APPROVE, by_email=DANA)
    finally:
        strict.close()
    assert not isinstance(caught.value, DetailRefusal)
    assert caught.value.message == (
        f"Request {request_id} can no longer be applied: A reason is needed to approve the action"
    )
    assert approval_queue.request_view(ctx, request_id, None).status is RequestStatus.SUPERSEDED
    assert _state(ctx, action_id) == "drafted"
