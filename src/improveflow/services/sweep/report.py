"""What a sweep decided: one entry per notice recorded, with the reason it gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SweepDecision:
    kind: str
    why: str
    person_id: int
    action_id: int | None = None
    request_id: int | None = None


@dataclass
class SweepReport:
    now: datetime
    dry_run: bool
    decisions: list[SweepDecision] = field(default_factory=list)
    escalations_raised: int = 0
    emails_queued: int = 0
