"""Plans belong to one council: imports and new plans name it once several share one install."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from improveflow.exceptions import InvalidValue
from improveflow.models import Action, Plan, PlanKind
from improveflow.services import people, plans
from improveflow.services.context import Context
from improveflow.services.importing import ImportOptions, import_plan_files

PEER = Path(__file__).resolve().parent.parent / "fixtures" / "plans" / "peer_challenge.txt"

# Two councils, each with its own Head of Finance (an alias the fixture's leads use).
TWO_COUNCILS = (
    people.PersonInput(
        "Nia North", "nia@northshire.example", ("Head of Finance",), organisation="Northshire"
    ),
    people.PersonInput(
        "Sol South", "sol@southshire.example", ("Head of Finance",), organisation="Southshire"
    ),
)


def _owners(ctx: Context, plan_id: int) -> set[int | None]:
    with ctx.database.reading() as session:
        return set(session.exec(select(Action.owner_id).where(Action.plan_id == plan_id)).all())


def _person_id(ctx: Context, email: str) -> int:
    return next(p.id for p in people.list_people(ctx) if p.email == email)


def test_an_import_without_an_organisation_is_refused_once_councils_exist(ctx: Context) -> None:
    """A plan with no organisation would be shown to both councils: refused, naming the fix."""
    people.import_people(ctx, TWO_COUNCILS)
    with pytest.raises(InvalidValue) as refused:
        import_plan_files(ctx, [PEER], ImportOptions())
    message = str(refused.value)
    assert "'Northshire', 'Southshire'" in message
    assert "--organisation NAME" in message
    with ctx.database.reading() as session:
        assert session.exec(select(Plan)).all() == []


def test_each_council_gets_its_own_plan_and_its_own_owners(ctx: Context) -> None:
    """One file imported for two councils makes two plans; leads match only their own people."""
    people.import_people(ctx, TWO_COUNCILS)
    north = import_plan_files(ctx, [PEER], ImportOptions(organisation="northshire")).plans[0]
    south = import_plan_files(ctx, [PEER], ImportOptions(organisation="Southshire")).plans[0]
    assert north.plan_id != south.plan_id
    assert north.plan_created
    assert south.plan_created
    with ctx.database.reading() as session:
        stored = {p.id: p.organisation for p in session.exec(select(Plan)).all()}
    # The spelling already in use is kept, whatever case was typed.
    assert stored == {north.plan_id: "Northshire", south.plan_id: "Southshire"}
    assert north.plan_id is not None
    assert south.plan_id is not None
    nia, sol = _person_id(ctx, "nia@northshire.example"), _person_id(ctx, "sol@southshire.example")
    assert nia in _owners(ctx, north.plan_id)
    assert sol not in _owners(ctx, north.plan_id)
    assert sol in _owners(ctx, south.plan_id)
    assert nia not in _owners(ctx, south.plan_id)

    again = import_plan_files(ctx, [PEER], ImportOptions(organisation="Northshire")).plans[0]
    assert again.plan_id == north.plan_id
    assert not again.plan_created


def test_a_single_council_needs_no_organisation(ctx: Context) -> None:
    """With no organisation anywhere, imports and new plans work as before, shared by all."""
    report = import_plan_files(ctx, [PEER], ImportOptions())
    assert report.plans[0].plan_created
    view = plans.create_plan(ctx, "Service Plan 2026/27", PlanKind.SERVICE_PLAN)
    assert view.organisation is None


def test_creating_a_plan_follows_the_same_rule(ctx: Context) -> None:
    """`plan create` refuses a plan with no council once one exists, and keeps its spelling."""
    plans.create_plan(ctx, "Audit Tracker", PlanKind.ACTION_PLAN, organisation="Northshire")
    with pytest.raises(InvalidValue, match="--organisation"):
        plans.create_plan(ctx, "Service Plan", PlanKind.SERVICE_PLAN)
    view = plans.create_plan(
        ctx, "Service Plan", PlanKind.SERVICE_PLAN, organisation=" NORTHSHIRE "
    )
    assert view.organisation == "Northshire"
