"""The actions contract, held by the in-memory fake, SQLite and PostgreSQL: a change is
compare-and-swap on the version its writer saw, so a writer that lost changes nothing, and an
action's latest progress is its newest update."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from contract_backends import Backend

from improveflow import exceptions
from improveflow.stores import actions
from improveflow.stores.protocols import ActionStore
from improveflow.testing import add_action, add_plan
from improveflow.testing.fakes import FakeActions

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
FIRST_TARGET, SECOND_TARGET = date(2015, 3, 31), date(2015, 6, 30)


@pytest.fixture
def store(backend: Backend) -> ActionStore:
    if backend.is_fake:
        fake = FakeActions()
        fake.add_action(owner_id=backend.person("owen@council.example"), target_date=FIRST_TARGET)
        fake.add_action(owner_id=backend.person("owen@council.example"), target_date=FIRST_TARGET)
        return fake
    return actions


@pytest.fixture
def action_ids(backend: Backend, store: ActionStore) -> tuple[int, int]:
    """Two actions of one plan, each due on FIRST_TARGET."""
    if backend.context is None:
        return (1, 2)
    plan = add_plan(backend.context)
    return (
        add_action(backend.context, plan, target=FIRST_TARGET),
        add_action(backend.context, plan, "Second", target=FIRST_TARGET),
    )


def test_a_move_that_lost_changes_nothing(
    backend: Backend, store: ActionStore, action_ids: tuple[int, int]
) -> None:
    """Two writers see the same version; the first move wins, the second is refused and the
    action keeps the winner's state, target date and version."""
    action_id = action_ids[0]
    with backend.writing() as session:
        seen = store.action_state(session, action_id)
    with backend.writing() as session:
        assert store.move_if_unchanged(session, seen, "in_progress", NOW, SECOND_TARGET)
    with backend.writing() as session:
        assert not store.move_if_unchanged(session, seen, "completed", LATER, date(2016, 1, 1))
        after = store.action_state(session, action_id)

    assert (after.state, after.target_date, after.version) == (
        "in_progress",
        SECOND_TARGET,
        seen.version + 1,
    )


def test_a_move_without_a_target_date_keeps_the_one_it_had(
    backend: Backend, store: ActionStore, action_ids: tuple[int, int]
) -> None:
    """A move that names no new target date leaves the action's target date as it was."""
    with backend.writing() as session:
        seen = store.action_state(session, action_ids[0])
        assert store.move_if_unchanged(session, seen, "in_progress", NOW, None)
        after = store.action_state(session, action_ids[0])

    assert (after.state, after.target_date) == ("in_progress", FIRST_TARGET)


def test_an_update_that_lost_to_a_move_changes_nothing(
    backend: Backend, store: ActionStore, action_ids: tuple[int, int]
) -> None:
    """An action loaded before a move is stale: its update is refused and the action is as the
    move left it; loaded afresh, the update goes through and a move seen before it loses."""
    action_id, other = action_ids
    with backend.writing() as session:
        stale = store.action_by_id(session, action_id)
        seen = store.action_state(session, action_id)
        assert store.move_if_unchanged(session, seen, "in_progress", NOW, None)
        assert not store.update_if_unchanged(session, stale, {"rag": "red"})
    with backend.writing() as session:
        assert store.action_by_id(session, action_id).rag is None
        assert store.action_state(session, action_id).version == seen.version + 1

    with backend.writing() as session:
        before_update = store.action_state(session, action_id)
        fresh = store.action_by_id(session, action_id)
        assert store.update_if_unchanged(session, fresh, {"rag": "amber"})
        assert not store.move_if_unchanged(session, before_update, "completed", LATER, None)
    with backend.writing() as session:
        assert store.action_by_id(session, action_id).rag == "amber"
        after = store.action_state(session, action_id)
        untouched = store.action_state(session, other)
    assert (after.state, after.version) == ("in_progress", seen.version + 2)
    assert untouched.version == seen.version


def test_the_latest_progress_is_the_newest_of_that_action(
    backend: Backend, store: ActionStore, action_ids: tuple[int, int]
) -> None:
    """The latest update is the one written last (the later-recorded of two at one moment),
    counted and read per action; an action with none has no latest."""
    first, other = action_ids
    owen = backend.person("owen@council.example")
    with backend.writing() as session:
        assert store.latest_progress(session, first) is None
        assert store.progress_count(session, first) == 0
        store.add_progress(session, first, "Started", None, owen, NOW)
        store.add_progress(session, first, "Half done", "amber", owen, LATER)
        tie = store.add_progress(session, first, "Nearly done", "green", owen, LATER)
        store.add_progress(session, other, "Other news", None, owen, LATER + timedelta(days=1))
    with backend.writing() as session:
        latest = store.latest_progress(session, first)
        counts = (store.progress_count(session, first), store.progress_count(session, other))

    assert latest is not None
    assert (latest.id, latest.text, latest.rag, latest.author_id) == (
        tie,
        "Nearly done",
        "green",
        owen,
    )
    assert counts == (3, 1)


def test_an_unknown_action_is_not_found(backend: Backend, store: ActionStore) -> None:
    """Asking for an action that does not exist is refused, not answered with nothing."""
    with backend.writing() as session:
        with pytest.raises(exceptions.NotFound):
            store.action_state(session, 999)
        with pytest.raises(exceptions.NotFound):
            store.action_by_id(session, 999)
