"""The web session and spent-link contract, held by the in-memory fake, SQLite and PostgreSQL:
a session resolves to its person only while it lives and until it is ended, and a link's nonce
is spent once however often it is tried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contract_backends import Backend, fake_people

from improveflow.stores import sessions
from improveflow.stores.protocols import SpentLinkStore, WebSessionStore
from improveflow.stores.sessions import StoredSession
from improveflow.testing.fakes import FakeSpentLinks, FakeWebSessions

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store(backend: Backend) -> WebSessionStore:
    return FakeWebSessions(fake_people()) if backend.is_fake else sessions


@pytest.fixture
def links(backend: Backend) -> SpentLinkStore:
    return FakeSpentLinks() if backend.is_fake else sessions


def start(
    backend: Backend,
    store: WebSessionStore,
    key: str,
    *,
    email: str = "dana@council.example",
    lasts: timedelta = HOUR,
    scope: str = "all",
) -> None:
    stored = StoredSession(
        key_hash=key,
        person_id=backend.person(email),
        csrf_token=f"csrf-{key}",
        via="sign_in",
        scope=scope,
        created_at=NOW,
        expires_at=NOW + lasts,
    )
    with backend.writing() as session:
        store.add_session(session, stored)


def resolve(backend: Backend, store: WebSessionStore, key: str, at: datetime = NOW) -> str | None:
    """The email of the person the session with this key resolves to at `at`, if any."""
    with backend.writing() as session:
        found = store.signed_in(session, key, at)
    return None if found is None else found.email


def test_a_live_session_resolves_to_its_person_and_its_scope(
    backend: Backend, store: WebSessionStore
) -> None:
    """A session resolves to its person's name and email, its form token and what it reaches."""
    start(backend, store, "k1", email="ruth@council.example", scope="action:12")

    with backend.writing() as session:
        found = store.signed_in(session, "k1", NOW + timedelta(minutes=5))

    assert found is not None
    assert (found.person_id, found.name, found.email) == (
        backend.person("ruth@council.example"),
        "Cllr Ruth Holt",
        "ruth@council.example",
    )
    assert (found.csrf_token, found.scope, found.organisation) == ("csrf-k1", "action:12", None)
    assert found.expires_at == NOW + HOUR


def test_an_ended_session_no_longer_resolves(backend: Backend, store: WebSessionStore) -> None:
    """Signing out ends that session only: another browser's session still resolves."""
    start(backend, store, "k1")
    start(backend, store, "k2", email="sam@council.example")

    with backend.writing() as session:
        store.end_session(session, "k1")

    assert resolve(backend, store, "k1") is None
    assert resolve(backend, store, "k2") == "sam@council.example"


def test_a_session_stops_resolving_when_it_expires(
    backend: Backend, store: WebSessionStore
) -> None:
    """A session resolves up to its expiry and not at or after it; an unknown key never."""
    start(backend, store, "k1", lasts=HOUR)

    assert resolve(backend, store, "k1", NOW + HOUR - timedelta(seconds=1)) is not None
    assert resolve(backend, store, "k1", NOW + HOUR) is None
    assert resolve(backend, store, "unknown") is None


def test_ending_an_unknown_session_changes_nothing(
    backend: Backend, store: WebSessionStore
) -> None:
    """Signing out twice, or with a key never stored, leaves the other sessions alone."""
    start(backend, store, "k1")

    with backend.writing() as session:
        store.end_session(session, "never-stored")

    assert resolve(backend, store, "k1") == "dana@council.example"


def test_forgetting_ended_sessions_keeps_those_still_live(
    backend: Backend, store: WebSessionStore
) -> None:
    """Only sessions that ended before the moment are forgotten; one ending then is kept."""
    start(backend, store, "short", lasts=HOUR)
    start(backend, store, "exact", lasts=2 * HOUR)
    start(backend, store, "long", lasts=3 * HOUR)

    with backend.writing() as session:
        store.forget_ended(session, NOW + 2 * HOUR)

    # Asked about an earlier moment, a forgotten session no longer resolves; the others do.
    assert resolve(backend, store, "short") is None
    assert resolve(backend, store, "exact") is not None
    assert resolve(backend, store, "long") is not None


def test_a_link_is_spent_once(backend: Backend, links: SpentLinkStore) -> None:
    """The first use of a nonce spends it; any later one, by anyone, is told it was spent."""
    dana, sam = backend.person("dana@council.example"), backend.person("sam@council.example")
    with backend.writing() as session:
        assert not links.is_spent(session, "n1")
        assert links.spend(session, nonce="n1", purpose="sign_in", person_id=dana, now=NOW)
    with backend.writing() as session:
        assert links.is_spent(session, "n1")
        assert not links.spend(session, nonce="n1", purpose="action", person_id=sam, now=NOW)
        assert not links.is_spent(session, "n2")


def test_forgetting_spent_links_counts_only_those_used_before(
    backend: Backend, links: SpentLinkStore
) -> None:
    """Nonces used before the moment are forgotten and counted; one used at it is kept."""
    dana = backend.person("dana@council.example")
    with backend.writing() as session:
        for nonce, at in (("old1", NOW), ("old2", NOW + HOUR), ("kept", NOW + 2 * HOUR)):
            links.spend(session, nonce=nonce, purpose="sign_in", person_id=dana, now=at)

    with backend.writing() as session:
        assert links.forget_spent_before(session, NOW + 2 * HOUR) == 2

    with backend.writing() as session:
        assert [links.is_spent(session, n) for n in ("old1", "old2", "kept")] == [
            False,
            False,
            True,
        ]
