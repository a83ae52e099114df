"""Notices and the outbox, kept in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from improveflow.models import DeliveryFault, OutboxStatus
from improveflow.stores.outbox.notices import PendingNotice
from improveflow.stores.outbox.rows import WAITED_FOR, OutboxRow


@dataclasses.dataclass
class FakeNotice:
    """A notice as the fake keeps it."""

    pending: PendingNotice
    due_at: datetime
    outbox_id: int | None = None


@dataclasses.dataclass
class FakeEmail:
    """An outbox row as the fake keeps it."""

    id: int
    key: str
    template: str
    recipient_email: str
    recipient_name: str
    person_id: int | None
    context: dict[str, Any]
    due_at: datetime
    created_at: datetime
    status: OutboxStatus = OutboxStatus.QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    fault: DeliveryFault | None = None
    message_id: str | None = None


class FakeNoticeOutbox:
    """`NoticeOutboxStore` in memory."""

    def __init__(self) -> None:
        self.notices: dict[str, FakeNotice] = {}  # by idempotency key
        self.emails: dict[int, FakeEmail] = {}

    # Notices ------------------------------------------------------------------------------

    def add_notice(self, session: object, values: dict[str, object]) -> int | None:
        key = str(values["idempotency_key"])
        if key in self.notices:
            return None
        notice_id = len(self.notices) + 1
        data = values.get("data") or {}
        assert isinstance(data, dict)
        pending = PendingNotice(
            notice_id,
            str(values["kind"]),
            int(str(values["person_id"])),
            _id_or_none(values.get("action_id")),
            _id_or_none(values.get("request_id")),
            dict(data),
        )
        due_at = values["due_at"]
        assert isinstance(due_at, datetime)
        self.notices[key] = FakeNotice(pending, due_at)
        return notice_id

    def due_notices(self, connection: object, now: datetime, limit: int) -> list[PendingNotice]:
        due = [
            notice.pending
            for notice in self.notices.values()
            if notice.outbox_id is None and notice.due_at <= now
        ]
        return sorted(due, key=lambda pending: (pending.person_id, pending.id))[:limit]

    # Emails -------------------------------------------------------------------------------

    def enqueue(
        self,
        session: object,
        *,
        key: str,
        template: str,
        recipient_email: str,
        recipient_name: str,
        person_id: int | None,
        context: dict[str, Any],
        due_at: datetime,
        now: datetime,
    ) -> int | None:
        if any(email.key == key for email in self.emails.values()):
            return None
        email_id = len(self.emails) + 1
        self.emails[email_id] = FakeEmail(
            email_id, key, template, recipient_email, recipient_name, person_id, dict(context),
            due_at, now,
        )  # fmt: skip
        return email_id

    def id_of(self, connection: object, key: str) -> int:
        return next(email.id for email in self.emails.values() if email.key == key)

    def claim_due(
        self,
        connection: object,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        only_ids: Collection[int] | None = None,
    ) -> list[OutboxRow]:
        if limit <= 0 or (only_ids is not None and not only_ids):
            return []
        claimable = [
            email
            for email in self.emails.values()
            if email.status == OutboxStatus.QUEUED
            and email.due_at <= now
            and (email.next_attempt_at is None or email.next_attempt_at <= now)
            and (email.lease_until is None or email.lease_until < now)
            and (only_ids is None or email.id in only_ids)
        ]
        claimable.sort(key=lambda email: (email.template not in WAITED_FOR, email.due_at, email.id))
        claimed = []
        for email in claimable[:limit]:
            email.lease_until = now + lease
            row = OutboxRow(
                email.id, email.key, email.template, email.recipient_email,
                email.recipient_name, email.person_id, dict(email.context), email.attempts,
                email.due_at, email.created_at, False, email.lease_until,
            )  # fmt: skip
            claimed.append(row)
        return claimed

    def _held(self, row_id: int, lease_until: datetime | None = None) -> FakeEmail | None:
        """The row if it is queued and leased (under `lease_until`, when given)."""
        email = self.emails.get(row_id)
        if email is None or email.status != OutboxStatus.QUEUED or email.lease_until is None:
            return None
        if lease_until is not None and email.lease_until != lease_until:
            return None
        return email

    def mark_sent(
        self, connection: object, sent: Sequence[tuple[int, str | None]], now: datetime
    ) -> int:
        marked = 0
        for row_id, message_id in sent:
            email = self.emails.get(row_id)
            # A delivery is recorded even if its lease lapsed: only a queued row is needed.
            if email is None or email.status != OutboxStatus.QUEUED:
                continue
            email.status, email.message_id = OutboxStatus.SENT, message_id
            email.attempts += 1
            email.lease_until = email.next_attempt_at = None
            marked += 1
        return marked

    def mark_retry(
        self,
        connection: object,
        retries: Sequence[tuple[int, datetime]],
        now: datetime,
        error: str,
        *,
        fault: DeliveryFault,
        lease_until: datetime | None = None,
    ) -> int:
        marked = 0
        for row_id, next_attempt_at in retries:
            email = self._held(row_id, lease_until)
            if email is None:
                continue
            self._attempted(email, error, fault)
            email.next_attempt_at = max(next_attempt_at, now)
            marked += 1
        return marked

    def mark_failed(
        self,
        connection: object,
        row_id: int,
        now: datetime,
        error: str,
        *,
        fault: DeliveryFault,
        lease_until: datetime | None = None,
    ) -> bool:
        email = self._held(row_id, lease_until)
        if email is None:
            return False
        self._attempted(email, error, fault)
        email.status, email.next_attempt_at = OutboxStatus.FAILED, None
        return True

    @staticmethod
    def _attempted(email: FakeEmail, error: str, fault: DeliveryFault) -> None:
        email.attempts += 1
        email.last_error, email.fault, email.lease_until = error, fault, None

    def statuses_of(self, connection: object, ids: Collection[int]) -> dict[int, OutboxStatus]:
        return {row_id: self.emails[row_id].status for row_id in ids if row_id in self.emails}


def _id_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))
