"""My actions: everything a person owns or stands in for, soonest due first, and what is asked.

What is asked follows the action's own workflow: it is overdue once its target date has passed;
due soon from the first reminder (the largest reminder offset, in working days of the
workflow's calendar); with no target date, a progress update is due when the owner has given
no news for the progress-prompt interval, as the sweep prompts; and a pending request waits
for the body that decides it. Only states the workflow reminds about are due or overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.reminders import SweepPlanner
from improveflow.services.context import Context
from improveflow.services.deputies import StandIn, standing_in_on
from improveflow.stores import my_actions as owned
from improveflow.stores import people
from improveflow.stores.my_actions import PendingRequest
from improveflow.workflow.definition import Workflow


class AskKind(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UPDATE_DUE = "update_due"  # no target date, and no news for the prompt interval
    NEXT_UPDATE = "next_update"  # no target date: when the next update is due
    AWAITING_DECISION = "awaiting_decision"


@dataclass(frozen=True)
class Ask:
    """One thing asked about an action; the page words it from these fields."""

    kind: AskKind
    on: date | None = None  # the target date, last news, next update or request date
    working_days: int | None = None  # overdue by, or left until the target date
    weeks: int | None = None  # the progress-prompt interval
    body: str | None = None  # the deciding body's title
    change: str | None = None  # what the request asks for: "mark the action complete"
    requested_by: str | None = None  # None when the person asked for it themselves


@dataclass(frozen=True)
class MyAction:
    id: int
    description: str
    plan: str
    state: str  # the state's label
    target_date: date | None
    owner: str
    stand_in: StandIn | None  # set when the person stands in for the owner
    asks: tuple[Ask, ...]


@dataclass(frozen=True)
class MyActions:
    actions: list[MyAction]
    standing_in_for: list[StandIn]  # whom the person stands in for today
    today: date


@dataclass(frozen=True)
class ActionFacts:
    """What decides the asks about one action."""

    state: str
    target_date: date | None
    heard_from_at: datetime | None  # the owner's last news (or the action's creation)
    pending: PendingRequest | None


def my_actions(ctx: Context, person_id: int, organisation: str | None) -> MyActions:
    """The open actions `person_id` owns or stands in for, in plans they may see."""
    now = ctx.clock.now()
    today = as_london(now).date()
    with ctx.database.reading() as session:
        stand_ins = standing_in_on(session, person_id, today)
        covering = {stand_in.member_id: stand_in for stand_in in stand_ins}
        rows = owned.owned_actions(session, [person_id, *covering], organisation)
        names = people.names_by_id(
            session,
            [row.owner_id for row in rows]
            + [row.pending.requester_id for row in rows if row.pending is not None],
        )
    planners: dict[str, SweepPlanner] = {}
    found: list[tuple[tuple[bool, date, int], MyAction]] = []
    for row in rows:
        if row.workflow not in planners:
            planners[row.workflow] = SweepPlanner(ctx.workflows.workflow(row.workflow))
        planner = planners[row.workflow]
        state = planner.workflow.states.get(row.state)
        if state is not None and state.final:
            continue
        facts = ActionFacts(row.state, row.target_date, row.heard_from_at, row.pending)
        # Soonest due first; with no target date, last, by when the next update is due.
        when = row.target_date or _update_due_on(facts.heard_from_at, planner) or date.max
        found.append(
            (
                (row.target_date is None, when, row.id),
                MyAction(
                    id=row.id,
                    description=row.description,
                    plan=row.plan,
                    state=state.label if state else row.state,
                    target_date=row.target_date,
                    owner=names.get(row.owner_id, ""),
                    stand_in=covering.get(row.owner_id) if row.owner_id != person_id else None,
                    asks=asks_for(facts, planner, now, person_id, names),
                ),
            )
        )
    found.sort(key=lambda pair: pair[0])
    return MyActions([action for _, action in found], stand_ins, today)


def asks_for(
    facts: ActionFacts,
    planner: SweepPlanner,
    now: datetime,
    person_id: int,
    names: dict[int, str],
) -> tuple[Ask, ...]:
    """What is asked about one action, seen by `person_id`, at `now`."""
    today = planner.today(now)
    target = facts.target_date
    asks: list[Ask] = []
    if facts.state in planner.states:
        if target is not None and target < today:
            overdue = planner.working_days_overdue(target, now)
            asks.append(Ask(AskKind.OVERDUE, on=target, working_days=overdue))
        elif target is not None:
            left = planner.working_days_left(target, now)
            if left <= max(planner.reminders.offsets_working_days, default=-1):
                asks.append(Ask(AskKind.DUE_SOON, on=target, working_days=left))
        else:
            asks.extend(_update(facts.heard_from_at, planner, today))
    if facts.pending is not None:
        pending = facts.pending
        asks.append(
            Ask(
                AskKind.AWAITING_DECISION,
                on=as_london(pending.requested_at).date(),
                body=planner.workflow.body_title(pending.body),
                change=_change(planner.workflow, pending.transition),
                requested_by=(
                    None if pending.requester_id == person_id else names.get(pending.requester_id)
                ),
            )
        )
    return tuple(asks)


def _update_due_on(heard_from_at: datetime | None, planner: SweepPlanner) -> date | None:
    if heard_from_at is None:
        return None
    weeks = planner.reminders.progress_prompt_weeks
    return as_london(heard_from_at).date() + timedelta(weeks=weeks)


def _update(heard_from_at: datetime | None, planner: SweepPlanner, today: date) -> list[Ask]:
    """With no target date: an update is due once the prompt interval has passed in silence."""
    due = _update_due_on(heard_from_at, planner)
    if heard_from_at is None or due is None:
        return []
    weeks = planner.reminders.progress_prompt_weeks
    if due <= today:
        return [Ask(AskKind.UPDATE_DUE, on=as_london(heard_from_at).date(), weeks=weeks)]
    return [Ask(AskKind.NEXT_UPDATE, on=due, weeks=weeks)]


def _change(workflow: Workflow, trigger: str) -> str:
    try:
        return workflow.transition(trigger).label
    except exceptions.IllegalTransition:  # a transition since removed from the workflow
        return trigger.replace("_", " ")


def owns_or_stands_in(ctx: Context, person_id: int, organisation: str | None) -> bool:
    """Whether "My actions" would list anything: the start page for such a person."""
    today = as_london(ctx.clock.now()).date()
    with ctx.database.reading() as session:
        owners = [person_id, *(s.member_id for s in standing_in_on(session, person_id, today))]
        return _any_open(session, ctx, owners, organisation)


def _any_open(session: Session, ctx: Context, owners: list[int], organisation: str | None) -> bool:
    # The distinct (workflow, state) pairs are few whatever the number of actions.
    for workflow_name, state_name in owned.states_owned(session, owners, organisation):
        state = ctx.workflows.workflow(workflow_name).states.get(state_name)
        if state is None or not state.final:
            return True
    return False
