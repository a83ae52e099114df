"""Delivering email: sending what is due with the relevance check, sending ended emails again
(audited), and whether email is getting out.

The composition root for sending: dispatch knows nothing of actions or requests, so this is
where it is handed the check that tells which queued emails still matter.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from improveflow import audit, exceptions
from improveflow.models import OutboxStatus
from improveflow.notify import delivery_health, outbox_requeue
from improveflow.notify.delivery_health import DeliveryHealth
from improveflow.notify.outbox_requeue import EndedEmail
from improveflow.services import still_relevant
from improveflow.services.context import Context

if TYPE_CHECKING:
    # Sending (aiosmtplib, the renderer) loads only when something is sent.
    from improveflow.notify.dispatch import DispatchReport, MessageFactory

# One dispatch run claims at most this many; sending more again takes several runs.
_RUN_LIMIT = 500


def send_due(
    ctx: Context,
    now: datetime | None = None,
    factory: MessageFactory | None = None,
    *,
    only_ids: Collection[int] | None = None,
) -> DispatchReport:
    """Send what is due at `now`, setting aside first what no longer matters."""
    from improveflow.notify.dispatch import send_due as dispatch

    return dispatch(
        ctx, now, factory, still_relevant=still_relevant.checker(ctx), only_ids=only_ids
    )


def health(ctx: Context, now: datetime | None = None) -> DeliveryHealth:
    """Whether email is getting out at `now` (the context's clock by default)."""
    return delivery_health.read(ctx.database, now or ctx.clock.now())


@dataclass
class Requeued:
    """Emails put back in the queue, as they were before."""

    emails: list[EndedEmail] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [email.id for email in self.emails]

    def count(self, status: OutboxStatus) -> int:
        return sum(1 for email in self.emails if email.status == status)


def requeue(
    ctx: Context,
    *,
    failed: bool = False,
    superseded: bool = False,
    ids: Collection[int] = (),
    due_since: datetime | None = None,
    now: datetime | None = None,
) -> Requeued:
    """Queue failed emails (`failed`), superseded ones (`superseded`) or those named (`ids`)
    again, due now, with one audit event; `due_since` keeps only those due since then.

    Emails named by id, and superseded ones, are sent even if they no longer seem to matter:
    an administrator asked for them. Failed ones chosen together are checked as usual, so a
    reminder for a date that has passed is not sent after an outage.
    """
    statuses = [
        status
        for status, chosen in ((OutboxStatus.FAILED, failed), (OutboxStatus.SUPERSEDED, superseded))
        if chosen
    ]
    if not statuses and not ids:
        raise exceptions.InvalidValue("Say which emails: failed ones, superseded ones, or by id")
    now = now or ctx.clock.now()
    with ctx.database.writing() as session:
        if ids:
            _check_named(outbox_requeue.statuses_of(session, ids), ids)
        chosen = outbox_requeue.find(
            session,
            ids=ids or None,
            statuses=statuses or outbox_requeue.ENDED,
            due_since=due_since,
        )
        if not chosen:
            return Requeued()
        anyway = {email.id for email in chosen if ids or email.status == OutboxStatus.SUPERSEDED}
        outbox_requeue.requeue(session, [email.id for email in chosen], now, anyway)
        audit.append(
            session,
            at=now,
            event="emails_requeued",
            comment=f"{len(chosen)} emails queued to be sent again",
            data={
                "emails": [
                    {"id": email.id, "was": email.status, "attempts": email.attempts}
                    for email in chosen
                ],
                "sent_even_if_superseded": sorted(anyway),
            },
        )
    return Requeued(chosen)


def _check_named(statuses: dict[int, OutboxStatus], ids: Collection[int]) -> None:
    for row_id in sorted(ids):
        status = statuses.get(row_id)
        if status is None:
            raise exceptions.NotFound(f"No email with id {row_id}")
        if status == OutboxStatus.SENT:
            raise exceptions.InvalidValue(f"Email {row_id} was sent: there is nothing to retry")
        if status == OutboxStatus.QUEUED:
            raise exceptions.InvalidValue(
                f"Email {row_id} is still queued: it is tried again without being asked"
            )


def send_requeued(ctx: Context, requeued: Requeued, now: datetime | None = None) -> DispatchReport:
    """Send the emails just queued again, in runs of at most 500; their reports added up."""
    from improveflow.notify.dispatch import DispatchReport

    total = DispatchReport()
    ids = requeued.ids
    for start in range(0, len(ids), _RUN_LIMIT):
        report = send_due(ctx, now, only_ids=ids[start : start + _RUN_LIMIT])
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.superseded += report.superseded
        total.errors.extend(report.errors)
        total.last_error = report.last_error or total.last_error
    return total
