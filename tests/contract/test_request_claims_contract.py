"""The approval request contract, held by the in-memory fake, SQLite and PostgreSQL: one
pending request per action, a claim that finds the request already decided changes nothing,
and a claim records a final outcome (or a lone decider's) at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contract_backends import Backend

from improveflow import exceptions
from improveflow.models import RequestStatus
from improveflow.stores import requests
from improveflow.stores.protocols import RequestClaimStore
from improveflow.testing import add_action, add_plan
from improveflow.testing.fakes import FakeRequestClaims

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
PENDING, APPROVED, REJECTED = RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.REJECTED


@pytest.fixture
def store(backend: Backend) -> RequestClaimStore:
    return FakeRequestClaims() if backend.is_fake else requests


@pytest.fixture
def actions(backend: Backend) -> tuple[int, int]:
    """Two actions to ask about."""
    if backend.context is None:
        return (1, 2)
    plan = add_plan(backend.context)
    return (add_action(backend.context, plan), add_action(backend.context, plan, "Second"))


def open_request(
    backend: Backend, store: RequestClaimStore, action_id: int, quorum: int = 1
) -> int:
    with backend.writing() as session:
        return store.insert_request(
            session,
            action_id=action_id,
            transition="approve_plan",
            requester_id=backend.person("owen@council.example"),
            body="CMT",
            quorum=quorum,
            reason="Ready",
            new_target_date=None,
            at=NOW,
        )


def claim(
    backend: Backend,
    store: RequestClaimStore,
    request_id: int,
    outcome: RequestStatus = APPROVED,
    *,
    final: bool = False,
) -> RequestStatus | None:
    """The request's status after the claim, or None when the claim found it decided."""
    with backend.writing() as session:
        found = store.claim_request(session, request_id, outcome=outcome, final=final, at=LATER)
    return None if found is None else found.status


def test_an_action_has_one_pending_request_at_a_time(
    backend: Backend, store: RequestClaimStore, actions: tuple[int, int]
) -> None:
    """A second request on an action already waiting is refused; another action may ask."""
    first, other = actions
    open_request(backend, store, first)

    with pytest.raises(exceptions.RequestAlreadyPending):
        open_request(backend, store, first)
    open_request(backend, store, other)


def test_a_claim_returns_the_request_as_asked(
    backend: Backend, store: RequestClaimStore, actions: tuple[int, int]
) -> None:
    """The claimed request carries what was asked: action, requester, body, quorum, reason."""
    request_id = open_request(backend, store, actions[0], quorum=2)

    with backend.writing() as session:
        found = store.claim_request(session, request_id, outcome=APPROVED, final=False, at=LATER)

    assert found is not None
    assert (found.id, found.action_id, found.transition, found.requester_id) == (
        request_id,
        actions[0],
        "approve_plan",
        backend.person("owen@council.example"),
    )
    assert (found.body, found.quorum, found.reason, found.new_target_date) == (
        "CMT",
        2,
        "Ready",
        None,
    )


def test_a_lone_deciders_claim_decides_and_a_later_claim_changes_nothing(
    backend: Backend, store: RequestClaimStore, actions: tuple[int, int]
) -> None:
    """With a quorum of one the claim records the outcome; a rival claim then finds the request
    decided and gets nothing, and the action may ask again."""
    request_id = open_request(backend, store, actions[0])

    assert claim(backend, store, request_id, APPROVED) == APPROVED
    assert claim(backend, store, request_id, REJECTED, final=True) is None
    assert claim(backend, store, request_id, APPROVED) is None
    open_request(backend, store, actions[0])  # no longer pending: a new request is allowed


def test_a_claim_short_of_the_quorum_leaves_the_request_pending_until_a_final_one(
    backend: Backend, store: RequestClaimStore, actions: tuple[int, int]
) -> None:
    """One approval of two keeps the request pending (a second may claim it); a rejection is
    final at once."""
    request_id = open_request(backend, store, actions[0], quorum=2)

    assert claim(backend, store, request_id, APPROVED) == PENDING
    assert claim(backend, store, request_id, APPROVED) == PENDING
    assert claim(backend, store, request_id, REJECTED, final=True) == REJECTED
    assert claim(backend, store, request_id, APPROVED) is None


def test_a_closed_request_cannot_be_claimed(
    backend: Backend, store: RequestClaimStore, actions: tuple[int, int]
) -> None:
    """Once closed (the quorum reached), no claim takes it, and the action is free again."""
    request_id = open_request(backend, store, actions[0], quorum=2)
    with backend.writing() as session:
        store.close_request(session, request_id, APPROVED, LATER)

    assert claim(backend, store, request_id, REJECTED, final=True) is None
    open_request(backend, store, actions[0])


def test_a_request_that_was_never_opened_cannot_be_claimed(
    backend: Backend, store: RequestClaimStore
) -> None:
    """Claiming an unknown request finds nothing to claim."""
    assert claim(backend, store, 999) is None
