"""The notices and outbox contract, held by the in-memory fake, SQLite and PostgreSQL: a notice
or an email decided twice under one key is recorded once, two claims never share an email, and
an outcome is recorded only on a row its sender still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contract_backends import Backend

from improveflow.models import DeliveryFault, OutboxStatus
from improveflow.stores import outbox
from improveflow.stores.protocols import NoticeOutboxStore
from improveflow.testing.fakes import FakeNoticeOutbox

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
AFTER_LEASE = NOW + LEASE + timedelta(seconds=1)
OWEN, DANA = "owen@council.example", "dana@council.example"
SERVER = DeliveryFault.SERVER


@pytest.fixture
def store(backend: Backend) -> NoticeOutboxStore:
    return FakeNoticeOutbox() if backend.is_fake else outbox


def notice(
    backend: Backend,
    store: NoticeOutboxStore,
    key: str,
    email: str = OWEN,
    *,
    due_at: datetime = NOW,
    data: dict[str, object] | None = None,
) -> int | None:
    with backend.writing() as session:
        return store.add_notice(
            session,
            {
                "idempotency_key": key,
                "kind": "reminder",
                "person_id": backend.person(email),
                "action_id": None,
                "request_id": None,
                "data": data or {},
                "due_at": due_at,
                "created_at": NOW,
            },
        )


def queue(
    backend: Backend,
    store: NoticeOutboxStore,
    key: str,
    *,
    template: str = "reminder",
    due_at: datetime = NOW,
) -> int | None:
    with backend.writing() as session:
        return store.enqueue(
            session,
            key=key,
            template=template,
            recipient_email=OWEN,
            recipient_name="Owen Marsh",
            person_id=backend.person(OWEN),
            context={"key": key},
            due_at=due_at,
            now=NOW,
        )


def claim(
    backend: Backend, store: NoticeOutboxStore, now: datetime = NOW, limit: int = 10
) -> list[int]:
    """The ids of the rows one sender claims, in sending order."""
    with backend.connection() as connection:
        return [row.id for row in store.claim_due(connection, now, limit, LEASE)]


def statuses(backend: Backend, store: NoticeOutboxStore, *ids: int) -> list[OutboxStatus]:
    with backend.connection() as connection:
        found = store.statuses_of(connection, ids)
    return [found[row_id] for row_id in ids]


def test_a_notice_key_recorded_twice_gives_one_notice(
    backend: Backend, store: NoticeOutboxStore
) -> None:
    """The second notice under a key is not recorded (no id) and the first stands as it was;
    due notices come by person, and one not yet due waits."""
    first = notice(backend, store, "reminder:1:owen", data={"say": "first"})
    assert notice(backend, store, "reminder:1:owen", data={"say": "second"}) is None
    dana = notice(backend, store, "reminder:1:dana", DANA)
    notice(backend, store, "reminder:2:owen", due_at=NOW + timedelta(days=1))

    with backend.connection() as connection:
        due = store.due_notices(connection, NOW, 10)

    assert first is not None
    assert dana is not None
    by_person = sorted([(backend.person(OWEN), first), (backend.person(DANA), dana)])
    assert [(found.person_id, found.id) for found in due] == by_person
    assert next(found.data for found in due if found.id == first) == {"say": "first"}


def test_an_email_key_queued_twice_gives_one_email(
    backend: Backend, store: NoticeOutboxStore
) -> None:
    """Queued again under its key, an email is not queued twice: the key finds the first."""
    first = queue(backend, store, "digest:owen:2014-06-02")
    assert queue(backend, store, "digest:owen:2014-06-02") is None
    with backend.connection() as connection:
        assert store.id_of(connection, "digest:owen:2014-06-02") == first
    assert claim(backend, store) == [first]


def test_two_claims_never_share_an_email(backend: Backend, store: NoticeOutboxStore) -> None:
    """A second sender claiming at the same moment gets only rows the first did not; the
    sign-in email goes first; a row not yet due is nobody's; once a lease lapses unmarked,
    the row may be claimed again."""
    older = queue(backend, store, "a", due_at=NOW - timedelta(hours=1))
    newer = queue(backend, store, "b")
    sign_in = queue(backend, store, "c", template="sign_in")
    queue(backend, store, "d", due_at=NOW + timedelta(hours=1))

    first = claim(backend, store, limit=2)
    second = claim(backend, store)

    assert first == [sign_in, older]
    assert second == [newer]
    assert claim(backend, store) == []
    assert sorted(claim(backend, store, AFTER_LEASE)) == sorted([older, newer, sign_in])


def test_an_outcome_is_recorded_once_and_a_marked_row_is_not_claimed_again(
    backend: Backend, store: NoticeOutboxStore
) -> None:
    """Sent and failed rows are never claimed again; a row to retry waits for its next attempt;
    a second mark on a row already marked changes nothing."""
    sent, retried, failed = (queue(backend, store, key) for key in "abc")
    assert sent is not None
    assert retried is not None
    assert failed is not None
    assert claim(backend, store) == [sent, retried, failed]
    retry_at = NOW + timedelta(hours=1)

    with backend.connection() as connection:
        assert store.mark_sent(connection, [(sent, "<1@council.example>")], NOW) == 1
        assert store.mark_retry(connection, [(retried, retry_at)], NOW, "busy", fault=SERVER)
        assert store.mark_failed(connection, failed, NOW, "no such mailbox", fault=SERVER)
    with backend.connection() as connection:
        assert store.mark_sent(connection, [(sent, "<2@council.example>")], NOW) == 0
        assert not store.mark_failed(connection, failed, NOW, "again", fault=SERVER)
        assert store.mark_retry(connection, [(failed, retry_at)], NOW, "x", fault=SERVER) == 0

    assert statuses(backend, store, sent, retried, failed) == [
        OutboxStatus.SENT,
        OutboxStatus.QUEUED,
        OutboxStatus.FAILED,
    ]
    assert claim(backend, store, AFTER_LEASE) == []
    with backend.connection() as connection:
        again = store.claim_due(connection, retry_at, 10, LEASE)
    assert [(row.id, row.attempts) for row in again] == [(retried, 1)]


def test_a_sender_whose_lease_lapsed_cannot_undo_the_next_senders_claim(
    backend: Backend, store: NoticeOutboxStore
) -> None:
    """A failure marked under a lapsed claim's lease is refused while another sender holds the
    row; the row stays queued for that sender to settle."""
    row_id = queue(backend, store, "a")
    assert row_id is not None
    with backend.connection() as connection:
        (stale,) = store.claim_due(connection, NOW, 10, LEASE)
    with backend.connection() as connection:
        (current,) = store.claim_due(connection, AFTER_LEASE, 10, LEASE)
    assert stale.lease_until is not None
    assert current.lease_until is not None

    with backend.connection() as connection:
        held = stale.lease_until
        assert not store.mark_failed(
            connection, row_id, NOW, "late", fault=SERVER, lease_until=held
        )
        retry = [(row_id, AFTER_LEASE)]
        assert store.mark_retry(connection, retry, NOW, "late", fault=SERVER, lease_until=held) == 0
    assert statuses(backend, store, row_id) == [OutboxStatus.QUEUED]

    with backend.connection() as connection:
        assert store.mark_failed(
            connection,
            row_id,
            AFTER_LEASE,
            "refused",
            fault=SERVER,
            lease_until=current.lease_until,
        )
    assert statuses(backend, store, row_id) == [OutboxStatus.FAILED]
