"""The public progress page's service and store on a real database (SQLite and PostgreSQL):
publishing a plan, marking progress public, and what the public page shows of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from improveflow import audit_events, exceptions
from improveflow.audit_events import PlanPublished, ProgressMarked
from improveflow.clock import FrozenClock
from improveflow.models import Rag, Verdict
from improveflow.services import approvals, people, plans, progress, publication
from improveflow.services.context import Context
from improveflow.stores import audit as audit_store
from improveflow.testing import add_action, add_plan, add_sample_people, make_context

OWEN = "owen@council.example"  # owner
DANA = "dana@council.example"  # CMT
RUTH = "ruth@council.example"  # Cabinet
ALEX = "alex@council.example"  # administrator
PIA = "pia@peers.example"  # peer-challenge lead
SLUG = "peer-challenge-improvement-plan"


def _agreed(ctx: Context, plan_id: int, description: str, lead: str | None) -> int:
    """An action with its lead as the plan wrote it, approved by CMT and started."""
    action_id = plans.add_action(
        ctx,
        plans.NewAction(
            plan_id=plan_id,
            theme="Financial Planning and Viability",
            objective="Revisit financial assumptions",
            description=description,
            owner_email=OWEN,
            lead_text=lead,
        ),
    )
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    return action_id


@pytest.fixture
def plan_id(ctx: Context) -> int:
    add_sample_people(ctx)
    return add_plan(ctx)


def _events(ctx: Context) -> list[object]:
    with ctx.database.reading() as session:
        return [audit_events.from_row(row).event for row in audit_store.events_in_order(session)]


def test_a_published_plan_shows_agreed_actions_and_only_public_progress(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Agreed actions appear with their lead as written ('Not stated' is the page's); drafted
    ones do not; only the newest update an approver marked public is shown, never a later one."""
    agreed = _agreed(ctx, plan_id, "Extend the medium term financial strategy", "Head of Finance")
    unled = _agreed(ctx, plan_id, "Review reserves", None)
    add_action(ctx, plan_id, "A draft nobody has agreed")
    first = progress.record_progress(
        ctx, agreed, "Five-year model drafted", Rag.AMBER, by_email=OWEN
    )
    clock.advance(timedelta(days=1))
    progress.record_progress(ctx, agreed, "Private: the budget gap is worse", None, by_email=OWEN)

    done = publication.publish_plan(ctx, plan_id, by_email=DANA)
    assert (done.slug, done.path, done.changed) == (SLUG, f"/public/plans/{SLUG}", True)
    page = publication.public_plan(ctx, SLUG)
    assert [(row.action_id, row.lead, row.state, row.rag) for row in page.rows] == [
        (agreed, "Head of Finance", "in_progress", "amber"),
        (unled, None, "in_progress", None),
    ]
    assert all(row.progress is None for row in page.rows)

    clock.advance(timedelta(days=1))
    marked = publication.mark_progress(ctx, first, public=True, by_email=DANA)
    assert (marked.action_id, marked.changed) == (agreed, True)
    page = publication.public_plan(ctx, SLUG)
    assert page.rows[0].progress == "Five-year model drafted"
    assert page.last_updated == clock.now()
    data = publication.open_data_rows(page)
    assert data[0]["progress"] == "Five-year model drafted"
    assert data[0]["state"] == "In progress"
    assert data[0]["lead"] == "Head of Finance"
    assert "Private" not in repr(data)
    assert not {"owner", "owner_email", "author"} & set(data[0])

    publication.mark_progress(ctx, first, public=False, by_email=RUTH)
    assert publication.public_plan(ctx, SLUG).rows[0].progress is None
    kinds = [e for e in _events(ctx) if isinstance(e, (PlanPublished, ProgressMarked))]
    assert [type(e).__name__ for e in kinds] == [
        "PlanPublished",
        "ProgressMarked",
        "ProgressMarked",
    ]
    assert [getattr(e, "public", None) for e in kinds[1:]] == [True, False]


def test_only_an_approver_of_the_plan_marks_progress_public(ctx: Context, plan_id: int) -> None:
    """The owner and a peer-challenge lead are refused in a sentence naming who may; nothing
    is marked or recorded."""
    action_id = _agreed(ctx, plan_id, "Extend the strategy", "Head of Finance")
    update = progress.record_progress(ctx, action_id, "Drafted", None, by_email=OWEN)
    before = len(_events(ctx))
    for email, name in ((OWEN, "Owen Marsh"), (PIA, "Pia Lund")):
        with pytest.raises(exceptions.NotAMember) as refused:
            publication.mark_progress(ctx, update, public=True, by_email=email)
        assert str(refused.value) == (
            f"{name} cannot mark progress public: only members of CMT or Cabinet, the bodies "
            "that decide this plan's changes, may"
        )
    assert len(_events(ctx)) == before
    with pytest.raises(exceptions.NotFound, match="No progress update with id 999"):
        publication.mark_progress(ctx, 999, public=True, by_email=DANA)


def test_the_plans_own_overrides_say_who_decides(ctx: Context) -> None:
    """A plan whose every decision goes to Cabinet is marked by Cabinet, not by CMT."""
    add_sample_people(ctx)
    decisions = ("approve", "complete", "defer", "resume", "reopen", "revise_target")
    overrides = dict.fromkeys(decisions, "Cabinet")
    plan_id = add_plan(ctx, "Cabinet's plan", overrides=overrides)
    action_id = add_action(ctx, plan_id)
    update = progress.record_progress(ctx, action_id, "Begun", None, by_email=OWEN)
    with pytest.raises(
        exceptions.NotAMember,
        match="only members of Cabinet, the body that decides this plan's changes, may",
    ):
        publication.mark_progress(ctx, update, public=True, by_email=DANA)
    assert publication.mark_progress(ctx, update, public=True, by_email=RUTH).changed


def test_another_councils_approver_is_answered_as_if_nothing_were_there(ctx: Context) -> None:
    """A CMT member of another council cannot mark or publish: the plan is 'not found'."""
    add_sample_people(ctx)
    people.import_people(
        ctx, [people.PersonInput("Wyn Other", "wyn@other.example", (), ("CMT",), (), "", "Wirral")]
    )
    plan_id = plans.create_plan(
        ctx, "Sefton's plan", plans.plan_kind("action-plan"), organisation="Sefton"
    ).id
    action_id = add_action(ctx, plan_id)
    update = progress.record_progress(ctx, action_id, "Begun", None, by_email=OWEN)
    with pytest.raises(exceptions.NotFound, match=f"No progress update with id {update}"):
        publication.mark_progress(ctx, update, public=True, by_email="wyn@other.example")
    with pytest.raises(exceptions.NotFound, match=f"No plan with id {plan_id}"):
        publication.publish_plan(ctx, plan_id, by_email="wyn@other.example")


def test_unpublishing_closes_the_page_and_publishing_again_keeps_its_address(
    ctx: Context, plan_id: int
) -> None:
    """After unpublish the slug is not found; published again, it is the same address."""
    _agreed(ctx, plan_id, "Extend the strategy", "Head of Finance")
    publication.publish_plan(ctx, plan_id, by_email=ALEX)  # an administrator may publish
    again = publication.publish_plan(ctx, plan_id, by_email=DANA)
    assert not again.changed
    publication.unpublish_plan(ctx, plan_id, by_email=DANA)
    with pytest.raises(exceptions.NotFound, match="No published plan at this address"):
        publication.public_plan(ctx, SLUG)
    with pytest.raises(exceptions.InvalidValue, match=f"Plan {plan_id} is not published"):
        publication.unpublish_plan(ctx, plan_id, by_email=DANA)
    assert publication.publish_plan(ctx, plan_id, by_email=DANA).slug == SLUG
    assert publication.public_plan(ctx, SLUG).title == "Peer Challenge Improvement Plan"


def test_publishing_is_for_approvers_and_administrators(ctx: Context, plan_id: int) -> None:
    """The owner is refused with who may; nothing is published."""
    with pytest.raises(exceptions.NotAMember) as refused:
        publication.publish_plan(ctx, plan_id, by_email=OWEN)
    assert str(refused.value) == (
        "Owen Marsh cannot publish this plan: only an administrator or members of CMT or "
        "Cabinet, the bodies that decide this plan's changes, may"
    )
    with pytest.raises(exceptions.NotFound):
        publication.public_plan(ctx, SLUG)


def test_addresses_are_unique_and_readable(ctx: Context, plan_id: int) -> None:
    """Two plans of one title get two addresses; a typed address must be a readable slug."""
    other = add_plan(ctx)  # the same title
    assert publication.publish_plan(ctx, plan_id, by_email=DANA).slug == SLUG
    assert publication.publish_plan(ctx, other, by_email=DANA).slug == f"{SLUG}-{other}"
    with pytest.raises(exceptions.InvalidValue, match="Another plan is published at"):
        publication.publish_plan(ctx, other, by_email=DANA, slug=SLUG)
    with pytest.raises(exceptions.InvalidValue, match="cannot be a page address"):
        publication.publish_plan(ctx, other, by_email=DANA, slug="../admin")
    assert publication.slug_for("Plan: Ysgol Gymraeg — 2014/15") == "plan-ysgol-gymraeg-2014-15"
    with pytest.raises(exceptions.NotFound):
        publication.public_plan(ctx, "NOT A SLUG")


@pytest.mark.postgres
def test_two_people_publishing_at_once_make_one_page(
    database_url_on: Callable[[str], str], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two approvers pressing publish at the same moment, on PostgreSQL: both are told the
    plan is published at one address, one publication is stored and audited, and neither
    meets the database's refusal of a second row. Both pass their checks before either
    writes, as they would in two web requests."""
    url = database_url_on("postgresql")
    first, second = make_context(url, clock=clock), make_context(url, clock=clock, migrate=False)
    try:
        add_sample_people(first)
        plan_id = add_plan(first)
        both_checked = threading.Barrier(2, timeout=30)
        checked = publication._may_publish

        def check_then_meet(*args: Any, **kwargs: Any) -> None:
            checked(*args, **kwargs)
            both_checked.wait()

        monkeypatch.setattr(publication, "_may_publish", check_then_meet)
        told: list[publication.Publication] = []
        failed: list[BaseException] = []

        def publish(ctx: Context, email: str) -> None:
            try:
                told.append(publication.publish_plan(ctx, plan_id, by_email=email))
            except BaseException as error:  # reported below, in the test's thread
                failed.append(error)

        pressing = [
            threading.Thread(target=publish, args=(ctx, email))
            for ctx, email in ((first, DANA), (second, RUTH))
        ]
        for thread in pressing:
            thread.start()
        for thread in pressing:
            thread.join(timeout=60)
        assert failed == []
        assert sorted(p.changed for p in told) == [False, True]
        assert {p.slug for p in told} == {SLUG}
        published = [e for e in _events(first) if isinstance(e, PlanPublished)]
        assert len(published) == 1
    finally:
        first.close()
        second.close()
