"""The narrow protocols of the stores that callers lean on most: what each promises, so an
in-memory fake (`improveflow.testing.fakes`) can stand in for it in unit tests, and one contract
suite (tests/contract/) holds the fake, SQLite and PostgreSQL to the same behaviour.

Each store module satisfies its protocol as it is (a module may implement a protocol); the
check at the bottom keeps them in step. The first argument of every call is the caller's open
transaction (a session or a connection); a fake ignores it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import (
    Action,
    DeliveryFault,
    OutboxStatus,
    Plan,
    ProgressUpdate,
    RequestStatus,
)
from improveflow.stores.actions import ActionState
from improveflow.stores.imports import DirectoryPerson, StoredAction
from improveflow.stores.outbox.notices import PendingNotice
from improveflow.stores.outbox.rows import OutboxRow
from improveflow.stores.people.deputies import DeputyPeriod
from improveflow.stores.requests import ClaimedRequest
from improveflow.stores.sessions import SignedIn, StoredSession

__all__ = [
    "ActionStore",
    "AuditChainStore",
    "DeputyStore",
    "ImportStore",
    "MailRateStore",
    "NoticeOutboxStore",
    "PlanTitleStore",
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


class ActionStore(Protocol):
    """Actions' workflow state and progress. A change is compare-and-swap on the version the
    writer saw: of two writers that saw the same version one wins, and the other's change is
    refused whole (it changes nothing)."""

    def action_by_id(self, session: Session, action_id: int) -> Action: ...

    def action_state(self, session: Session, action_id: int) -> ActionState: ...

    def update_if_unchanged(
        self, session: Session, action: Action, values: dict[str, object]
    ) -> bool: ...

    def move_if_unchanged(
        self,
        session: Session,
        seen: ActionState,
        state: str,
        at: datetime,
        target_date: date | None,
    ) -> bool: ...

    def add_progress(
        self,
        session: Session,
        action_id: int,
        text: str,
        rag: str | None,
        author_id: int,
        at: datetime,
    ) -> int: ...

    def latest_progress(self, session: Session, action_id: int) -> ProgressUpdate | None: ...

    def progress_count(self, session: Session, action_id: int) -> int: ...


class NoticeOutboxStore(Protocol):
    """Notices and the outbox: a notice or an email is recorded once per key however often it
    is decided, a due email is claimed by one sender at a time under a lease, and its outcome
    (sent, to retry, failed) is recorded on the row that sender still holds."""

    def add_notice(self, session: Session, values: dict[str, object]) -> int | None: ...

    def due_notices(
        self, connection: sa.Connection, now: datetime, limit: int
    ) -> list[PendingNotice]: ...

    def enqueue(
        self,
        session: Session,
        *,
        key: str,
        template: str,
        recipient_email: str,
        recipient_name: str,
        person_id: int | None,
        context: dict[str, Any],
        due_at: datetime,
        now: datetime,
    ) -> int | None: ...

    def id_of(self, connection: sa.Connection, key: str) -> int: ...

    def claim_due(
        self,
        connection: sa.Connection,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        only_ids: Collection[int] | None = None,
    ) -> list[OutboxRow]: ...

    def mark_sent(
        self, connection: sa.Connection, sent: Sequence[tuple[int, str | None]], now: datetime
    ) -> int: ...

    def mark_retry(
        self,
        connection: sa.Connection,
        retries: Sequence[tuple[int, datetime]],
        now: datetime,
        error: str,
        *,
        fault: DeliveryFault,
        lease_until: datetime | None = None,
    ) -> int: ...

    def mark_failed(
        self,
        connection: sa.Connection,
        row_id: int,
        now: datetime,
        error: str,
        *,
        fault: DeliveryFault,
        lease_until: datetime | None = None,
    ) -> bool: ...

    def statuses_of(
        self, connection: sa.Connection, ids: Collection[int]
    ) -> dict[int, OutboxStatus]: ...


class PlanTitleStore(Protocol):
    """Plans found by title within their own council: two councils may use one title."""

    def add_plan(self, session: Session, plan: Plan) -> Plan: ...

    def plan_titled(
        self, session: Session, title: str, organisation: str | None
    ) -> Plan | None: ...


class ImportStore(Protocol):
    """What a plan import reads and writes: the people a council's plan may name as leads (its
    own and those of no council), and a batch of new actions and their progress from a file,
    found again by import key."""

    def lead_directory(
        self, session: Session, organisation: str | None
    ) -> list[DirectoryPerson]: ...

    def insert_actions(
        self, session: Session, rows: Sequence[Mapping[str, object]]
    ) -> dict[str, int]: ...

    def insert_progress(self, session: Session, rows: Sequence[Mapping[str, object]]) -> None: ...

    def imported_actions(self, session: Session, plan_id: int) -> dict[str, StoredAction]: ...

    def latest_file_progress(self, session: Session, plan_id: int) -> dict[int, str]: ...


if TYPE_CHECKING:
    # The stores as they are satisfy their protocols.
    from improveflow.stores import actions, audit, imports, outbox, plans, requests, sessions
    from improveflow.stores.outbox import rate
    from improveflow.stores.people import deputies

    _web_sessions: WebSessionStore = sessions
    _spent_links: SpentLinkStore = sessions
    _mail_rate: MailRateStore = rate
    _deputies: DeputyStore = deputies
    _audit_chain: AuditChainStore = audit
    _request_claims: RequestClaimStore = requests
    _actions: ActionStore = actions
    _notices_outbox: NoticeOutboxStore = outbox
    _plan_titles: PlanTitleStore = plans
    _imports: ImportStore = imports
