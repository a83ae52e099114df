"""The per-mailbox rate limit's shares, kept in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Share:
    mailbox: str
    emails: int
    counts_until: datetime


class FakeMailRate:
    """`MailRateStore` in memory. Mailboxes compare in lower case, as the real store's do."""

    def __init__(self) -> None:
        self.shares: dict[int, _Share] = {}
        self._next_id = 1

    def available(self, connection: object, mailbox: str, now: datetime, per_minute: int) -> int:
        key = _key(mailbox)
        self.shares = {
            claim: share
            for claim, share in self.shares.items()
            if share.mailbox != key or share.counts_until > now
        }
        return max(0, per_minute - self.spent(connection, mailbox, now))

    def spent(self, connection: object, mailbox: str, now: datetime) -> int:
        key = _key(mailbox)
        return sum(
            share.emails
            for share in self.shares.values()
            if share.mailbox == key and share.counts_until > now
        )

    def take(
        self,
        connection: object,
        mailbox: str,
        emails: int,
        now: datetime,
        counts_until: datetime,
    ) -> int:
        claim, self._next_id = self._next_id, self._next_id + 1
        self.shares[claim] = _Share(_key(mailbox), emails, counts_until)
        return claim

    def extend(self, connection: object, claim_id: int, counts_until: datetime) -> None:
        share = self.shares.get(claim_id)
        if share is not None and share.counts_until < counts_until:
            share.counts_until = counts_until

    def settle(self, connection: object, claim_id: int, sent: int, counts_until: datetime) -> None:
        if sent <= 0:
            self.shares.pop(claim_id, None)
        elif (share := self.shares.get(claim_id)) is not None:
            share.emails, share.counts_until = sent, counts_until


def _key(mailbox: str) -> str:
    return mailbox.strip().lower()
