"""Adding an action to a plan: a start date after its target date is refused, naming both
days in words as the pages write them, and nothing is added."""

from __future__ import annotations

from datetime import date

import pytest

from improveflow import exceptions
from improveflow.models import PlanKind
from improveflow.services import dashboard, plans
from improveflow.services.context import Context


def test_an_action_starting_after_its_target_is_refused_with_both_days_in_words(
    ctx: Context,
) -> None:
    """Start Monday 1 September 2014, target Friday 29 August: refused, and the plan stays
    empty."""
    plan_id = plans.create_plan(ctx, "Service plan", PlanKind.SERVICE_PLAN).id
    new = plans.NewAction(
        plan_id=plan_id, theme="T", objective="O", description="Do it", owner_email=None,
        start_date=date(2014, 9, 1), target_date=date(2014, 8, 29),
    )  # fmt: skip
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^The start date, Monday 1 September 2014, is after the target date, Friday 29 "
        r"August 2014: give a start on or before the target$",
    ):
        plans.add_action(ctx, new)
    assert dashboard.plan_for(ctx, plan_id, None).actions == 0
