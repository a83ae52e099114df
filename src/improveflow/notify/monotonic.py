"""The time a dispatch run measures for itself: how long it has run, and its waits between
renewals of its lease.

A run's moments are the `now` it started at plus the seconds passed since on a monotonic
clock, never a second reading of the wall clock, which can jump. Tests inject a clock of their
own to move a run's time by hand.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from improveflow.clock import Clock, SystemClock


class MonotonicClock(Protocol):
    """Seconds that only go forward, and a way to wait for some to pass."""

    def monotonic(self) -> float:
        """Seconds from some fixed point; only differences mean anything."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` have passed on this clock."""
        ...


class SystemMonotonic:
    """The machine's monotonic clock, which the event loop also waits on."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Following:
    """Seconds as a wall clock that is not the system's counts them: a run under a test's
    FrozenClock keeps the moments the test set, and moves when the test moves that clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def monotonic_for(clock: Clock) -> MonotonicClock:
    """The monotonic clock that goes with `clock`: the machine's for the system clock."""
    return SystemMonotonic() if isinstance(clock, SystemClock) else Following(clock)
