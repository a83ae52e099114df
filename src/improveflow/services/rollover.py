"""A governance statement plan rolled over to next year: next year's plan made, every action
not complete carried forward into it, and the old plan marked, in one transaction.

An action carried forward is a new action of next year's plan that names the one it continues.
Last year's action, with its whole history, stays where it was: the audit log is never copied
or rewritten, so the new action's history begins with "carried forward from ..." and links
back, and last year's action links on to it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import FinancialYear, as_london
from improveflow.models import Person, Plan, PlanKind, Role
from improveflow.services.context import Context
from improveflow.services.plan_export import LedgerSource, ledgers
from improveflow.services.plans import PlanView, plan_view
from improveflow.stores import people as people_store
from improveflow.stores import plans as plan_store
from improveflow.stores import rollover as rollover_store
from improveflow.stores.rollover import CARRIED_COLUMNS
from improveflow.templating import long_date
from improveflow.workflow.deciders import kind_singular

# The kinds of plan that have a year end to roll over at.
ROLLS_OVER = (PlanKind.GOVERNANCE_STATEMENT,)
# Actions are carried a page at a time, so a plan of any size never sits in memory.
PAGE_SIZE = 500
# How many waiting requests a refusal names.
_SHOWN = 5

_YEAR_IN_TITLE = re.compile(r"(\d{4})(\s*[/-]\s*)(\d{4}|\d{2})")


@dataclass(frozen=True)
class RolledOver:
    """What a roll-over did: next year's plan, and how many actions went and stayed."""

    plan: PlanView  # next year's
    from_plan_id: int
    from_year: str | None
    carried: int
    carried_deferred: int
    left: int  # complete: they stay in last year's plan


def roll_over(
    ctx: Context,
    plan_id: int,
    *,
    by_email: str,
    to_year: FinancialYear | None = None,
    title: str | None = None,
    page_size: int = PAGE_SIZE,
) -> RolledOver:
    """Roll the plan over to next year's (or `to_year`'s): all of it, or nothing."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        assert plan.id is not None
        actor = _administrator(session, plan, by_email)
        assert actor.id is not None
        _refuse_unless_rollable(session, plan)
        from_year = FinancialYear.parse(plan.financial_year) if plan.financial_year else None
        to_year = _next_year(plan, from_year, to_year)
        new_title = " ".join(title.split()) if title is not None else None
        new_title = new_title or default_title(plan.title, from_year, to_year)
        clash = plan_store.plan_titled(session, new_title, plan.organisation)
        if clash is not None:
            raise exceptions.Refused(
                f"There is already a plan titled '{new_title}' (plan {clash.id}): give next "
                "year's plan another title with --title"
            )
        workflow = ctx.workflows.workflow(plan.workflow)
        finished = [name for name, state in workflow.states.items() if state.final]
        new_plan = _next_plan(session, plan, new_title, to_year, now)
        assert new_plan.id is not None
        if not rollover_store.claim_roll_over(session, plan.id, new_plan.id, actor.id, now):
            raise exceptions.ConcurrentChange(
                f"Plan {plan.id} was rolled over by someone else just now: nothing was changed"
            )
        carried, deferred = _carry(
            session, plan, new_plan, actor.id, finished, now, page_size=page_size
        )
        left = rollover_store.count_finished(session, plan.id, finished)
        event = recorded.PlanRolledOver(
            actor_id=actor.id, plan_id=plan.id, to_plan_id=new_plan.id,
            from_year=plan.financial_year, to_year=to_year.label, carried=carried, left=left,
        )  # fmt: skip
        audit.record(session, event, at=now)
        return RolledOver(
            plan=plan_view(new_plan),
            from_plan_id=plan.id,
            from_year=plan.financial_year,
            carried=carried,
            carried_deferred=deferred,
            left=left,
        )


def _administrator(session: Session, plan: Plan, email: str) -> Person:
    """The person rolling the plan over, if they may: of the plan's own council (another
    council's plan is answered as a missing one) and one of its administrators."""
    person = people_store.person_by_email(session, email)
    assert person.id is not None
    if not people_store.belongs_with(session, person.id, plan.organisation):
        raise exceptions.NotFound(f"No plan with id {plan.id}")
    if Role.ADMIN not in people_store.roles_of(session, person.id):
        raise exceptions.Refused(
            f"{person.email} cannot roll plan {plan.id} over: only an administrator of its "
            "council can"
        )
    return person


def _refuse_unless_rollable(session: Session, plan: Plan) -> None:
    assert plan.id is not None
    if plan.kind not in ROLLS_OVER:
        kinds = " or ".join(kind_singular(kind.value) for kind in ROLLS_OVER)
        raise exceptions.Refused(
            f"Plan {plan.id} is {kind_singular(plan.kind)}: only {kinds} is rolled over to next "
            "year, its unfinished actions carried forward"
        )
    done = rollover_store.rolled_over(session, plan.id)
    if done is not None:
        raise exceptions.Refused(
            f"Plan {plan.id} was already rolled over to plan {done.plan_id}, '{done.title}', on "
            f"{long_date(as_london(done.at).date())}{f' by {done.by}' if done.by else ''}: a "
            "plan is rolled over once; roll that plan over when its own year ends"
        )
    waiting, first = rollover_store.pending_requests(session, plan.id, _SHOWN)
    if waiting:
        listed = ", ".join(str(i) for i in first) + (", ..." if waiting > len(first) else "")
        raise exceptions.Refused(
            f"Plan {plan.id} has {waiting} {'request' if waiting == 1 else 'requests'} waiting "
            f"for a decision (request {listed}): decide or withdraw "
            f"{'it' if waiting == 1 else 'them'} first, so that each action is carried forward "
            "as it was decided"
        )


def _next_year(
    plan: Plan, from_year: FinancialYear | None, to_year: FinancialYear | None
) -> FinancialYear:
    if to_year is None:
        if from_year is None:
            raise exceptions.InvalidValue(
                f"Plan {plan.id} has no financial year recorded: say which year to roll it over "
                "to with --to-year, for example --to-year 2026/27"
            )
        return FinancialYear(from_year.start_year + 1)
    if from_year is not None and to_year <= from_year:
        raise exceptions.InvalidValue(
            f"Plan {plan.id} is for {from_year}: it can be rolled over to a later year only, "
            f"not {to_year}"
        )
    return to_year


def default_title(title: str, from_year: FinancialYear | None, to_year: FinancialYear) -> str:
    """Last year's title with its year changed, written the same way ("2025/26" becomes
    "2026/27", "2025-2026" becomes "2026-2027"); with the new year added when it names none."""

    def moved(match: re.Match[str]) -> str:
        first, between, second = match.groups()
        if from_year is None or int(first) != from_year.start_year:
            return match.group(0)
        end = str(to_year.start_year + 1)
        return f"{to_year.start_year}{between}{end if len(second) == 4 else end[-2:]}"

    changed = _YEAR_IN_TITLE.sub(moved, title)
    return changed if changed != title else f"{title} {to_year.label}"


def _next_plan(
    session: Session, plan: Plan, title: str, year: FinancialYear, now: datetime
) -> Plan:
    """Next year's plan: the same council, kind, workflow and routing of decisions."""
    new_plan = plan_store.add_plan(
        session,
        Plan(
            title=title,
            kind=plan.kind,
            organisation=plan.organisation,
            workflow=plan.workflow,
            approval_overrides=dict(plan.approval_overrides),
            financial_year=year.label,
            created_at=now,
        ),
    )
    assert new_plan.id is not None
    created = recorded.PlanCreated(
        plan_id=new_plan.id,
        title=new_plan.title,
        plan_kind=PlanKind(plan.kind),
        organisation=plan.organisation,
        financial_year=year.label,
    )
    audit.record(session, created, at=now)
    return new_plan


def _carry(
    session: Session,
    plan: Plan,
    new_plan: Plan,
    actor_id: int,
    finished: Collection[str],
    now: datetime,
    *,
    page_size: int,
) -> tuple[int, int]:
    """Copy every action not finished into next year's plan, a page at a time; how many went,
    and how many of those were deferred."""
    assert plan.id is not None
    assert new_plan.id is not None
    outline = _Outline(session, new_plan.id)
    carried = deferred = 0
    # In the plan's own order, so next year's plan lists its themes and actions as last
    # year's did, whichever of them were finished.
    order = rollover_store.open_action_ids(session, plan.id, finished)
    for start in range(0, len(order), page_size):
        rows = rollover_store.actions_to_carry(session, order[start : start + page_size])
        outline.add(row["objective_id"] for row in rows)
        brought = ledgers(
            session,
            {
                row["id"]: LedgerSource(
                    row["target_date"],
                    row["original_target_date"],
                    row["carried_first_target"],
                    row["carried_date_changes"],
                )
                for row in rows
            },
        )
        new_ids = rollover_store.insert_actions(
            session,
            [
                {
                    **{name: row[name] for name in CARRIED_COLUMNS},
                    "plan_id": new_plan.id,
                    "objective_id": outline.objectives[row["objective_id"]],
                    "carried_from_id": row["id"],
                    "carried_first_target": brought[row["id"]][0],
                    "carried_date_changes": brought[row["id"]][1],
                    # No escalation is open on the new action: the sweep raises what is due.
                    "escalation_level": 0,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows
            ],
        )
        new_id_of = {row["id"]: new_id for row, new_id in zip(rows, new_ids, strict=True)}
        latest = rollover_store.latest_progress(session, new_id_of)
        rollover_store.insert_progress(
            session,
            [
                {
                    "action_id": new_id_of[old_id],
                    "text": update.text,
                    "rag": update.rag,
                    "author_id": update.author_id,
                    "created_at": update.created_at,
                }
                for old_id, update in latest.items()
            ],
        )
        for row in rows:
            event = recorded.ActionCarriedForward(
                action_id=new_id_of[row["id"]], actor_id=actor_id, state=row["state"],
                plan_id=new_plan.id, from_action_id=row["id"], from_plan_id=plan.id,
                from_year=plan.financial_year,
            )  # fmt: skip
            audit.record(session, event, at=now)
        carried += len(rows)
        deferred += sum(1 for row in rows if row["state"] == "deferred")
    return carried, deferred


class _Outline:
    """Next year's themes and objectives, made as the carried actions need them, each where
    it stood last year."""

    def __init__(self, session: Session, plan_id: int) -> None:
        self.session = session
        self.plan_id = plan_id
        self.themes: dict[int, int] = {}  # last year's theme id -> next year's
        self.objectives: dict[int, int] = {}  # the same for objectives

    def add(self, objective_ids: Iterable[int]) -> None:
        wanted = {i for i in objective_ids if i not in self.objectives}
        for place in rollover_store.outline_of(self.session, wanted):
            theme_id = self.themes.get(place.theme_id)
            if theme_id is None:
                theme_id = rollover_store.add_theme(
                    self.session, self.plan_id, place.theme_title, place.theme_position
                )
                self.themes[place.theme_id] = theme_id
            self.objectives[place.objective_id] = rollover_store.add_objective(
                self.session, theme_id, place
            )


def refuse_if_carried_on(session: Session, action_id: int) -> None:
    """Refuse news or a change on last year's action once it was carried forward: it goes on
    next year's action, which continues it."""
    went = rollover_store.carried_to(session, action_id)
    if went is not None:
        raise exceptions.Refused(
            f"Action {action_id} was carried forward to {went.words}: record progress "
            f"and ask for changes on action {went.action_id}"
        )


# Provenance in words ------------------------------------------------------------------------


@dataclass(frozen=True)
class YearLinkView:
    """The other year's action, linked: its id and plan, and the sentence naming it."""

    action_id: int
    plan_id: int
    words: str


@dataclass(frozen=True)
class Provenance:
    """Where an action came from and went to across the years, if anywhere."""

    carried_from: YearLinkView | None
    carried_to: YearLinkView | None

    @property
    def sentences(self) -> list[str]:
        said = []
        if self.carried_from is not None:
            said.append(
                f"Carried forward from {self.carried_from.words}, where its history before "
                "then stays."
            )
        if self.carried_to is not None:
            said.append(
                f"Carried forward to {self.carried_to.words}: it continues there, where "
                "progress and changes are recorded now."
            )
        return said


def provenance_in(session: Session, action_id: int) -> Provenance:
    """As `provenance`, in the caller's transaction."""
    found = rollover_store.carried_from(session, action_id)
    went = rollover_store.carried_to(session, action_id)
    return Provenance(
        carried_from=YearLinkView(found.action_id, found.plan_id, found.words) if found else None,
        carried_to=YearLinkView(went.action_id, went.plan_id, went.words) if went else None,
    )


def provenance(ctx: Context, action_id: int) -> Provenance:
    """Which action of last year's plan this one continues, and which of next year's
    continues it."""
    with ctx.database.reading() as session:
        return provenance_in(session, action_id)


@dataclass(frozen=True)
class PlanYears:
    """A plan's place among the years: the plan it continues and the one that continues it."""

    financial_year: str | None
    rolled_over_from: rollover_store.EarlierPlan | None
    rolled_over_to: rollover_store.RollOver | None

    @property
    def sentences(self) -> list[str]:
        said = []
        if self.rolled_over_from is not None:
            earlier = self.rolled_over_from
            said.append(
                f"Carries forward the unfinished actions of plan {earlier.plan_id}, "
                f"'{earlier.title}'."
            )
        if self.rolled_over_to is not None:
            later = self.rolled_over_to
            by = f" by {later.by}" if later.by else ""
            said.append(
                f"Rolled over to plan {later.plan_id}, '{later.title}', on "
                f"{long_date(as_london(later.at).date())}{by}: its unfinished actions "
                "continue there."
            )
        return said


def plan_years_in(session: Session, plan: Plan) -> PlanYears:
    assert plan.id is not None
    return PlanYears(
        financial_year=plan.financial_year,
        rolled_over_from=rollover_store.rolled_over_from(session, plan.id),
        rolled_over_to=rollover_store.rolled_over(session, plan.id),
    )


def plan_years(ctx: Context, plan_id: int) -> PlanYears:
    """The plan this one continues and the one that continues it."""
    with ctx.database.reading() as session:
        return plan_years_in(session, plan_store.plan_by_id(session, plan_id))


def plan_and_years(ctx: Context, plan_id: int) -> tuple[PlanView, PlanYears]:
    """The plan, with the plan it continues and the one that continues it."""
    with ctx.database.reading() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        return plan_view(plan), plan_years_in(session, plan)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def carried_words(done: RolledOver) -> str:
    """'3 actions carried forward (1 of them deferred, and still deferred); 2 complete ones
    stay in plan 1.'"""
    if done.carried == 0 and done.left == 0:
        return "The plan had no actions to carry forward."
    if done.carried == 0:
        went = "No actions were carried forward: every action was complete"
    else:
        went = f"{_count(done.carried, 'action', 'actions')} carried forward"
        if done.carried_deferred:
            went += f" ({done.carried_deferred} of them deferred, and still deferred)"
    if done.left == 0:
        return f"{went}."
    stay = _count(done.left, "complete one stays", "complete ones stay")
    return f"{went}; {stay} in plan {done.from_plan_id}."
