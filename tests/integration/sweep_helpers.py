"""Helpers for the sweep's tests: a service plan with the sample people, agreed actions, and
sweeps run at chosen London moments with what they decided and queued."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Outbox, PlanKind, Verdict
from improveflow.services import approvals, sweep
from improveflow.services.context import Context
from improveflow.stores.tables import table_of
from improveflow.testing import add_action, add_plan, add_sample_people

OWEN = "owen@council.example"
DANA = "dana@council.example"
SAM = "sam@council.example"
RUTH = "ruth@council.example"


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def sample_plan(ctx: Context) -> int:
    """A service plan of the sample council, with its sample people."""
    add_sample_people(ctx)
    return add_plan(ctx, kind=PlanKind.SERVICE_PLAN)


def approved(ctx: Context, plan_id: int, description: str, target: date | None) -> int:
    """An agreed action owned by Owen, agreed five weeks before its target date."""
    if target is not None:
        assert isinstance(ctx.clock, FrozenClock)
        ctx.clock.set(london(target.year, target.month, target.day, 12, 0) - timedelta(weeks=5))
    action_id = add_action(ctx, plan_id, description, target=target)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    return action_id


def run(ctx: Context, clock: FrozenClock, when: datetime) -> sweep.SweepReport:
    clock.set(when)
    return sweep.sweep(ctx, now=when)


def kinds(report: sweep.SweepReport) -> list[tuple[str, int | None]]:
    """What was decided, leaving out no-progress notices (tested on their own)."""
    return [(d.kind, d.action_id) for d in report.decisions if d.kind != "no_progress"]


def outbox_rows(ctx: Context) -> list[dict[str, Any]]:
    with ctx.database.reading() as session:
        rows = session.connection().execute(sa.select(table_of(Outbox)).order_by("id"))
        return [dict(row._mapping) for row in rows]


def emails_to(ctx: Context, email: str, template: str | None = None) -> list[dict[str, Any]]:
    return [
        row
        for row in outbox_rows(ctx)
        if row["recipient_email"] == email and (template is None or row["template"] == template)
    ]


def daily_sweeps(
    ctx: Context, clock: FrozenClock, first: date, days: int, at: tuple[int, int] = (9, 30)
) -> dict[date, sweep.SweepReport]:
    """A sweep each day at `at`, London time, from `first` on: each day's report."""
    reports = {}
    for n in range(days):
        day = first + timedelta(days=n)
        reports[day] = run(ctx, clock, london(day.year, day.month, day.day, *at))
    return reports


def whys_by_day(reports: dict[date, sweep.SweepReport], kind: str) -> dict[date, list[str]]:
    """Each day's notices of `kind`: the reason each gives, to whom (by person id)."""
    found: dict[date, list[str]] = {}
    for day, report in reports.items():
        whys = sorted(
            f"{d.why.split(' (')[0]} -> {d.person_id}" for d in report.decisions if d.kind == kind
        )
        if whys:
            found[day] = whys
    return found
