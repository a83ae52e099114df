"""The notices and the outbox: every statement about them, run on the caller's transaction.

A notice is one thing to tell one person, decided once under a unique key; bundling puts due
notices into outbox rows, one row per email, again under a unique key (`notices`). A row is
claimed under a short lease and ends sent, failed or superseded (`rows`); an administrator can
queue the last two again (`ended`); listings and the numbers behind "is email getting out"
read it (`facts`); a rate-limited run takes its share of the sending mailbox's minute
(`rate`). Callers use the names below: `outbox.claim_due(connection, ...)`.
"""

from __future__ import annotations

from improveflow.stores.outbox import rate
from improveflow.stores.outbox.ended import ENDED, EndedEmail, ended, requeue, statuses_of
from improveflow.stores.outbox.facts import QueueFacts, newest, queue_facts
from improveflow.stores.outbox.notices import PendingNotice, add_notice, due_notices, put_in_email
from improveflow.stores.outbox.rate import RATE_WINDOW
from improveflow.stores.outbox.rows import (
    WAITED_FOR,
    OutboxRow,
    claim_due,
    count_due,
    enqueue,
    id_of,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_superseded,
    release,
    renew,
)

__all__ = [
    "ENDED",
    "RATE_WINDOW",
    "WAITED_FOR",
    "EndedEmail",
    "OutboxRow",
    "PendingNotice",
    "QueueFacts",
    "add_notice",
    "claim_due",
    "count_due",
    "due_notices",
    "ended",
    "enqueue",
    "id_of",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "mark_superseded",
    "newest",
    "put_in_email",
    "queue_facts",
    "rate",
    "release",
    "renew",
    "requeue",
    "statuses_of",
]
