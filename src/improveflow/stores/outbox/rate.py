"""The rate limit per sending mailbox, shared by every worker on the database.

A provider counts the messages a mailbox sends in a minute, whichever process sends them
(Microsoft 365: 30). So a rate-limited dispatch run asks, in its claim's transaction, how much
of the mailbox's minute is left (`available`), claims no more rows than that, and records its
share (`take`). A share counts against the mailbox while its run may still send (its lease,
renewed with the lease: `extend`) and for a minute after; once the run ends it shrinks to the
emails actually sent (`settle`). A run that dies keeps its whole share until a minute after its
lease, since it may have sent all of it.

On PostgreSQL the reading and the taking happen under a transaction-scoped advisory lock keyed
by the mailbox, so two workers cannot both spend the same budget; SQLite lets one writer in at
a time anyway. Mailboxes are compared in lower case.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from improveflow.models import MailRateClaim
from improveflow.stores.tables import table_of

__all__ = ["RATE_WINDOW", "available", "extend", "settle", "spent", "take"]

_claims = table_of(MailRateClaim)
_c = _claims.c

# The rate limit's window: providers count messages per minute.
RATE_WINDOW = timedelta(minutes=1)

_LIVE = (_c.mailbox == sa.bindparam("mailbox"), _c.counts_until > sa.bindparam("now"))
_SPENT = sa.select(sa.func.coalesce(sa.func.sum(_c.emails), 0)).where(*_LIVE)
_PRUNE = sa.delete(_claims).where(
    _c.mailbox == sa.bindparam("mailbox"), _c.counts_until <= sa.bindparam("now")
)
_TAKE = sa.insert(_claims).returning(_c.id)
_EXTEND = (
    sa.update(_claims)
    .where(_c.id == sa.bindparam("claim_id"), _c.counts_until < sa.bindparam("until"))
    .values(counts_until=sa.bindparam("until"))
)
_SETTLE = (
    sa.update(_claims)
    .where(_c.id == sa.bindparam("claim_id"))
    .values(emails=sa.bindparam("sent"), counts_until=sa.bindparam("until"))
)
_DROP = sa.delete(_claims).where(_c.id == sa.bindparam("claim_id"))


def _lock_key(mailbox: str) -> int:
    """A stable 64-bit advisory lock key for `mailbox` (the same in every process)."""
    digest = hashlib.blake2b(b"improveflow mail rate\0" + mailbox.encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _key(mailbox: str) -> str:
    return mailbox.strip().lower()


def available(connection: sa.Connection, mailbox: str, now: datetime, per_minute: int) -> int:
    """How many emails `mailbox` may still send at `now` under a limit of `per_minute`.

    Locks the mailbox's budget on PostgreSQL until the caller's transaction ends: take the
    share in the same transaction. Shares that no longer count are deleted on the way.
    """
    mailbox = _key(mailbox)
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(mailbox))))
    values = {"mailbox": mailbox, "now": now}
    connection.execute(_PRUNE, values)
    return max(0, per_minute - int(connection.execute(_SPENT, values).scalar_one()))


def spent(connection: sa.Connection, mailbox: str, now: datetime) -> int:
    """The emails counting against `mailbox`'s limit at `now` (sent, or claimed to send)."""
    values = {"mailbox": _key(mailbox), "now": now}
    return int(connection.execute(_SPENT, values).scalar_one())


def take(
    connection: sa.Connection, mailbox: str, emails: int, now: datetime, counts_until: datetime
) -> int:
    """Record a run's share of `emails` from `mailbox`, counting until `counts_until`; its id."""
    values = {
        "mailbox": _key(mailbox),
        "emails": emails,
        "claimed_at": now,
        "counts_until": counts_until,
    }
    return int(connection.execute(_TAKE, values).scalar_one())


def extend(connection: sa.Connection, claim_id: int, counts_until: datetime) -> None:
    """Keep a live run's share counting until `counts_until` (its renewed lease, plus a minute)."""
    connection.execute(_EXTEND, {"claim_id": claim_id, "until": counts_until})


def settle(connection: sa.Connection, claim_id: int, sent: int, counts_until: datetime) -> None:
    """A run has ended having sent `sent` emails: its share is those, until `counts_until`."""
    if sent <= 0:
        connection.execute(_DROP, {"claim_id": claim_id})
    else:
        connection.execute(_SETTLE, {"claim_id": claim_id, "sent": sent, "until": counts_until})
