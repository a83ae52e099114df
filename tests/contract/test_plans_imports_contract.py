"""The plan title and import contract, held by the in-memory fake, SQLite and PostgreSQL: a
plan's title is found only within its own council, a council's lead directory holds only its
own people and those of no council, and an import batch's actions and file progress are found
again by plan and key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from contract_backends import Backend, fake_people

from improveflow.models import Plan
from improveflow.services import people, plans
from improveflow.stores import imports
from improveflow.stores import plans as plan_store
from improveflow.stores.protocols import ImportStore, PlanTitleStore
from improveflow.testing import SAMPLE_PEOPLE, add_plan
from improveflow.testing.fakes import FakeImports, FakePerson, FakePlanTitles

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
TITLE = "Corporate Peer Challenge Action Plan"
NORTH, SOUTH = "Northshire Council", "Southvale Council"
# Two councils' own people besides the sample council's, who have no council recorded.
COUNCIL_PEOPLE = (
    people.PersonInput(
        "Nia Bell", "nia@northshire.example", ("Head of Housing",), organisation=NORTH
    ),
    people.PersonInput(
        "Sol Grant", "sol@southvale.example", ("Head of Housing",), organisation=SOUTH
    ),
)
NIA, SOL = "nia@northshire.example", "sol@southvale.example"


@pytest.fixture
def titles(backend: Backend) -> PlanTitleStore:
    return FakePlanTitles() if backend.is_fake else plan_store


@pytest.fixture
def directory(backend: Backend) -> tuple[ImportStore, dict[str, int]]:
    """The import store with both councils' people in it, and everyone's id by email."""
    if backend.context is None:
        everyone = list(SAMPLE_PEOPLE) + list(COUNCIL_PEOPLE)
        known = {
            number: FakePerson(person.name, person.email, person.organisation)
            for number, person in enumerate(everyone, start=1)
        }
        aliases = {number: person.aliases for number, person in enumerate(everyone, start=1)}
        assert set(fake_people()) < set(known)
        return FakeImports(known, aliases), {p.email: n for n, p in known.items()}
    people.import_people(backend.context, COUNCIL_PEOPLE)
    ids = {person.email: person.id for person in people.list_people(backend.context)}
    return imports, ids


def test_a_plan_title_is_found_only_within_its_own_council(
    backend: Backend, titles: PlanTitleStore
) -> None:
    """Two councils and a plan of none share a title: each is found only under its own council
    (as people type it), the one of none only when no council is given, and a third council
    finds nothing."""
    found_ids = {}
    with backend.writing() as session:
        for organisation in (NORTH, SOUTH, None):
            plan = Plan(title=TITLE, kind="peer_challenge", workflow="default")
            plan.organisation, plan.created_at = organisation, NOW
            found_ids[organisation] = titles.add_plan(session, plan).id
    with backend.writing() as session:
        north = titles.plan_titled(session, TITLE, "northshire council")
        south = titles.plan_titled(session, TITLE, SOUTH)
        of_none = titles.plan_titled(session, TITLE, None)
        elsewhere = titles.plan_titled(session, TITLE, "Westmoor Council")
        other_title = titles.plan_titled(session, "Another Plan", NORTH)

    assert north is not None
    assert south is not None
    assert of_none is not None
    assert (north.id, north.organisation) == (found_ids[NORTH], NORTH)
    assert (south.id, south.organisation) == (found_ids[SOUTH], SOUTH)
    assert (of_none.id, of_none.organisation) == (found_ids[None], None)
    assert elsewhere is None
    assert other_title is None


def test_the_lead_directory_holds_the_councils_people_and_those_of_none(
    backend: Backend, directory: tuple[ImportStore, dict[str, int]]
) -> None:
    """A council's plan may name its own people and those of no council, never another
    council's (the council named as people type it); each comes with the names they go by. A
    plan of no council may name anyone."""
    store, ids = directory
    with backend.writing() as session:
        north = store.lead_directory(session, "  northshire   COUNCIL ")
        anyone = store.lead_directory(session, None)

    sample = [person.email for person in SAMPLE_PEOPLE]
    assert sorted(person.email for person in north) == sorted([*sample, NIA])
    assert sorted(person.email for person in anyone) == sorted([*sample, NIA, SOL])
    by_email = {person.email: person for person in north}
    assert (by_email[NIA].person_id, by_email[NIA].name) == (ids[NIA], "Nia Bell")
    assert by_email[NIA].aliases == ("Head of Housing",)
    assert by_email["dana@council.example"].aliases == ("Head of Finance",)
    assert [person.person_id for person in north] == sorted(person.person_id for person in north)


@pytest.fixture
def outline(backend: Backend) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two plans (ids) and an objective of each to import actions into."""
    if backend.context is None:
        return (1, 2), (1, 2)
    plan_ids = (add_plan(backend.context), add_plan(backend.context, "Second Plan"))
    with backend.context.database.writing() as session:
        objectives = tuple(
            plans.find_or_add_objective(
                session, plans.find_or_add_theme(session, plan_id, "Theme"), "Objective"
            ).id
            for plan_id in plan_ids
        )
    assert objectives[0] is not None
    assert objectives[1] is not None
    return plan_ids, (objectives[0], objectives[1])


def action_row(
    plan_id: int, objective_id: int, key: str, owner_id: int | None
) -> dict[str, object]:
    """An imported action's row, as an import writes it."""
    return {
        "plan_id": plan_id,
        "objective_id": objective_id,
        "description": f"Action {key}",
        "owner_id": owner_id,
        "lead_text": "Head of Finance" if owner_id else "Someone unknown",
        "target_date": date(2015, 3, 31),
        "timescale_raw": "March 2015",
        "import_key": key,
        "state": "in_progress",
        "version": 1,
        "heard_from_at": NOW,
        "quiet_since": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_an_import_batch_is_found_again_by_plan_and_key(
    backend: Backend,
    outline: tuple[tuple[int, int], tuple[int, int]],  # before the councils' people arrive
    directory: tuple[ImportStore, dict[str, int]],
) -> None:
    """A batch's actions come back by import key with what was stored, each plan's only (one
    key may be in two plans); a plan's file progress is each action's newest from a file, not an
    owner's own later update."""
    store, ids = directory
    (plan, other_plan), (objective, other_objective) = outline
    dana = ids["dana@council.example"]
    with backend.writing() as session:
        inserted = store.insert_actions(
            session,
            [action_row(plan, objective, "R1", dana), action_row(plan, objective, "R2", None)],
        )
        other = store.insert_actions(session, [action_row(other_plan, other_objective, "R1", None)])
        first, second = inserted["R1"], inserted["R2"]
        store.insert_progress(
            session,
            [
                {
                    "action_id": first,
                    "text": "Q1 from the file",
                    "created_at": NOW,
                    "author_id": None,
                },
                {
                    "action_id": other["R1"],
                    "text": "Elsewhere",
                    "created_at": NOW,
                    "author_id": None,
                },
            ],
        )
        later = NOW + timedelta(days=90)
        store.insert_progress(
            session,
            [
                {
                    "action_id": first,
                    "text": "Q2 from the file",
                    "created_at": later,
                    "author_id": None,
                },
                {"action_id": first, "text": "Dana's own", "created_at": later, "author_id": dana},
            ],
        )
    with backend.writing() as session:
        found = store.imported_actions(session, plan)
        progress = store.latest_file_progress(session, plan)

    assert sorted(inserted) == ["R1", "R2"]
    assert len({first, second, other["R1"]}) == 3
    assert {key: action.id for key, action in found.items()} == inserted
    stored = found["R1"]
    assert (stored.state, stored.lead_text, stored.timescale_raw) == (
        "in_progress",
        "Head of Finance",
        "March 2015",
    )
    assert (stored.target_date, stored.owner_id) == (date(2015, 3, 31), dana)
    assert found["R2"].owner_id is None
    assert progress == {first: "Q2 from the file"}
