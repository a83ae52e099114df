"""The mail rate limit's contract, held by the in-memory fake, SQLite and PostgreSQL: a share of
a mailbox's minute, once taken, is not handed out again while it counts, whichever worker asks,
and it shrinks or lasts exactly as the run that took it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contract_backends import Backend

from improveflow.stores.outbox import rate
from improveflow.stores.protocols import MailRateStore
from improveflow.testing.fakes import FakeMailRate

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MAILBOX = "plans@council.example"
LIMIT = 30


@pytest.fixture
def store(backend: Backend) -> MailRateStore:
    return FakeMailRate() if backend.is_fake else rate


def available(
    backend: Backend, store: MailRateStore, at: datetime = NOW, box: str = MAILBOX
) -> int:
    with backend.connection() as connection:
        return store.available(connection, box, at, LIMIT)


def take(
    backend: Backend, store: MailRateStore, emails: int, until: datetime, box: str = MAILBOX
) -> int:
    """As a dispatch run does: read what is left and take a share in one transaction."""
    with backend.connection() as connection:
        share = min(emails, store.available(connection, box, NOW, LIMIT))
        return store.take(connection, box, share, NOW, until)


def test_a_claimed_share_is_not_handed_out_twice(backend: Backend, store: MailRateStore) -> None:
    """Two workers on one mailbox together never get more than its minute's limit."""
    first = take(backend, store, 20, NOW + 2 * MINUTE)
    second = take(backend, store, 20, NOW + 2 * MINUTE)

    assert first != second
    assert available(backend, store) == 0
    with backend.connection() as connection:
        assert store.spent(connection, MAILBOX, NOW) == LIMIT
        # A third worker asking now may take nothing.
        assert store.available(connection, MAILBOX, NOW + MINUTE, LIMIT) == 0


def test_mailboxes_are_compared_without_case_and_counted_apart(
    backend: Backend, store: MailRateStore
) -> None:
    """The same mailbox written differently shares one budget; another mailbox has its own."""
    take(backend, store, 12, NOW + MINUTE)

    assert available(backend, store, box=" Plans@Council.EXAMPLE ") == LIMIT - 12
    assert available(backend, store, box="other@council.example") == LIMIT


def test_a_share_counts_until_its_moment_and_then_frees_the_budget(
    backend: Backend, store: MailRateStore
) -> None:
    """A share counts while it may still be sent, and not from the moment it stops counting."""
    take(backend, store, 25, NOW + MINUTE)

    with backend.connection() as connection:
        assert store.spent(connection, MAILBOX, NOW + MINUTE - timedelta(seconds=1)) == 25
        assert store.spent(connection, MAILBOX, NOW + MINUTE) == 0
    assert available(backend, store, NOW + MINUTE - timedelta(seconds=1)) == LIMIT - 25
    assert available(backend, store, NOW + MINUTE) == LIMIT


def test_extending_a_share_keeps_it_counting_and_never_shortens_it(
    backend: Backend, store: MailRateStore
) -> None:
    """A renewed lease keeps the share counting; an earlier moment leaves it as it was."""
    claim = take(backend, store, 10, NOW + MINUTE)
    with backend.connection() as connection:
        store.extend(connection, claim, NOW + 3 * MINUTE)
        store.extend(connection, claim, NOW + 2 * MINUTE)

    assert available(backend, store, NOW + 3 * MINUTE - timedelta(seconds=1)) == LIMIT - 10
    assert available(backend, store, NOW + 3 * MINUTE) == LIMIT


def test_settling_shrinks_a_share_to_what_was_sent(backend: Backend, store: MailRateStore) -> None:
    """A run that ends counts only the emails it sent, until the moment it settles on."""
    claim = take(backend, store, 20, NOW + 5 * MINUTE)
    with backend.connection() as connection:
        store.settle(connection, claim, 7, NOW + MINUTE)

    assert available(backend, store) == LIMIT - 7
    assert available(backend, store, NOW + MINUTE) == LIMIT


def test_a_run_that_sent_nothing_gives_its_whole_share_back(
    backend: Backend, store: MailRateStore
) -> None:
    """Settling on no emails frees the share at once; the other run's share still counts."""
    kept = take(backend, store, 10, NOW + 5 * MINUTE)
    dropped = take(backend, store, 20, NOW + 5 * MINUTE)
    with backend.connection() as connection:
        store.settle(connection, dropped, 0, NOW + MINUTE)
        assert store.spent(connection, MAILBOX, NOW) == 10
    assert kept != dropped
    assert available(backend, store) == LIMIT - 10
