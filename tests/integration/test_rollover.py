"""A governance statement plan rolled over to next year, on SQLite and PostgreSQL: what is
carried forward and what stays, the links and history between the years, who may, what is
refused, and that a roll-over is all or nothing."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
import sqlalchemy as sa
from two_councils import NORTHSHIRE, SOUTHSHIRE, directory, name_of

from improveflow import audit, audit_events, exceptions
from improveflow.audit_events import ActionCarriedForward, PlanCreated, PlanRolledOver
from improveflow.calendar import FinancialYear
from improveflow.clock import FrozenClock
from improveflow.models import Action, Plan, PlanKind, Rag, Verdict
from improveflow.services import (
    action_history,
    approvals,
    importing,
    my_actions,
    people,
    plan_export,
    plans,
    progress,
    reports,
    rollover,
    views,
)
from improveflow.services.context import Context
from improveflow.services.dashboard import TableFilter
from improveflow.stores import audit as audit_store
from improveflow.stores import people as people_store
from improveflow.stores import rollover as rollover_store
from improveflow.stores import sweep as sweep_store
from improveflow.testing import make_context

ADMIN = NORTHSHIRE.admin
OWNER = NORTHSHIRE.owner
CMT = NORTHSHIRE.cmt[0]
CABINET = NORTHSHIRE.cabinet
TITLE = "Annual Governance Statement 2013/14: action plan"


def _plan(ctx: Context, title: str = TITLE, kind: PlanKind = PlanKind.GOVERNANCE_STATEMENT) -> int:
    return plans.create_plan(
        ctx, title, kind, organisation=NORTHSHIRE.name, year=FinancialYear(2013)
    ).id


def _action(
    ctx: Context,
    plan_id: int,
    description: str,
    *,
    theme: str = "Procurement",
    objective: str = "Contract procedure rules are followed",
    target: date | None = date(2014, 3, 31),
    reference: str | None = None,
) -> int:
    return plans.add_action(
        ctx,
        plans.NewAction(
            plan_id=plan_id,
            theme=theme,
            objective=objective,
            description=description,
            owner_email=OWNER,
            target_date=target,
            reference=reference,
            lead_text="Head of Procurement",
        ),
    )


def _decided(ctx: Context, action_id: int, trigger: str, by: str, **asked: object) -> None:
    opened = approvals.request_change(ctx, action_id, trigger, by_email=OWNER, **asked)  # type: ignore[arg-type]
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=by)


def _started(ctx: Context, action_id: int) -> None:
    _decided(ctx, action_id, "approve", CMT)
    approvals.request_change(ctx, action_id, "start", by_email=OWNER)


def _events(ctx: Context) -> list[object]:
    with ctx.database.reading() as session:
        return [audit_events.from_row(row).event for row in audit_store.events_in_order(session)]


def _person_id(ctx: Context, email: str) -> int:
    with ctx.database.reading() as session:
        person_id = people_store.person_by_email(session, email).id
    assert person_id is not None
    return person_id


def _plan_row(ctx: Context, plan_id: int) -> Plan:
    with ctx.database.reading() as session:
        found = session.get(Plan, plan_id)
        assert found is not None
        session.expunge(found)
        return found


@pytest.fixture
def year_end(ctx: Context, clock: FrozenClock) -> dict[str, int]:
    """Northshire's AGS plan for 2013/14: one action in progress (re-dated twice, two progress
    updates, measures written), one complete, one deferred, one drafted in another theme."""
    people.import_people(ctx, directory())
    plan_id = _plan(ctx)
    redated = _action(ctx, plan_id, "Refresh the contract procedure rules", reference="AGS 1")
    _started(ctx, redated)
    for new_date, why in ((date(2014, 5, 30), "Consultation extended"),
                          (date(2014, 9, 30), "Waiting for the new procurement act")):  # fmt: skip
        _decided(ctx, redated, "revise_target", CMT, reason=why, new_target_date=new_date)
    progress.record_progress(ctx, redated, "Rules drafted", Rag.GREEN, by_email=OWNER)
    clock.advance(timedelta(days=1))
    progress.record_progress(ctx, redated, "Consultation running late", Rag.AMBER, by_email=OWNER)
    with ctx.database.writing() as session:
        found = session.get(Action, redated)
        assert found is not None
        found.measures = "Every contract over £25,000 let under the rules"
    done = _action(ctx, plan_id, "Train every buyer", target=date(2014, 2, 28))
    _started(ctx, done)
    progress.record_progress(ctx, done, "All 40 buyers trained", Rag.GREEN, by_email=OWNER)
    _decided(ctx, done, "complete", CMT)
    deferred = _action(ctx, plan_id, "Move contracts to the new e-tendering system")
    _decided(ctx, deferred, "defer", CABINET, reason="The system is not procured yet")
    drafted = _action(
        ctx, plan_id, "Review the risk register quarterly", theme="Risk management",
        objective="Risks are owned and reviewed", target=None,
    )  # fmt: skip
    clock.advance(timedelta(days=1))
    return {
        "plan": plan_id,
        "redated": redated,
        "done": done,
        "deferred": deferred,
        "drafted": drafted,
    }


def test_unfinished_actions_go_to_next_years_plan_with_what_they_carried(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Next year's plan is made for the same council and kind, titled with its year; the
    actions not complete go (the deferred one still deferred), each with its theme, objective,
    owner, lead, reference, target date, measures, latest progress and its whole date ledger;
    the complete one stays; the old plan is marked rolled over by whom."""
    # Two actions to a page: the plan is carried across pages, in order.
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN, page_size=2)

    new = done.plan
    assert (new.title, new.kind, new.organisation, new.financial_year) == (
        "Annual Governance Statement 2014/15: action plan",
        "governance_statement",
        NORTHSHIRE.name,
        "2014/15",
    )
    assert (done.carried, done.carried_deferred, done.left) == (3, 1, 1)
    assert rollover.carried_words(done) == (
        f"3 actions carried forward (1 of them deferred, and still deferred); 1 complete one "
        f"stays in plan {year_end['plan']}."
    )
    carried = list(views.action_rows(ctx, plan_id=new.id))
    assert [
        (row["description"], row["state"], row["theme"], row["objective"], row["reference"])
        for row in carried
    ] == [
        ("Refresh the contract procedure rules", "in_progress", "Procurement",
         "Contract procedure rules are followed", "AGS 1"),
        ("Move contracts to the new e-tendering system", "deferred", "Procurement",
         "Contract procedure rules are followed", None),
        ("Review the risk register quarterly", "drafted", "Risk management",
         "Risks are owned and reviewed", None),
    ]  # fmt: skip
    assert {row["owner_email"] for row in carried} == {OWNER}
    assert {row["lead"] for row in carried} == {"Head of Procurement"}
    first = views.action_detail(ctx, carried[0]["id"])
    assert first["target_date"] == "2014-09-30"
    assert first["rag"] == "amber"
    assert first["latest_progress"] == "Consultation running late"
    assert first["date_ledger"] == "first due 31 March 2014; re-dated twice"
    assert views.action_detail(ctx, carried[2]["id"])["date_ledger"] == ""
    with ctx.database.reading() as session:
        moved = session.get(Action, carried[0]["id"])
        assert moved is not None
        assert moved.measures == "Every contract over £25,000 let under the rules"
        assert moved.carried_from_id == year_end["redated"]
        assert moved.escalation_level == 0

    old = _plan_row(ctx, year_end["plan"])
    assert old.rolled_over_to_id == new.id
    assert old.rolled_over_at == ctx.clock.now()
    assert [row["id"] for row in views.action_rows(ctx, plan_id=year_end["plan"])] == [
        year_end["redated"], year_end["done"], year_end["deferred"], year_end["drafted"],
    ]  # fmt: skip
    years = rollover.plan_years(ctx, year_end["plan"])
    assert years.sentences == [
        f"Rolled over to plan {new.id}, 'Annual Governance Statement 2014/15: action plan', on "
        f"Wednesday 4 June 2014 by {name_of(ADMIN)}: its unfinished actions continue there."
    ]
    assert rollover.plan_years(ctx, new.id).sentences == [
        f"Carries forward the unfinished actions of plan {year_end['plan']}, '{TITLE}'."
    ]


def test_the_roll_over_is_in_the_audit_log_and_the_log_still_verifies(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Next year's plan created, each carried action with where it came from and its state,
    then the roll-over itself with its counts: typed events, all by the administrator."""
    before = len(_events(ctx))
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    events = _events(ctx)[before:]
    admin_id = _person_id(ctx, ADMIN)
    new_ids = [row["id"] for row in views.action_rows(ctx, plan_id=done.plan.id)]
    assert events[0] == PlanCreated(
        plan_id=done.plan.id,
        title=done.plan.title,
        plan_kind=PlanKind.GOVERNANCE_STATEMENT,
        organisation=NORTHSHIRE.name,
        financial_year="2014/15",
    )
    assert events[1:4] == [
        ActionCarriedForward(
            action_id=new_id,
            actor_id=admin_id,
            state=state,
            plan_id=done.plan.id,
            from_action_id=old_id,
            from_plan_id=year_end["plan"],
            from_year="2013/14",
        )
        for new_id, old_id, state in zip(
            new_ids,
            (year_end["redated"], year_end["deferred"], year_end["drafted"]),
            ("in_progress", "deferred", "drafted"),
            strict=True,
        )
    ]
    assert events[4:] == [
        PlanRolledOver(
            actor_id=admin_id,
            plan_id=year_end["plan"],
            to_plan_id=done.plan.id,
            from_year="2013/14",
            to_year="2014/15",
            carried=3,
            left=1,
        )
    ]
    with ctx.database.reading() as session:
        assert audit.verify(session).events == before + len(events)


def test_a_carried_action_says_where_it_came_from_and_the_old_one_where_it_went(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """The new action's history begins with its carrying forward, naming last year's plan and
    action; last year's history is left exactly as it was, and each says where the other is."""
    old_history = action_history.history_of(ctx, year_end["redated"])
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    new_id = next(iter(views.action_rows(ctx, plan_id=done.plan.id)))["id"]
    old = year_end["redated"]

    history = action_history.history_of(ctx, new_id)
    assert history == [
        action_history.CarriedForward(
            at=ctx.clock.now(),
            by=name_of(ADMIN),
            state="In progress",
            from_action_id=old,
            origin=f"{TITLE}, action {old} (AGS 1)",
        )
    ]
    assert action_history.history_of(ctx, old) == old_history
    assert views.action_detail(ctx, new_id)["provenance"] == [
        f"Carried forward from {TITLE}, action {old} (AGS 1), where its history before then stays."
    ]
    assert views.action_detail(ctx, old)["provenance"] == [
        f"Carried forward to Annual Governance Statement 2014/15: action plan, action {new_id} "
        "(AGS 1): it continues there, where progress and changes are recorded now."
    ]
    assert views.action_detail(ctx, new_id)["carried_from"] == {
        "action_id": old,
        "plan_id": year_end["plan"],
        "words": f"{TITLE}, action {old} (AGS 1)",
    }


def test_a_plan_is_rolled_over_once(ctx: Context, year_end: dict[str, int]) -> None:
    """A second roll-over is refused, naming next year's plan, when and by whom; nothing is
    added."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    before = len(_events(ctx))
    with pytest.raises(exceptions.Refused) as refused:
        rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN, title="Another go")
    assert str(refused.value) == (
        f"Plan {year_end['plan']} was already rolled over to plan {done.plan.id}, 'Annual "
        f"Governance Statement 2014/15: action plan', on Wednesday 4 June 2014 by "
        f"{name_of(ADMIN)}: a plan is rolled over once; roll that plan over when its own year "
        "ends"
    )
    assert len(_events(ctx)) == before
    assert [p.id for p in plans.list_plans(ctx)] == [year_end["plan"], done.plan.id]


def test_only_an_administrator_of_the_plans_own_council_may_roll_it_over(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Its owner and CMT members are refused with who may; another council's administrator
    is answered as if the plan did not exist; neither changes anything."""
    before = len(_events(ctx))
    for who in (OWNER, CMT):
        with pytest.raises(exceptions.Refused) as refused:
            rollover.roll_over(ctx, year_end["plan"], by_email=who)
        assert str(refused.value) == (
            f"{who} cannot roll plan {year_end['plan']} over: only an administrator of its "
            "council can"
        )
    with pytest.raises(exceptions.NotFound) as missing:
        rollover.roll_over(ctx, year_end["plan"], by_email=SOUTHSHIRE.admin)
    assert str(missing.value) == f"No plan with id {year_end['plan']}"
    assert len(_events(ctx)) == before
    assert _plan_row(ctx, year_end["plan"]).rolled_over_to_id is None
    assert len(plans.list_plans(ctx)) == 1


def test_other_kinds_of_plan_are_not_rolled_over(ctx: Context) -> None:
    """A service plan has no year end here: the refusal says which kind of plan has."""
    people.import_people(ctx, directory())
    plan_id = _plan(ctx, "Workforce plan", PlanKind.SERVICE_PLAN)
    with pytest.raises(exceptions.Refused) as refused:
        rollover.roll_over(ctx, plan_id, by_email=ADMIN)
    assert str(refused.value) == (
        f"Plan {plan_id} is a service plan: only a governance statement plan is rolled over to "
        "next year, its unfinished actions carried forward"
    )


def test_a_request_waiting_for_a_decision_holds_the_roll_over(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """An action would be carried forward before its request was decided: refused, naming the
    request, until it is decided."""
    opened = approvals.request_change(ctx, year_end["drafted"], "approve", by_email=OWNER)
    with pytest.raises(exceptions.Refused) as refused:
        rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    assert str(refused.value) == (
        f"Plan {year_end['plan']} has 1 request waiting for a decision (request "
        f"{opened.request_id}): decide or withdraw it first, so that each action is carried "
        "forward as it was decided"
    )
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=CMT)
    assert rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN).carried == 3


def test_years_and_titles_are_checked(ctx: Context, year_end: dict[str, int]) -> None:
    """A year not after the plan's own is refused; a title already used in the council is
    refused with how to choose another; --title and --to-year are used as given."""
    with pytest.raises(exceptions.InvalidValue) as earlier:
        rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN, to_year=FinancialYear(2013))
    assert str(earlier.value) == (
        f"Plan {year_end['plan']} is for 2013/14: it can be rolled over to a later year only, "
        "not 2013/14"
    )
    with pytest.raises(exceptions.Refused) as clash:
        rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN, title=TITLE)
    assert str(clash.value) == (
        f"There is already a plan titled '{TITLE}' (plan {year_end['plan']}): give next year's "
        "plan another title with --title"
    )
    done = rollover.roll_over(
        ctx, year_end["plan"], by_email=ADMIN, to_year=FinancialYear(2015), title=" AGS  plan "
    )
    assert (done.plan.title, done.plan.financial_year) == ("AGS plan", "2015/16")


def test_a_roll_over_that_fails_part_way_leaves_nothing_behind(
    ctx: Context, year_end: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure on the second page undoes the first: no new plan, no carried actions, the
    old plan not marked, nothing in the log."""
    before = len(_events(ctx))
    pages = 0
    real = rollover_store.insert_progress

    def fails_on_the_second_page(*args: object, **kwargs: object) -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise exceptions.StorageFull("the disk is full")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rollover_store, "insert_progress", fails_on_the_second_page)
    with pytest.raises(exceptions.StorageFull):
        rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN, page_size=2)
    assert pages == 2
    assert len(_events(ctx)) == before
    assert [p.id for p in plans.list_plans(ctx)] == [year_end["plan"]]
    assert _plan_row(ctx, year_end["plan"]).rolled_over_to_id is None
    with ctx.database.reading() as session:
        carried = session.connection().execute(
            sa.select(sa.func.count())
            .select_from(Action)
            .where(Action.carried_from_id.is_not(None))  # type: ignore[union-attr]
        )
        assert carried.scalar_one() == 0


def test_the_plan_is_claimed_once_even_when_two_roll_overs_race(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """The claim is the UPDATE's own condition: a second claim on a marked plan finds it
    taken, whatever the reader saw before."""
    admin_id = _person_id(ctx, ADMIN)
    with ctx.database.writing() as session:
        assert rollover_store.claim_roll_over(
            session, year_end["plan"], year_end["plan"], admin_id, ctx.clock.now()
        )
        assert not rollover_store.claim_roll_over(
            session, year_end["plan"], year_end["plan"], admin_id, ctx.clock.now()
        )
        session.rollback()


def test_last_years_action_is_no_longer_chased_or_listed_once_carried(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Its owner's list and the sweep's reminders see next year's action, not last year's."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    new_id = next(iter(views.action_rows(ctx, plan_id=done.plan.id)))["id"]
    owner_id = _person_id(ctx, OWNER)
    listed = my_actions.my_actions(ctx, owner_id, NORTHSHIRE.name)
    ids = {item.id for item in listed.actions}
    assert new_id in ids
    assert not ids & {year_end["redated"], year_end["deferred"], year_end["drafted"]}
    with ctx.database.reading() as session:
        due = sweep_store.targets_between(
            session,
            sweep_store.Scope(("approved", "in_progress"), None),
            date(2014, 9, 1),
            date(2014, 9, 30),
        )
    assert [row.id for row in due] == [new_id]


def test_last_years_action_takes_no_news_or_changes_once_carried(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Progress and requests on last year's action are refused, naming next year's action,
    where they go instead; next year's takes them."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    new_id = next(iter(views.action_rows(ctx, plan_id=done.plan.id)))["id"]
    old = year_end["redated"]
    said = (
        f"Action {old} was carried forward to Annual Governance Statement 2014/15: action plan, "
        f"action {new_id} (AGS 1): record progress and ask for changes on action {new_id}"
    )
    with pytest.raises(exceptions.Refused) as refused:
        progress.record_progress(ctx, old, "Still going", None, by_email=OWNER)
    assert str(refused.value) == said
    with pytest.raises(exceptions.Refused) as refused:
        approvals.request_change(ctx, old, "complete", by_email=OWNER)
    assert str(refused.value) == said
    progress.record_progress(ctx, new_id, "New rules agreed by CMT", Rag.GREEN, by_email=OWNER)
    assert views.action_detail(ctx, new_id)["latest_progress"] == "New rules agreed by CMT"


def _roll_over_at_once(
    url: str, plan_id: int, title: str, barrier: Barrier, results: object
) -> None:
    context = make_context(url, migrate=False)
    try:
        barrier.wait(timeout=60)
        try:
            rollover.roll_over(context, plan_id, by_email=ADMIN, title=title)
            outcome = "rolled over"
        except exceptions.Refused:
            outcome = "refused"
    finally:
        context.close()
    results.put(outcome)  # type: ignore[attr-defined]


def test_two_roll_overs_at_the_same_moment_make_one_next_year(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Two administrators rolling the plan over at once, from two processes: one succeeds,
    the other is refused, and there is one next year's plan with one set of actions."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=_roll_over_at_once,
            args=(ctx.database.url, year_end["plan"], title, barrier, results),
        )
        for title in ("AGS 2014/15 (first)", "AGS 2014/15 (second)")
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert outcomes == ["refused", "rolled over"]
    made = [p for p in plans.list_plans(ctx) if p.id != year_end["plan"]]
    assert len(made) == 1
    assert _plan_row(ctx, year_end["plan"]).rolled_over_to_id == made[0].id
    assert len(list(views.action_rows(ctx, plan_id=made[0].id))) == 3
    assert sum(isinstance(event, PlanRolledOver) for event in _events(ctx)) == 1


def test_last_years_plan_takes_no_new_actions_once_rolled_over(
    ctx: Context, year_end: dict[str, int], tmp_path: Path
) -> None:
    """An action added to, or a file imported into, a plan already rolled over is refused,
    naming next year's plan: it would be neither reported nor carried."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    before = len(_events(ctx))
    refusal = (
        f"Plan {year_end['plan']} ({TITLE}) was rolled over to plan {done.plan.id} on Wednesday "
        f"4 June 2014: add its actions to plan {done.plan.id}, which carries this year's work on"
    )
    with pytest.raises(exceptions.Refused) as added:
        _action(ctx, year_end["plan"], "Publish the fraud policy")
    assert str(added.value) == refusal
    source = tmp_path / "ags.csv"
    source.write_text(
        f"{TITLE},,,\nTheme,Action,Lead,Target Date\n"
        "Fraud,Publish the fraud policy,Head of Procurement,31/03/2015\n",
        encoding="utf-8",
    )
    with pytest.raises(exceptions.Refused) as imported:
        importing.import_plan_files(
            ctx, [source], importing.ImportOptions(organisation=NORTHSHIRE.name)
        )
    assert str(imported.value) == refusal
    assert len(_events(ctx)) == before


def test_last_years_report_and_export_say_where_each_action_went(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """Last year's committee report and its export name, for each action carried, next
    year's plan and action; the complete one, which stayed, names none."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    carried_ids = [row["id"] for row in views.action_rows(ctx, plan_id=done.plan.id)]
    went = "Carried forward to Annual Governance Statement 2014/15: action plan, action"
    named = went.removeprefix("Carried forward to ")
    exported = {
        item.row.id: item.carried_to.words if item.carried_to else None
        for item in plan_export.export_rows(ctx, year_end["plan"], TableFilter())
    }
    assert exported == {
        year_end["redated"]: f"{named} {carried_ids[0]} (AGS 1)",
        year_end["done"]: None,
        year_end["deferred"]: f"{named} {carried_ids[1]}",
        year_end["drafted"]: f"{named} {carried_ids[2]}",
    }
    report = reports.make_report(ctx, year_end["plan"])
    lines = {
        action.id: action.carried_to
        for theme in report.themes
        for objective in theme.objectives
        for action in objective.actions
    }
    assert lines == {
        year_end["redated"]: f"{went} {carried_ids[0]} (AGS 1)",
        year_end["done"]: "",
        year_end["deferred"]: f"{went} {carried_ids[1]}",
        year_end["drafted"]: f"{went} {carried_ids[2]}",
    }
    page = reports.render(report, reports.ReportFormat.HTML).decode()
    assert f"<br>{went} {carried_ids[0]} (AGS 1)</td>" in page


def test_next_years_plan_keeps_last_years_order_of_themes(ctx: Context) -> None:
    """Governance came first last year, though its first action was finished and a Risk
    action was added before its second: next year's plan lists Governance first, in its report
    as on its page."""
    people.import_people(ctx, directory())
    plan_id = _plan(ctx)
    finished = _action(ctx, plan_id, "Train commissioners", theme="Governance")
    _started(ctx, finished)
    progress.record_progress(ctx, finished, "All trained", Rag.GREEN, by_email=OWNER)
    _decided(ctx, finished, "complete", CMT)
    _action(ctx, plan_id, "New risk register", theme="Risk", objective="Risks are owned")
    _action(ctx, plan_id, "Refresh the contract procedure rules", theme="Governance")
    done = rollover.roll_over(ctx, plan_id, by_email=ADMIN)
    carried = [row["description"] for row in views.action_rows(ctx, plan_id=done.plan.id)]
    assert carried == ["Refresh the contract procedure rules", "New risk register"]
    report = reports.make_report(ctx, done.plan.id)
    assert [theme.title for theme in report.themes] == ["Governance", "Risk"]


def test_next_years_report_gives_the_reasons_decided_last_year(
    ctx: Context, year_end: dict[str, int]
) -> None:
    """The deferral and the new date were decided on last year's actions: next year's report
    and export still give their reasons, and do not count last year's changes twice."""
    done = rollover.roll_over(ctx, year_end["plan"], by_email=ADMIN)
    report = reports.make_report(ctx, done.plan.id)
    reasons = {e.action.description: e.reason for e in report.exceptions}
    assert (
        "Deferred: The system is not procured yet"
        in (reasons["Move contracts to the new e-tendering system"])
    )
    exported = {
        item.row.description: item
        for item in plan_export.export_rows(ctx, done.plan.id, TableFilter())
    }
    redated = exported["Refresh the contract procedure rules"]
    assert redated.target_reason == "Waiting for the new procurement act"
    assert redated.ledger == "first due 31 March 2014; re-dated twice"
    deferred = exported["Move contracts to the new e-tendering system"]
    assert deferred.state_reason == "The system is not procured yet"
    assert exported["Review the risk register quarterly"].state_reason is None
