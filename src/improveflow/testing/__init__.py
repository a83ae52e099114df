"""Helpers for tests of improveflow and of code built on it: a ready context and factories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from improveflow import resources, schema
from improveflow.clock import FrozenClock
from improveflow.config import load_settings
from improveflow.models import Action, Person, PlanKind, Verdict
from improveflow.services import approvals, people, plans, progress
from improveflow.services.context import Context
from improveflow.stores.tables import table_of

DEFAULT_MOMENT = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)

# A small council: two CMT members, one Cabinet member, two owners, a peer-challenge lead.
SAMPLE_PEOPLE: tuple[people.PersonInput, ...] = (
    people.PersonInput("Dana Reeve", "dana@council.example", ("Head of Finance",), ("CMT",)),
    people.PersonInput("Sam Patel", "sam@council.example", ("Chief Executive",), ("CMT",)),
    people.PersonInput("Cllr Ruth Holt", "ruth@council.example", (), ("Cabinet",)),
    people.PersonInput(
        "Owen Marsh", "owen@council.example", ("Head of Business Transformation",), (), ("owner",)
    ),
    people.PersonInput("Priya Shah", "priya@council.example", ("HRMT",), (), ("owner",)),
    people.PersonInput("Pia Lund", "pia@peers.example", (), (), ("peer_challenge_lead",)),
    people.PersonInput("Alex Smith", "alex@council.example", (), (), ("admin",)),
)


def make_context(
    database_url: str,
    *,
    clock: FrozenClock | None = None,
    workflows_dir: Path | None = None,
    migrate: bool = True,
    **settings: Any,
) -> Context:
    """A context on `database_url` with a frozen clock, brought to the newest schema.

    Further keyword arguments are settings (smtp_port=..., secret_key=...).
    """
    loaded = load_settings(
        database_url=database_url,
        workflows_dir=workflows_dir or resources.bundled_dir("workflows"),
        **settings,
    )
    context = Context.build(loaded, clock or FrozenClock(DEFAULT_MOMENT))
    if migrate:
        schema.upgrade_to_head(context.database)
    return context


def add_sample_people(
    context: Context, sample: Sequence[people.PersonInput] = SAMPLE_PEOPLE
) -> None:
    people.import_people(context, sample)


def add_plan(
    context: Context,
    title: str = "Peer Challenge Improvement Plan",
    kind: PlanKind = PlanKind.PEER_CHALLENGE,
    overrides: dict[str, str] | None = None,
) -> int:
    return plans.create_plan(context, title, kind, approval_overrides=overrides).id


def add_action(
    context: Context,
    plan_id: int,
    description: str = "Extend medium term financial strategy",
    *,
    owner: str | None = "owen@council.example",
    target: date | None = date(2015, 2, 28),
    theme: str = "Financial Planning and Viability",
    objective: str = "Revisit financial assumptions",
) -> int:
    return plans.add_action(
        context,
        plans.NewAction(
            plan_id=plan_id,
            theme=theme,
            objective=objective,
            description=description,
            owner_email=owner,
            target_date=target,
        ),
    )


def complete_action(
    context: Context,
    action_id: int,
    *,
    owner: str = "owen@council.example",
    decider: str = "dana@council.example",
) -> None:
    """Take a drafted action through the workflow to complete, as its owner asks and a member
    of the approving body (CMT in the sample) agrees: approved, started, a progress update,
    complete."""
    for trigger in ("approve", "start", "complete"):
        if trigger == "complete":
            progress.record_progress(context, action_id, "Done", None, by_email=owner)
        asked = approvals.request_change(context, action_id, trigger, by_email=owner)
        if asked.request_id is not None:
            approvals.decide(context, asked.request_id, Verdict.APPROVE, by_email=decider)


def add_owners_with_actions(
    context: Context, count: int, *, target: date | None, heard_from: datetime
) -> list[int]:
    """`count` owners, each with one action in progress due on `target` (or with no target
    date, to be prompted for news), inserted in bulk.

    For load and fault tests that need many distinct recipients; returns the action ids.
    """
    plan_id = add_plan(context)
    people_table, action_table = table_of(Person), table_of(Action)
    with context.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Theme")
        objective_id = plans.find_or_add_objective(session, theme, "Objective").id
        connection = session.connection()
        owners = connection.execute(
            sa.insert(people_table).returning(people_table.c.id, sort_by_parameter_order=True),
            [
                {
                    "name": f"Owner {n}",
                    "email": f"owner{n}@council.example",
                    "reminder_delivery": "immediate",
                    "created_at": heard_from,
                }
                for n in range(count)
            ],
        ).scalars()
        actions = connection.execute(
            sa.insert(action_table).returning(action_table.c.id, sort_by_parameter_order=True),
            [
                {
                    "plan_id": plan_id,
                    "objective_id": objective_id,
                    "description": f"Action {n}",
                    "owner_id": owner,
                    "state": "in_progress",
                    "target_date": target,
                    "heard_from_at": heard_from,
                    "quiet_since": heard_from,
                    "version": 1,
                    "created_at": heard_from,
                    "updated_at": heard_from,
                }
                for n, owner in enumerate(list(owners))
            ],
        ).scalars()
        return list(actions)
