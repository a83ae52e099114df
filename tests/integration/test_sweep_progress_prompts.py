"""The sweep's progress prompts over simulated time: an action with no target date is asked
for news after four quiet weeks, then every four, until its owner writes."""

from __future__ import annotations

from datetime import date

import pytest
from sweep_helpers import OWEN, approved, daily_sweeps, kinds, london, run, sample_plan

from improveflow.clock import FrozenClock
from improveflow.services import progress
from improveflow.services.context import Context


@pytest.fixture
def plan_id(ctx: Context) -> int:
    return sample_plan(ctx)


def test_ongoing_action_is_prompted_every_four_weeks_of_silence(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """An action with no target date is prompted after four quiet weeks, then every four."""
    action_id = approved(ctx, plan_id, "Maintain the risk register", None)
    start = date(2014, 6, 2)  # agreed on Monday 2 June at 10:00
    reports = daily_sweeps(ctx, clock, start, 90, at=(10, 30))
    prompted = [day for day, r in reports.items() if ("progress_prompt", action_id) in kinds(r)]
    assert prompted == [date(2014, 6, 30), date(2014, 7, 28), date(2014, 8, 25)]
    clock.set(london(2014, 9, 1, 10, 0))
    progress.record_progress(ctx, action_id, "Reviewed in August", None, by_email=OWEN)
    quiet = daily_sweeps(ctx, clock, date(2014, 9, 2), 27, at=(10, 30))
    assert all(("progress_prompt", action_id) not in kinds(r) for r in quiet.values())
    assert ("progress_prompt", action_id) in kinds(run(ctx, clock, london(2014, 9, 29, 10, 30)))
