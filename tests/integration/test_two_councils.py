"""Two councils on one installation: neither can change the other's actions, and nobody is told
of the other council's actions. Emails go through a real SMTP server and are read as they
arrived: who received them and what they say."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from two_councils import (
    LGA_LEAD,
    NORTH_IN_PROGRESS,
    NORTH_WAITING,
    NORTHSHIRE,
    SOUTH_IN_PROGRESS,
    SOUTHSHIRE,
    TwoCouncils,
    add_two_councils,
    name_of,
)

from improveflow import exceptions, resources
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import ApprovalRequest, AuditEvent, ProgressUpdate, Verdict
from improveflow.services import approvals, deputies, progress, sweep
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.stores import people as people_store
from improveflow.stores.tables import table_of
from improveflow.testing import DEFAULT_MOMENT, make_context
from improveflow.testing.smtp import CapturingSmtpServer, ReceivedEmail

SECRET = "a-two-council-signing-key-0123456789"
BASE = "https://plans.shared.example"
# A Tuesday when every action due on 30 June 2014 is more than 20 working days overdue.
LATE = datetime(2014, 8, 5, 10, 0, tzinfo=LONDON)
MISSING = 999_999


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


def _context(
    database_url: str, smtp: CapturingSmtpServer, workflows_dir: Path | None = None
) -> Context:
    return make_context(
        database_url,
        clock=FrozenClock(DEFAULT_MOMENT),
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@shared.example",
        secret_key=SECRET,
        base_url=BASE,
        workflows_dir=workflows_dir,
    )


@pytest.fixture
def councils(database_url: str, smtp: CapturingSmtpServer) -> Iterator[TwoCouncils]:
    context = _context(database_url, smtp)
    yield add_two_councils(context)
    context.close()


@pytest.fixture
def chaired(
    database_url: str, smtp: CapturingSmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoCouncils]:
    """The two councils under a workflow whose CMT is chaired by Northshire's Dana Reeve."""
    folder = tmp_path_factory.mktemp("workflows")
    text = (resources.bundled_dir("workflows") / "improvement_action.yaml").read_text("utf-8")
    chair = f"    title: Corporate Management Team\n    chair: {NORTHSHIRE.cmt[0]}\n"
    (folder / "improvement_action.yaml").write_text(
        text.replace("    title: Corporate Management Team\n", chair), encoding="utf-8"
    )
    context = _context(database_url, smtp, workflows_dir=folder)
    yield add_two_councils(context)
    context.close()


def _text(received: ReceivedEmail) -> str:
    body = received.message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _told_of(smtp: CapturingSmtpServer, words: str, *, about: str = "") -> set[str]:
    """Everyone who received an email whose text names `words` (and `about`, when given)."""
    return {
        recipient
        for received in smtp.received
        if words in _text(received) and about in _text(received)
        for recipient in received.recipients
    }


def _progress_updates(ctx: Context) -> int:
    with ctx.database.reading() as session:
        statement = sa.select(sa.func.count()).select_from(table_of(ProgressUpdate))
        return int(session.connection().execute(statement).scalar_one())


def _audit_head(ctx: Context) -> int:
    with ctx.database.reading() as session:
        statement = sa.select(sa.func.max(table_of(AuditEvent).c.seq))
        return int(session.connection().execute(statement).scalar_one())


def _nothing_of_the_other_council(smtp: CapturingSmtpServer) -> None:
    """No email to a person of one council names the other council (its plan, its actions)."""
    for ours, theirs in ((SOUTHSHIRE, NORTHSHIRE), (NORTHSHIRE, SOUTHSHIRE)):
        for person in ours.everyone:
            for received in smtp.to(person):
                assert theirs.name not in _text(received), (person, _text(received))


# Writes: another council's action or request is answered as a missing one -----------------------


def _refusal(attempt: Callable[[int], object], real: int) -> str:
    """What `attempt` is told for `real` (another council's), the missing id put in its place;
    checked to be exactly what it is told for an id that does not exist."""
    with pytest.raises(exceptions.NotFound) as other_councils:
        attempt(real)
    with pytest.raises(exceptions.NotFound) as missing:
        attempt(MISSING)
    told = other_councils.value.message.replace(str(real), str(MISSING))
    assert told == missing.value.message
    return other_councils.value.message


def test_another_councils_lead_cannot_record_progress(councils: TwoCouncils) -> None:
    """Southshire's lead recording progress on a Northshire action is told there is no such
    action, in the words used for a missing one, and nothing is stored; Northshire's lead and
    the LGA's lead (no organisation recorded) still record theirs."""
    ctx = councils.ctx
    before, head = _progress_updates(ctx), _audit_head(ctx)
    told = _refusal(
        lambda action_id: progress.record_progress(
            ctx, action_id, "Looked at it", None, by_email=SOUTHSHIRE.lead
        ),
        councils.north_in_progress,
    )
    assert told == f"No action with id {councils.north_in_progress}"
    assert (_progress_updates(ctx), _audit_head(ctx)) == (before, head)
    for email in (NORTHSHIRE.lead, LGA_LEAD):
        progress.record_progress(
            ctx, councils.north_in_progress, f"Checked by {name_of(email)}", None, by_email=email
        )
    assert _progress_updates(ctx) == before + 2


@dataclass(frozen=True)
class _Write:
    """Something a Southshire person might try on a Northshire action or request."""

    target: str  # the field of TwoCouncils naming the Northshire action or request
    attempt: Callable[[Context, int], object]
    missing: str  # what an id that does not exist is told, with {} for the id


_WRITES = {
    "change request": _Write(
        "north_in_progress",
        lambda ctx, action_id: approvals.request_change(
            ctx, action_id, "defer", by_email=SOUTHSHIRE.lead, reason="Not needed this year"
        ),
        "No action with id {}",
    ),
    "state change": _Write(
        "north_approved",
        lambda ctx, action_id: approvals.request_change(
            ctx, action_id, "start", by_email=SOUTHSHIRE.admin
        ),
        "No action with id {}",
    ),
    "approval": _Write(
        "north_request",
        lambda ctx, request_id: approvals.decide(
            ctx, request_id, Verdict.APPROVE, by_email=SOUTHSHIRE.cmt[0]
        ),
        "No approval request with id {}",
    ),
    "rejection": _Write(
        "north_request",
        lambda ctx, request_id: approvals.decide(
            ctx, request_id, Verdict.REJECT, by_email=SOUTHSHIRE.cmt[1], comment="Not for us"
        ),
        "No approval request with id {}",
    ),
    "withdrawal": _Write(
        "north_request",
        lambda ctx, request_id: approvals.withdraw(ctx, request_id, by_email=SOUTHSHIRE.lead),
        "No approval request with id {}",
    ),
    # A decided request would say who decided it and when: not to another council.
    "decision on a decided request": _Write(
        "north_decided_request",
        lambda ctx, request_id: approvals.decide(
            ctx, request_id, Verdict.APPROVE, by_email=SOUTHSHIRE.cmt[0]
        ),
        "No approval request with id {}",
    ),
}


@pytest.mark.parametrize("write", _WRITES.values(), ids=_WRITES.keys())
def test_another_councils_write_is_answered_as_for_a_missing_one(
    councils: TwoCouncils, write: _Write
) -> None:
    """Asking to defer or start, approving, rejecting or withdrawing another council's action
    or request is refused in exactly the words an id that does not exist gets, and nothing
    is recorded."""
    ctx = councils.ctx
    real = getattr(councils, write.target)
    head = _audit_head(ctx)
    with pytest.raises(exceptions.NotFound) as other_councils:
        write.attempt(ctx, real)
    with pytest.raises(exceptions.NotFound) as missing:
        write.attempt(ctx, MISSING)
    assert other_councils.value.message == write.missing.format(real)
    assert missing.value.message == write.missing.format(MISSING)
    assert _audit_head(ctx) == head


def _deputy_across_councils(ctx: Context, member_email: str, deputy_email: str) -> None:
    """A deputy from another council, as recorded before naming one was refused: the rules
    that decide and tell must still hold for such a record."""
    with pytest.raises(exceptions.InvalidValue):
        deputies.add_deputy(ctx, member_email, deputy_email, date(2014, 6, 1), date(2014, 6, 30))
    with ctx.database.writing() as session:
        member = people_store.actor_by_email(session, member_email)
        deputy = people_store.actor_by_email(session, deputy_email)
        people_store.add_period(
            session,
            member_id=member.id,
            deputy_id=deputy.id,
            starts_on=date(2014, 6, 1),
            ends_on=date(2014, 6, 30),
            now=ctx.clock.now(),
        )


def test_a_deputy_from_another_council_cannot_decide_for_a_member(councils: TwoCouncils) -> None:
    """Southshire's Ade, named as Northshire Dana's deputy, is refused Northshire's request as
    if it did not exist; the request waits for Northshire's CMT, whose Sam then approves it."""
    ctx = councils.ctx
    _deputy_across_councils(ctx, NORTHSHIRE.cmt[0], SOUTHSHIRE.admin)
    with pytest.raises(
        exceptions.NotFound, match=f"^No approval request with id {councils.north_request}$"
    ):
        approvals.decide(ctx, councils.north_request, Verdict.APPROVE, by_email=SOUTHSHIRE.admin)
    with ctx.database.reading() as session:
        status = (
            session.connection()
            .execute(
                sa.select(table_of(ApprovalRequest).c.status).where(
                    table_of(ApprovalRequest).c.id == councils.north_request
                )
            )
            .scalar_one()
        )
    assert status == "pending"
    # Northshire's own CMT still decides it.
    result = approvals.decide(
        ctx, councils.north_request, Verdict.APPROVE, by_email=NORTHSHIRE.cmt[1]
    )
    assert result.status == "approved"


# Notices: chosen within the plan's council -------------------------------------------------------


def test_approval_needed_email_goes_only_to_the_plans_councils_cmt(
    councils: TwoCouncils, smtp: CapturingSmtpServer
) -> None:
    """Northshire's request for approval reaches Northshire's CMT, with the action and its
    signed link, and no one at Southshire, although Southshire's CMT is also 'CMT'."""
    ctx = councils.ctx
    sweep.queue_due_notices(ctx)
    send_due(ctx)
    assert _told_of(smtp, NORTH_WAITING) == set(NORTHSHIRE.cmt)
    for member in NORTHSHIRE.cmt:
        (email,) = [m for m in smtp.to(member) if NORTH_WAITING in _text(m)]
        assert "Owen Marsh has asked to approve the action." in _text(email), _text(email)
        assert "As a member of the Corporate Management Team" in _text(email)
        assert f"{BASE}/approvals/{councils.north_request}?token=" in _text(email)
    _nothing_of_the_other_council(smtp)


def test_a_deputy_from_another_council_is_not_sent_the_members_approval_email(
    councils: TwoCouncils, smtp: CapturingSmtpServer
) -> None:
    """While Dana is away with Southshire's Ade named as her deputy, Dana's approval email for
    a Northshire request still goes to Dana, never to Ade."""
    ctx = councils.ctx
    _deputy_across_councils(ctx, NORTHSHIRE.cmt[0], SOUTHSHIRE.admin)
    sweep.queue_due_notices(ctx)
    send_due(ctx)
    assert _told_of(smtp, NORTH_WAITING) == set(NORTHSHIRE.cmt)
    assert smtp.to(SOUTHSHIRE.admin) == []


def test_escalations_go_only_to_the_plans_council(
    councils: TwoCouncils, smtp: CapturingSmtpServer
) -> None:
    """Five weeks late, each council's action is escalated to its own owner, CMT, Cabinet and
    lead, and to the LGA's lead who follows both: nobody hears of the other council's."""
    ctx = councils.ctx
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(LATE)
    report = sweep.sweep(ctx, now=LATE)
    assert report.escalations_raised > 0
    send_due(ctx, now=LATE)
    north = (NORTHSHIRE.everyone - {NORTHSHIRE.admin}) | {LGA_LEAD}
    south = (SOUTHSHIRE.everyone - {SOUTHSHIRE.admin}) | {LGA_LEAD}
    assert _told_of(smtp, NORTH_IN_PROGRESS) == north
    assert _told_of(smtp, SOUTH_IN_PROGRESS) == south
    _nothing_of_the_other_council(smtp)


def test_waiting_requests_chase_only_the_plans_councils_members_and_chair(
    chaired: TwoCouncils, smtp: CapturingSmtpServer
) -> None:
    """Requests waiting ten working days remind their own council's CMT; the chair, who is
    Northshire's, is told of Northshire's request and not of Southshire's."""
    ctx = chaired.ctx
    south = approvals.request_change(
        ctx, chaired.south_in_progress, "complete", by_email=SOUTHSHIRE.owner
    )
    assert south.request_id is not None
    sweep.queue_due_notices(ctx)
    send_due(ctx)
    smtp.clear()
    waited = datetime(2014, 6, 16, 10, 0, tzinfo=LONDON)  # ten working days on
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(waited)
    report = sweep.sweep(ctx, now=waited)
    chasers = {
        (d.kind, d.request_id)
        for d in report.decisions
        if d.kind in ("approval_reminder", "approval_chase")
    }
    assert chasers == {
        ("approval_reminder", chaired.north_request),
        ("approval_chase", chaired.north_request),
        ("approval_reminder", south.request_id),
    }
    send_due(ctx, now=waited)
    waiting = "This request has been waiting for a decision for 10 working days."
    assert _told_of(smtp, NORTH_WAITING, about=waiting) == set(NORTHSHIRE.cmt)
    assert _told_of(smtp, SOUTH_IN_PROGRESS, about=waiting) == set(SOUTHSHIRE.cmt)
    # The chair hears of Northshire's request twice (as a member, and as chair); never of
    # Southshire's.
    to_chair = [_text(m) for m in smtp.to(NORTHSHIRE.cmt[0]) if waiting in _text(m)]
    assert len(to_chair) == 2, to_chair
    assert all(NORTH_WAITING in text for text in to_chair)
