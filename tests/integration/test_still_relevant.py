"""Which queued emails still matter, judged from what they say and how things stand now:
emails made by the real sweep, things changed through the real services."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Outbox, OutboxStatus, Verdict
from improveflow.notify.relevance import Narrowed, Superseded
from improveflow.services import approvals, bundling, progress, sign_in, still_relevant, sweep
from improveflow.services.context import Context
from improveflow.stores.outbox import OutboxRow
from improveflow.stores.tables import table_of
from improveflow.testing import add_action, add_plan, add_sample_people

MONDAY = datetime(2014, 6, 2, 10, 0, tzinfo=LONDON)
OWEN, PRIYA, DANA = "owen@council.example", "priya@council.example", "dana@council.example"


def _rows(ctx: Context) -> dict[str, OutboxRow]:
    """The queued emails by recipient, as dispatch would hand them to the check."""
    with ctx.database.reading() as session:
        found = session.exec(select(Outbox).where(Outbox.status == OutboxStatus.QUEUED)).all()
        return {
            row.recipient_email: OutboxRow(
                id=row.id or 0,
                idempotency_key=row.idempotency_key,
                template=row.template,
                recipient_email=row.recipient_email,
                recipient_name=row.recipient_name,
                person_id=row.person_id,
                context=row.context,
                attempts=row.attempts,
                due_at=row.due_at,
                created_at=row.created_at,
            )
            for row in found
        }


def _start(ctx: Context, action_id: int, owner: str) -> None:
    opened = approvals.request_change(ctx, action_id, "approve", by_email=owner)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, action_id, "start", by_email=owner)


@pytest.fixture
def swept(ctx: Context) -> tuple[Context, int, int, int]:
    """Monday: Owen's digest (a reminder for one action, an escalation of another) and a
    progress prompt for Priya, queued by the sweep; the approvals' own emails long sent."""
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    clock.set(MONDAY - timedelta(days=32))
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    due = add_action(ctx, plan_id, "Extend the financial strategy", target=date(2014, 6, 9))
    late = add_action(ctx, plan_id, "Agree the audit plan", target=date(2014, 5, 29))
    quiet = add_action(ctx, plan_id, "Keep the risk register", owner=PRIYA, target=None)
    for action_id, owner in ((due, OWEN), (late, OWEN), (quiet, PRIYA)):
        _start(ctx, action_id, owner)
    progress.record_progress(ctx, late, "Draft agreed with the auditors", None, by_email=OWEN)
    with ctx.database.writing() as session:  # the approvals' emails went long ago
        bundling.bundle_due(session, ctx, clock.now())
        session.connection().execute(table_of(Outbox).update().values(status=OutboxStatus.SENT))
    clock.set(MONDAY)
    sweep.sweep(ctx, now=MONDAY)
    rows = _rows(ctx)
    assert rows[OWEN].template == "digest"
    assert rows[PRIYA].template == "progress_prompt"
    return ctx, due, late, quiet


def test_emails_about_things_unchanged_still_matter(swept: tuple[Context, int, int, int]) -> None:
    """Straight after the sweep, nothing it queued is set aside or narrowed."""
    ctx = swept[0]
    check = still_relevant.checker(ctx)
    assert check(list(_rows(ctx).values()), MONDAY) == {}


def test_news_from_the_owner_answers_a_progress_prompt(
    swept: tuple[Context, int, int, int],
) -> None:
    """Priya records progress: the prompt asking her for it no longer needs to go."""
    ctx, _, _, quiet = swept
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(MONDAY + timedelta(hours=1))
    progress.record_progress(ctx, quiet, "Register reviewed at DMT", None, by_email=PRIYA)
    rows = _rows(ctx)

    verdicts = still_relevant.checker(ctx)([rows[PRIYA]], MONDAY)

    assert verdicts == {
        rows[PRIYA].id: Superseded(f"the owner of action {quiet} has given news since")
    }


def test_a_digest_keeps_what_still_matters_and_is_superseded_when_nothing_does(
    swept: tuple[Context, int, int, int],
) -> None:
    """Completing the escalated action narrows Owen's digest to the reminder; once that
    reminder's target date has passed too, the digest is superseded with both reasons."""
    ctx, due, late, _ = swept
    done = approvals.request_change(ctx, late, "complete", by_email=OWEN)
    assert done.request_id is not None
    approvals.decide(ctx, done.request_id, Verdict.APPROVE, by_email=DANA)
    digest = _rows(ctx)[OWEN]
    check = still_relevant.checker(ctx)

    narrowed = check([digest], MONDAY)[digest.id]

    assert isinstance(narrowed, Narrowed)
    sections = narrowed.context["sections"]
    assert [section["kind"] for section in sections] == ["reminder"]
    assert [item["action_id"] for item in sections[0]["context"]["items"]] == [due]

    later = check([digest], datetime(2014, 6, 10, 9, 0, tzinfo=LONDON))[digest.id]

    assert later == Superseded(
        f"the level 1 escalation of action {late} was closed (action complete); "
        f"the target date of action {due}, Monday 9 June 2014, has passed"
    )


def test_a_new_target_date_supersedes_the_reminder_for_the_old_one(
    swept: tuple[Context, int, int, int],
) -> None:
    """Cabinet agrees a new date for the reminded action: the reminder for the old date is out."""
    ctx, due, late, _ = swept
    asked = approvals.request_change(
        ctx,
        due,
        "revise_target",
        by_email=OWEN,
        reason="Awaiting the settlement",
        new_target_date=date(2014, 9, 30),
    )
    assert asked.request_id is not None
    approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email="ruth@council.example")
    digest = _rows(ctx)[OWEN]

    verdict = still_relevant.checker(ctx)([digest], MONDAY)[digest.id]

    assert isinstance(verdict, Narrowed)
    kinds = [section["kind"] for section in verdict.context["sections"]]
    assert kinds == ["escalation"]
    assert [i["action_id"] for i in verdict.context["sections"][0]["context"]["items"]] == [late]


def test_a_sign_in_email_is_no_use_once_its_link_would_have_expired(ctx: Context) -> None:
    """Someone asked to sign in: the email matters for the hour its link lasts, not after."""
    settings = ctx.settings.model_copy(update={"secret_key": "a-test-secret-that-is-long-enough"})
    ctx = Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )
    add_sample_people(ctx)
    assert sign_in.send_sign_in_link(ctx, OWEN)
    (row,) = _rows(ctx).values()
    check = still_relevant.checker(ctx)
    asked = ctx.clock.now()

    assert check([row], asked + timedelta(minutes=59)) == {}
    assert check([row], asked + timedelta(minutes=61)) == {
        row.id: Superseded(
            "asked for more than 1 hour before it could be sent; they can ask for a new link"
        )
    }
