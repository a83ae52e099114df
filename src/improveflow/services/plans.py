"""Plans, their themes and objectives, and the actions within them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import FinancialYear, as_london
from improveflow.models import Action, Objective, Plan, PlanKind, Theme
from improveflow.services import milestones, scrutiny
from improveflow.services.context import Context
from improveflow.services.organisations import organisation_for_new_plan
from improveflow.stores import people as people_store
from improveflow.stores import plans as plan_store
from improveflow.templating import long_date
from improveflow.workflow.deciders import kind_singular
from improveflow.workflow.registry import DEFAULT_WORKFLOW


def plan_kind(text: str) -> PlanKind:
    """Accept 'peer-challenge', 'peer_challenge' or 'Peer challenge'."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return PlanKind(key)
    except ValueError:
        known = ", ".join(kind.value.replace("_", "-") for kind in PlanKind)
        raise exceptions.InvalidValue(f"'{text}' is not a kind of plan (known: {known})") from None


def financial_year(text: str) -> FinancialYear:
    """Accept '2025/26', '2025-26', '2025/2026' or '2025-2026'."""
    try:
        return FinancialYear.parse(text)
    except ValueError:
        raise exceptions.InvalidValue(
            f"'{text}' is not a financial year: give it as 2025/26 (April 2025 to March 2026)"
        ) from None


@dataclass(frozen=True)
class PlanView:
    id: int
    title: str
    kind: str
    organisation: str | None
    workflow: str
    approval_overrides: dict[str, str]
    challenge_date: date | None = None
    report_date: date | None = None  # a scrutiny plan's, with its response period
    response_months: int | None = None
    financial_year: str | None = None  # "2025/26"
    rolled_over_to_id: int | None = None  # next year's plan, once rolled over


def plan_view(plan: Plan) -> PlanView:
    assert plan.id is not None
    return PlanView(
        id=plan.id,
        title=plan.title,
        kind=plan.kind,
        organisation=plan.organisation,
        workflow=plan.workflow,
        approval_overrides=dict(plan.approval_overrides),
        challenge_date=plan.challenge_date,
        report_date=plan.report_date,
        response_months=plan.response_months,
        financial_year=plan.financial_year,
        rolled_over_to_id=plan.rolled_over_to_id,
    )


def create_plan(
    ctx: Context,
    title: str,
    kind: PlanKind,
    *,
    organisation: str | None = None,
    source: str | None = None,
    workflow: str = DEFAULT_WORKFLOW,
    approval_overrides: dict[str, str] | None = None,
    challenge_date: date | None = None,
    report_date: date | None = None,
    response_months: int | None = None,
    year: FinancialYear | None = None,
) -> PlanView:
    definition = ctx.workflows.workflow(workflow)
    overrides = approval_overrides or {}
    for trigger, body in overrides.items():
        transition = definition.transition(trigger)
        if transition.approval is None:
            raise exceptions.InvalidValue(f"'{trigger}' needs no approval, so no body can be set")
        if body not in definition.bodies:
            raise exceptions.InvalidValue(
                f"'{body}' is not an approving body (known: {', '.join(definition.bodies)})"
            )
    if not title.strip():
        raise exceptions.InvalidValue("A plan needs a title")
    _refuse_a_timetable_of_another_kind(kind, challenge_date, report_date)
    if response_months is not None and report_date is None:
        raise exceptions.InvalidValue(
            "A response period begins with the day the executive received the scrutiny "
            "report: give --report-date too"
        )
    now = ctx.clock.now()
    if kind is PlanKind.GOVERNANCE_STATEMENT and year is None:
        # An annual governance statement is for a financial year: the current one unless told.
        year = FinancialYear.containing(as_london(now).date())
    with ctx.database.writing() as session:
        organisation = organisation_for_new_plan(session, organisation, title.strip())
        plan = plan_store.add_plan(
            session,
            Plan(
                title=title.strip(),
                kind=kind.value,
                organisation=organisation,
                source=source,
                workflow=workflow,
                approval_overrides=overrides,
                financial_year=year.label if year else None,
                created_at=now,
            ),
        )
        assert plan.id is not None
        # A plan made here has always been logged without its source.
        created = recorded.PlanCreated(
            plan_id=plan.id,
            title=plan.title,
            plan_kind=kind,
            organisation=organisation,
            financial_year=plan.financial_year,
        )
        audit.record(session, created, at=now)
        if report_date is not None:
            scrutiny.schedule_in(
                session, plan, report_date, response_months, actor_id=None, now=now
            )
            session.refresh(plan)
        if challenge_date is None:
            return plan_view(plan)
        milestones.schedule_in(session, plan, challenge_date, actor_id=None, now=now)
        return replace(plan_view(plan), challenge_date=challenge_date)


def _refuse_a_timetable_of_another_kind(
    kind: PlanKind, challenge_date: date | None, report_date: date | None
) -> None:
    """A challenge date is a peer challenge's, a report date a scrutiny plan's: refused for a
    plan of another kind before it is made, so the refusal names no plan that never was."""
    singular = kind_singular(kind.value)
    singular = singular[0].upper() + singular[1:]
    if challenge_date is not None and kind is not PlanKind.PEER_CHALLENGE:
        raise exceptions.InvalidValue(
            f"{singular} has no challenge date: only a peer-challenge plan has the LGA's timetable"
        )
    if report_date is not None and kind is not PlanKind.SCRUTINY:
        raise exceptions.InvalidValue(
            f"{singular} has no report date: only a scrutiny plan has the executive's "
            "response to a committee's report"
        )


def list_plans(ctx: Context) -> list[PlanView]:
    with ctx.database.reading() as session:
        return [plan_view(plan) for plan in plan_store.all_plans(session)]


def find_or_add_theme(session: Session, plan_id: int, title: str) -> Theme:
    """The plan's theme of this title (spaces folded), added last if it has none."""
    title = " ".join(title.split())
    theme = plan_store.theme_named(session, plan_id, title)
    return theme if theme is not None else plan_store.add_theme(session, plan_id, title)


def find_or_add_objective(
    session: Session, theme: Theme, text: str, reference: str | None = None
) -> Objective:
    """The theme's objective of this reference (or text, without one), added last if new."""
    assert theme.id is not None
    objective = plan_store.objective_in_theme(session, theme.id, reference, text)
    if objective is None:
        objective = plan_store.add_objective(session, theme.id, text, reference)
    return objective


@dataclass(frozen=True)
class NewAction:
    plan_id: int
    theme: str
    objective: str
    description: str
    owner_email: str | None
    target_date: date | None = None
    start_date: date | None = None
    objective_reference: str | None = None
    reference: str | None = None
    lead_text: str | None = None
    timescale_raw: str | None = None


def refuse_if_rolled_over(plan: Plan) -> None:
    """A plan rolled over to next year takes no new actions: next year's plan carries its work
    on, and an action added here would never be reported or carried."""
    if plan.rolled_over_to_id is None:
        return
    when = f" on {long_date(as_london(plan.rolled_over_at).date())}" if plan.rolled_over_at else ""
    raise exceptions.Refused(
        f"Plan {plan.id} ({plan.title}) was rolled over to plan {plan.rolled_over_to_id}{when}: "
        f"add its actions to plan {plan.rolled_over_to_id}, which carries this year's work on"
    )


def add_action(ctx: Context, new: NewAction, *, by_email: str | None = None) -> int:
    """Add an action to a plan in the workflow's initial state; returns its id."""
    if not new.description.strip():
        raise exceptions.InvalidValue("An action needs a description")
    if not new.theme.strip() or not new.objective.strip():
        raise exceptions.InvalidValue("An action needs a theme and an objective")
    if new.start_date and new.target_date and new.start_date > new.target_date:
        raise exceptions.InvalidValue(
            f"The start date, {long_date(new.start_date)}, is after the target date, "
            f"{long_date(new.target_date)}: give a start on or before the target"
        )
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, new.plan_id)
        assert plan.id is not None
        refuse_if_rolled_over(plan)
        owner = people_store.person_by_email(session, new.owner_email) if new.owner_email else None
        actor = people_store.person_by_email(session, by_email) if by_email else None
        theme = find_or_add_theme(session, plan.id, new.theme)
        objective = find_or_add_objective(
            session, theme, new.objective.strip(), new.objective_reference
        )
        assert objective.id is not None
        action = insert_action(
            session,
            plan,
            objective.id,
            new,
            owner_id=owner.id if owner else None,
            state=ctx.workflows.workflow(plan.workflow).initial,
            now=now,
        )
        assert action.id is not None
        added = recorded.ActionCreated(
            action_id=action.id,
            actor_id=actor.id if actor else None,
            state=action.state,
            plan_id=plan.id,
            description=action.description,
        )
        audit.record(session, added, at=now)
        return action.id


def insert_action(
    session: Session,
    plan: Plan,
    objective_id: int,
    new: NewAction,
    *,
    owner_id: int | None,
    state: str,
    now: datetime,
) -> Action:
    assert plan.id is not None
    action = Action(
        plan_id=plan.id,
        objective_id=objective_id,
        reference=new.reference,
        description=new.description.strip(),
        owner_id=owner_id,
        lead_text=new.lead_text,
        start_date=new.start_date,
        target_date=new.target_date,
        timescale_raw=new.timescale_raw,
        state=state,
        heard_from_at=now,
        quiet_since=now,
        created_at=now,
        updated_at=now,
    )
    return plan_store.add_action(session, action)
