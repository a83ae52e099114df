"""The scheduler's dispatch job run over hours or days of simulated time, for outage tests.

Each tick does what `scheduler run`'s dispatch job does each minute: queue the notices due,
then send what is due with the relevance check, as `services.delivery.send_due` does. Minutes
in which nothing could be claimed are skipped, since a tick then changes nothing; ticks stay
on whole minutes from the start. Two economies keep days of ticks quick: retries are not
jittered (so an outage's emails are retried together), and the real message factory is built
once per simulated hour (its links are then signed up to an hour early).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlmodel import select

from improveflow.clock import FrozenClock
from improveflow.models import Outbox, OutboxStatus
from improveflow.notify.dispatch import DispatchReport, MessageFactory, default_message_factory
from improveflow.services import still_relevant, sweep
from improveflow.services.context import Context
from improveflow.services.delivery import dispatch_due
from improveflow.testing.smtp import CapturingSmtpServer

MINUTE = timedelta(minutes=1)
SECRET = "a-test-secret-that-is-long-enough"
SENDER = "plans@council.example"


def mail_context(ctx: Context, smtp: CapturingSmtpServer, **changes: object) -> Context:
    """`ctx` (and its clock) with its settings pointed at the loopback server."""
    settings = ctx.settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_from": SENDER,
            "smtp_timeout_s": 5.0,
            "secret_key": SECRET,
            "base_url": "https://plans.council.example",
            **changes,
        }
    )
    return Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )


class Dispatcher:
    """Ticks the dispatch job on `ctx` (whose clock must be a FrozenClock) through time."""

    def __init__(self, ctx: Context) -> None:
        assert isinstance(ctx.clock, FrozenClock)
        self.ctx = ctx
        self.clock: FrozenClock = ctx.clock
        self.origin = self.clock.now()
        self.reports: list[DispatchReport] = []
        self.events: list[tuple[datetime, Callable[[], object]]] = []
        self.factories: dict[datetime, MessageFactory] = {}

    def at(self, moment: datetime, event: Callable[[], object]) -> None:
        """Do `event` (as someone using the app would) at `moment`, before that tick's send."""
        self.events.append((moment, event))
        self.events.sort(key=lambda pair: pair[0])

    def tick(self) -> DispatchReport:
        now = self.clock.now()
        while self.events and self.events[0][0] <= now:
            self.events.pop(0)[1]()
        sweep.queue_due_notices(self.ctx, now=now)
        report = asyncio.run(
            dispatch_due(
                self.ctx,
                now=now,
                factory=self._factory(now),
                still_relevant=still_relevant.checker(self.ctx),
                jitter=False,
            )
        )
        self.reports.append(report)
        return report

    def _factory(self, now: datetime) -> MessageFactory:
        hour = now.replace(minute=0, second=0, microsecond=0)
        if hour not in self.factories:
            settings = self.ctx.settings
            self.factories[hour] = default_message_factory(settings, settings.templates_dir, now)
        return self.factories[hour]

    def run_until(self, end: datetime) -> None:
        """Tick every minute up to `end` in which something could be sent or happens."""
        while True:
            self.tick()
            following = self._next_moment()
            if following is None or following > end:
                self.clock.set(max(self.clock.now(), end))
                return
            self.clock.set(following)

    def _next_moment(self) -> datetime | None:
        now = self.clock.now()
        moments = [moment for moment, _ in self.events[:1]]
        with self.ctx.database.reading() as session:
            for row in session.exec(select(Outbox).where(Outbox.status == OutboxStatus.QUEUED)):
                moments.append(max(row.due_at, row.next_attempt_at or row.due_at))
        if not moments:
            return None
        # Ticks fall on whole minutes from the first, and at least a minute apart.
        steps = max(1, math.ceil((min(moments) - now) / MINUTE))
        return now + steps * MINUTE

    @property
    def sent(self) -> int:
        return sum(report.sent for report in self.reports)


@contextmanager
def server_down(smtp: CapturingSmtpServer) -> Iterator[None]:
    smtp.stop()
    try:
        yield
    finally:
        smtp.start()
