"""Starting a web session, with the session store faked in memory: a link's session reaches
its one page for its lifetime and no longer, the browser's key is never stored (only its hash),
each session has its own key and form token, and sessions that have ended are cleared first."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from improveflow.services import sessions
from improveflow.services.link_scope import LinkScope, ScopeKind
from improveflow.stores.sessions import StoredSession
from improveflow.testing.fakes import FakePerson, FakeWebSessions

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
OWEN = 4
# The fake ignores the transaction it is handed.
NO_TRANSACTION: Any = None


def fake_store() -> FakeWebSessions:
    return FakeWebSessions({OWEN: FakePerson("Owen Marsh", "owen@council.example")})


def start(store: FakeWebSessions, scope: LinkScope | None = None) -> sessions.NewSession:
    lifetime = sessions.SIGN_IN_SESSION if scope is None else sessions.LINK_SESSION
    return sessions.start(
        NO_TRANSACTION,
        OWEN,
        via="sign_in" if scope is None else scope.kind.value,
        now=NOW,
        lifetime=lifetime,
        scope=scope,
        store=store,
    )


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_a_links_session_reaches_its_one_page_for_an_hour() -> None:
    """A session started from an action's link is scoped to that action and ends after an hour."""
    store = fake_store()

    new = start(store, LinkScope(ScopeKind.ACTION, 12))

    almost = store.signed_in(NO_TRANSACTION, key_hash(new.key), NOW + timedelta(minutes=59))
    assert almost is not None
    assert (almost.scope, almost.email, almost.csrf_token) == (
        "action:12",
        "owen@council.example",
        new.csrf_token,
    )
    assert new.expires_at == NOW + timedelta(hours=1)
    assert store.signed_in(NO_TRANSACTION, key_hash(new.key), NOW + timedelta(hours=1)) is None


def test_signing_in_reaches_everything_for_a_working_day() -> None:
    """A session started by signing in is whole, and lasts twelve hours."""
    store = fake_store()

    new = start(store)

    found = store.signed_in(NO_TRANSACTION, key_hash(new.key), NOW + timedelta(hours=11))
    assert found is not None
    assert found.scope == "all"
    assert new.expires_at == NOW + timedelta(hours=12)


def test_only_the_keys_hash_is_stored_and_each_session_has_its_own_secrets() -> None:
    """The cookie's key is never kept, only its SHA-256; two sessions share no key or token."""
    store = fake_store()

    first, second = start(store), start(store)

    assert set(store.sessions) == {key_hash(first.key), key_hash(second.key)}
    assert first.key not in store.sessions
    assert first.key != second.key
    assert first.csrf_token != second.csrf_token


def test_starting_a_session_clears_those_that_have_ended() -> None:
    """Sessions that ended before now are deleted; one still live is kept."""
    store = fake_store()
    for key, ends in (("ended", NOW - timedelta(minutes=1)), ("live", NOW + timedelta(hours=1))):
        store.add_session(
            NO_TRANSACTION,
            StoredSession(key, OWEN, "csrf", "sign_in", "all", NOW - timedelta(hours=2), ends),
        )

    new = start(store)

    assert set(store.sessions) == {"live", key_hash(new.key)}
