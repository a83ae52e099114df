"""Whether a queued email is still worth sending: the question dispatch asks before each send.

The answer depends on what the email is about (an action's state, a request's decision), which
only the services layer knows; it passes a `RelevanceCheck` in, so sending stays ignorant of
actions and requests. An email that no longer matters is `Superseded` (kept, with the reason,
never sent late); one that still matters only in part is sent `Narrowed` to what does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from improveflow.stores.outbox import OutboxRow


@dataclass(frozen=True)
class Superseded:
    """Not worth sending any more; `reason` says why, for an administrator."""

    reason: str


@dataclass(frozen=True)
class Narrowed:
    """Still worth sending, with only `context`: what it told of that no longer matters is out."""

    context: dict[str, Any]


Verdict = Superseded | Narrowed
# Rows, and the moment of sending, in; a verdict for each row that is not to go as queued.
RelevanceCheck = Callable[[Sequence[OutboxRow], datetime], Mapping[int, Verdict]]
