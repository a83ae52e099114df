"""The narrow protocols of the stores that callers lean on most: what each promises, so an
in-memory fake (`improveflow.testing.fakes`) can stand in for it in unit tests, and one contract
suite (tests/contract/) holds the fake, SQLite and PostgreSQL to the same behaviour.

Each store module satisfies its protocol as it is (a module may implement a protocol); the
check at the bottom keeps them in step. The first argument of every call is the caller's open
transaction (a session or a connection); a fake ignores it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import RequestStatus
from improveflow.stores.people.deputies import DeputyPeriod
from improveflow.stores.requests import ClaimedRequest
from improveflow.stores.sessions import SignedIn, StoredSession

__all__ = [
    "AuditChainStore",
    "DeputyStore",
    "MailRateStore",
    "RequestClaimStore",
    "SpentLinkStore",
    "WebSessionStore",
]


class WebSessionStore(Protocol):
    """Signed-in browsers: a session resolves only while it lives and until it is ended."""

    def add_session(self, session: Session, stored: StoredSession) -> None: ...

    def end_session(self, session: Session, key_hash: str) -> None: ...

    def signed_in(self, session: Session, key_hash: str, now: datetime) -> SignedIn | None: ...

    def forget_ended(self, session: Session, now: datetime) -> None: ...


class SpentLinkStore(Protocol):
    """Email links already used: a nonce is spent once, however many browsers try."""

    def spend(
        self, session: Session, *, nonce: str, purpose: str, person_id: int, now: datetime
    ) -> bool: ...

    def is_spent(self, session: Session, nonce: str) -> bool: ...

    def forget_spent_before(self, session: Session, before: datetime) -> int: ...


class MailRateStore(Protocol):
    """Each sending mailbox's per-minute budget, shared by every worker: a share taken is not
    handed out again while it counts."""

    def available(
        self, connection: sa.Connection, mailbox: str, now: datetime, per_minute: int
    ) -> int: ...

    def spent(self, connection: sa.Connection, mailbox: str, now: datetime) -> int: ...

    def take(
        self,
        connection: sa.Connection,
        mailbox: str,
        emails: int,
        now: datetime,
        counts_until: datetime,
    ) -> int: ...

    def extend(self, connection: sa.Connection, claim_id: int, counts_until: datetime) -> None: ...

    def settle(
        self, connection: sa.Connection, claim_id: int, sent: int, counts_until: datetime
    ) -> None: ...


class DeputyStore(Protocol):
    """Who stands in for which member of an approving body, both days of a period included."""

    def add_period(
        self,
        session: Session,
        *,
        member_id: int,
        deputy_id: int,
        starts_on: date,
        ends_on: date,
        now: datetime,
    ) -> int: ...

    def all_periods(self, session: Session) -> list[DeputyPeriod]: ...

    def member_stood_in_for(
        self, session: Session, deputy_id: int, body: str, on: date, exclude: Collection[int]
    ) -> int | None: ...

    def stand_ins_on(self, session: Session, deputy_id: int, on: date) -> dict[int, date]: ...

    def bodies_deputised(self, session: Session, deputy_id: int, on: date) -> set[str]: ...


class AuditChainStore(Protocol):
    """The audit log's rows: appended in order, the head following the newest, read back as
    stored."""

    def lock_head(self, connection: sa.Connection) -> tuple[int, str]: ...

    def insert_events(self, connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None: ...

    def events_from(self, connection: sa.Connection, seq: int) -> list[dict[str, Any]]: ...

    def hash_at(self, connection: sa.Connection, seq: int) -> str | None: ...


class RequestClaimStore(Protocol):
    """Approval requests opened, claimed by one decider at a time, and closed: one pending
    request per action, one outcome per request."""

    def insert_request(
        self,
        session: Session,
        *,
        action_id: int,
        transition: str,
        requester_id: int,
        body: str,
        quorum: int,
        reason: str | None,
        new_target_date: date | None,
        at: datetime,
    ) -> int: ...

    def claim_request(
        self,
        session: Session,
        request_id: int,
        *,
        outcome: RequestStatus,
        final: bool,
        at: datetime,
    ) -> ClaimedRequest | None: ...

    def close_request(
        self, session: Session, request_id: int, status: RequestStatus, at: datetime
    ) -> None: ...


if TYPE_CHECKING:
    # The stores as they are satisfy their protocols.
    from improveflow.stores import audit, requests, sessions
    from improveflow.stores.outbox import rate
    from improveflow.stores.people import deputies

    _web_sessions: WebSessionStore = sessions
    _spent_links: SpentLinkStore = sessions
    _mail_rate: MailRateStore = rate
    _deputies: DeputyStore = deputies
    _audit_chain: AuditChainStore = audit
    _request_claims: RequestClaimStore = requests
