"""Whether email is getting out: the outbox's facts now, and the problems they show.

Read by `improveflow status`, the administrators' email page, `/healthz` and `/metrics`, so all
four say the same. Two problems are told apart:
- mail failing: the newest failed attempt could not reach the mail server (no connection, no
  reply, a refused login) and came after the last email that went, and emails wait on it;
- mail stuck: emails due a while ago have not been tried at all and nothing has gone out in
  that while, so nothing is sending them (the scheduler is not running).
A recipient's own refusal (a full mailbox, an unknown address) is shown but is not a problem
of the mail as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from improveflow.db import Database
from improveflow.models import DeliveryFault, Outbox, OutboxStatus
from improveflow.store import table_of

_outbox = table_of(Outbox)
_c = _outbox.c

# Due emails untried for this long, with nothing sent meanwhile, mean nothing is sending.
STUCK_AFTER = timedelta(minutes=15)
_ADDRESS = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


class Problem(StrEnum):
    MAIL_FAILING = "mail_failing"
    MAIL_STUCK = "mail_stuck"


# What each problem is, and what it means and what to do, for the administrator who reads it.
PROBLEM_WORDS = {
    Problem.MAIL_FAILING: (
        "Email is not getting out",
        "The last attempt could not reach the mail server, and no email has been sent since. "
        "Every email is kept and tried again until it is sent or is no longer useful.",
    ),
    Problem.MAIL_STUCK: (
        "Email is not being sent",
        f"Emails due more than {STUCK_AFTER.seconds // 60} minutes ago have not been tried, "
        "and none has gone out since. Check that the scheduler is running "
        "('improveflow scheduler run', or 'improveflow serve').",
    ),
}


@dataclass(frozen=True)
class DeliveryHealth:
    """The outbox at `checked_at`: how much waits, since when, what went, what went wrong."""

    checked_at: datetime
    queued: int  # waiting to go, due or not
    due: int  # of those, due now (some waiting for a retry)
    retrying: int  # of those, waiting for a retry after a failed attempt
    oldest_due_at: datetime | None  # when the longest-waiting due email became due
    last_sent_at: datetime | None
    last_error: str | None  # the newest failed attempt's reason, of emails not since sent
    last_error_at: datetime | None
    last_error_fault: DeliveryFault | None
    last_error_count: int  # emails not sent whose latest attempt failed with that reason
    failed: int
    superseded: int
    problems: tuple[Problem, ...]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self, *, public: bool) -> dict[str, Any]:
        """The facts for scripts; `public` leaves out anything that could name a person."""
        age = self.oldest_due_age
        return {
            "status": "ok" if self.healthy else "failing",
            "problems": [str(problem) for problem in self.problems],
            "checked_at": _iso(self.checked_at),
            "queued": self.queued,
            "due": self.due,
            "retrying": self.retrying,
            "oldest_queued_age_seconds": int(age.total_seconds()) if age is not None else None,
            "last_sent_at": _iso(self.last_sent_at),
            "last_error": self.public_last_error if public else self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "last_error_count": self.last_error_count,
            "failed": self.failed,
            "superseded": self.superseded,
        }

    @property
    def problem_words(self) -> list[tuple[str, str]]:
        """Each problem's title, and what it means and what to do."""
        return [PROBLEM_WORDS[problem] for problem in self.problems]

    @property
    def oldest_due_age(self) -> timedelta | None:
        if self.oldest_due_at is None:
            return None
        return max(self.checked_at - self.oldest_due_at, timedelta())

    @property
    def public_last_error(self) -> str | None:
        """The last error with any email address taken out, for pages nobody signs in to."""
        if self.last_error is None:
            return None
        return _ADDRESS.sub("[address]", self.last_error)


_WAITING = (_c.status == OutboxStatus.QUEUED,)
_IS_DUE = _c.due_at <= sa.bindparam("now", type_=_c.due_at.type)
_TRIED = _c.attempts > 0


def _count(*condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*condition), 1), else_=0)), 0)


_QUEUE = sa.select(
    sa.func.count(),
    _count(_IS_DUE),
    _count(_TRIED),
    sa.func.min(sa.case((_IS_DUE, _c.due_at))),
    sa.func.min(sa.case((sa.and_(_IS_DUE, _c.attempts == 0), _c.due_at))),
    _count(_TRIED, _c.fault == DeliveryFault.SERVER),
).where(*_WAITING)
_ENDED = (
    sa.select(_c.status, sa.func.count())
    .where(_c.status.in_([OutboxStatus.FAILED, OutboxStatus.SUPERSEDED]))
    .group_by(_c.status)
)
_LAST_SENT = sa.select(sa.func.max(_c.sent_at))
_NOT_SENT = _c.status.in_([OutboxStatus.QUEUED, OutboxStatus.FAILED])
_LAST_ERROR = (
    sa.select(_c.last_error, _c.last_attempt_at, _c.fault)
    .where(_NOT_SENT, _c.last_error.is_not(None), _c.last_attempt_at.is_not(None))
    .order_by(_c.last_attempt_at.desc(), _c.id.desc())
    .limit(1)
)
_SAME_ERROR = sa.select(sa.func.count()).where(_NOT_SENT, _c.last_error == sa.bindparam("text"))


def read(database: Database, now: datetime) -> DeliveryHealth:
    """The facts at `now`, in one read-only transaction, and the problems they show."""
    with database.reading() as session:
        connection = session.connection()
        queued, due, retrying, oldest_due, oldest_untried, failing = connection.execute(
            _QUEUE, {"now": now}
        ).one()
        ended: dict[str, int] = {str(s): int(n) for s, n in connection.execute(_ENDED)}
        last_sent = connection.execute(_LAST_SENT).scalar_one()
        error = connection.execute(_LAST_ERROR).first()
        count = 0
        if error is not None:
            count = int(connection.execute(_SAME_ERROR, {"text": error[0]}).scalar_one())
    last_error, last_error_at, fault = error if error is not None else (None, None, None)
    facts = DeliveryHealth(
        checked_at=now,
        queued=int(queued),
        due=int(due),
        retrying=int(retrying),
        oldest_due_at=_aware(oldest_due),
        last_sent_at=_aware(last_sent),
        last_error=last_error,
        last_error_at=_aware(last_error_at),
        last_error_fault=DeliveryFault(fault) if fault else None,
        last_error_count=count,
        failed=int(ended.get(OutboxStatus.FAILED, 0)),
        superseded=int(ended.get(OutboxStatus.SUPERSEDED, 0)),
        problems=(),
    )
    problems = []
    if int(failing) and _failing(facts):
        problems.append(Problem.MAIL_FAILING)
    if _stuck(facts, _aware(oldest_untried)):
        problems.append(Problem.MAIL_STUCK)
    return _with_problems(facts, tuple(problems))


def _failing(facts: DeliveryHealth) -> bool:
    if facts.last_error_fault != DeliveryFault.SERVER or facts.last_error_at is None:
        return False
    return facts.last_sent_at is None or facts.last_error_at > facts.last_sent_at


def _stuck(facts: DeliveryHealth, oldest_untried: datetime | None) -> bool:
    if oldest_untried is None or facts.checked_at - oldest_untried <= STUCK_AFTER:
        return False
    return facts.last_sent_at is None or facts.checked_at - facts.last_sent_at > STUCK_AFTER


def _with_problems(facts: DeliveryHealth, problems: tuple[Problem, ...]) -> DeliveryHealth:
    return DeliveryHealth(**{**facts.__dict__, "problems": problems})


def _aware(value: datetime | None) -> datetime | None:
    """A moment as the outbox's columns give it: aware, in UTC (aggregates keep their type)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
