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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from improveflow.models import DeliveryFault
from improveflow.stores.outbox import QueueFacts

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


def assess(facts: QueueFacts, now: datetime) -> DeliveryHealth:
    """The outbox's facts at `now` (`stores.outbox.queue_facts`), and the problems they show."""
    health = DeliveryHealth(
        checked_at=now,
        queued=facts.queued,
        due=facts.due,
        retrying=facts.retrying,
        oldest_due_at=facts.oldest_due_at,
        last_sent_at=facts.last_sent_at,
        last_error=facts.last_error,
        last_error_at=facts.last_error_at,
        last_error_fault=facts.last_error_fault,
        last_error_count=facts.last_error_count,
        failed=facts.failed,
        superseded=facts.superseded,
        problems=(),
    )
    problems = []
    if facts.failing and _failing(health):
        problems.append(Problem.MAIL_FAILING)
    if _stuck(health, facts.oldest_untried_at):
        problems.append(Problem.MAIL_STUCK)
    return replace(health, problems=tuple(problems))


def _failing(facts: DeliveryHealth) -> bool:
    if facts.last_error_fault != DeliveryFault.SERVER or facts.last_error_at is None:
        return False
    return facts.last_sent_at is None or facts.last_error_at > facts.last_sent_at


def _stuck(facts: DeliveryHealth, oldest_untried: datetime | None) -> bool:
    if oldest_untried is None or facts.checked_at - oldest_untried <= STUCK_AFTER:
        return False
    return facts.last_sent_at is None or facts.checked_at - facts.last_sent_at > STUCK_AFTER


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
