"""The sweep commits a batch of notices at a time, so people saving progress meanwhile wait
for a batch and not the whole run; a run that dies keeps the batches it committed, whole, and
the next run records the rest, each notice once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from improveflow import audit
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Action, Notice
from improveflow.services import notices, sweep
from improveflow.services.context import Context
from improveflow.services.sweep.batches import NOTICES_PER_TRANSACTION
from improveflow.stores.tables import table_of
from improveflow.testing import add_owners_with_actions

# Friday 28 September 2029: its one-working-day reminder is due on Thursday 27th at 09:00.
TARGET = date(2029, 9, 28)
REMINDER_MORNING = datetime(2029, 9, 27, 9, 0, tzinfo=LONDON)
OWNERS = 250


class _Died(Exception):
    """The sweep's process dying partway through."""


def _dies_after(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Make the sweep die as it records its `count + 1`th notice."""
    real_add: Callable[..., int | None] = notices.add
    calls = 0

    def add(*args: Any, **kwargs: Any) -> int | None:
        nonlocal calls
        calls += 1
        if calls > count:
            raise _Died
        return real_add(*args, **kwargs)

    monkeypatch.setattr(notices, "add", add)


def _recorded(ctx: Context, kind: str) -> list[tuple[int | None, str]]:
    table = table_of(Notice)
    with ctx.database.reading() as session:
        rows = session.connection().execute(
            sa.select(table.c.action_id, table.c.idempotency_key).where(table.c.kind == kind)
        )
        return [(row.action_id, row.idempotency_key) for row in rows]


def _audit_verifies(ctx: Context) -> int:
    with ctx.database.reading() as session:
        return audit.verify(session, ctx.database.audit_key).events


def test_a_sweep_that_dies_keeps_whole_batches_and_the_next_records_the_rest(
    ctx: Context, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dying at the 151st of 250 reminders keeps the first batch of 100, each with its audit
    event; the next sweep records the other 150, and nobody is reminded twice."""
    clock.set(REMINDER_MORNING - timedelta(days=1))
    add_owners_with_actions(ctx, OWNERS, target=TARGET, heard_from=clock.now())
    clock.set(REMINDER_MORNING)
    _dies_after(monkeypatch, 150)
    with pytest.raises(_Died):
        sweep.sweep(ctx, now=REMINDER_MORNING)
    kept = _recorded(ctx, "reminder")
    assert len(kept) == NOTICES_PER_TRANSACTION == 100
    events_after_crash = _audit_verifies(ctx)

    monkeypatch.undo()
    report = sweep.sweep(ctx, now=REMINDER_MORNING)
    assert len([d for d in report.decisions if d.kind == "reminder"]) == OWNERS - 100
    reminded = [action_id for action_id, _ in _recorded(ctx, "reminder")]
    assert len(reminded) == OWNERS == len(set(reminded))
    assert _audit_verifies(ctx) >= events_after_crash + OWNERS - 100
    assert sweep.sweep(ctx, now=REMINDER_MORNING).decisions == []


def test_a_whole_sweep_records_every_notice_once_across_its_batches(
    ctx: Context, clock: FrozenClock
) -> None:
    """250 reminders, more than two batches: each recorded once with its one audit event, and
    an email queued for each owner."""
    clock.set(REMINDER_MORNING - timedelta(days=1))
    add_owners_with_actions(ctx, OWNERS, target=TARGET, heard_from=clock.now())
    events_before = _audit_verifies(ctx)
    clock.set(REMINDER_MORNING)
    report = sweep.sweep(ctx, now=REMINDER_MORNING)
    reminded = sorted(action_id or 0 for action_id, _ in _recorded(ctx, "reminder"))
    assert len(reminded) == OWNERS == len(set(reminded))
    assert report.emails_queued == OWNERS
    assert _audit_verifies(ctx) == events_before + OWNERS  # a queued event for each notice


def test_prompts_kept_from_a_dead_sweep_restarted_their_actions_silence(
    ctx: Context, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A progress prompt is committed only with the restart of its action's silence: otherwise
    its action would keep the prompt's key and never be prompted again. After a sweep dies
    partway, every action is prompted once now and once again four weeks later."""
    quiet_from = REMINDER_MORNING - timedelta(weeks=5)
    clock.set(quiet_from)
    action_ids = add_owners_with_actions(ctx, OWNERS, target=None, heard_from=quiet_from)
    clock.set(REMINDER_MORNING)
    _dies_after(monkeypatch, 150)
    with pytest.raises(_Died):
        sweep.sweep(ctx, now=REMINDER_MORNING)
    kept = {action_id for action_id, _ in _recorded(ctx, "progress_prompt")}
    assert len(kept) == 100
    actions = table_of(Action)
    with ctx.database.reading() as session:
        quiet = dict(
            session.connection().execute(sa.select(actions.c.id, actions.c.quiet_since)).all()
        )
    assert {a for a in action_ids if quiet[a] != quiet_from} == kept

    monkeypatch.undo()
    sweep.sweep(ctx, now=REMINDER_MORNING)
    assert sorted(a for a, _ in _recorded(ctx, "progress_prompt")) == sorted(action_ids)
    four_weeks_on = REMINDER_MORNING + timedelta(weeks=4)
    clock.set(four_weeks_on)
    again = sweep.sweep(ctx, now=four_weeks_on)
    prompted_again = sorted(
        d.action_id or 0 for d in again.decisions if d.kind == "progress_prompt"
    )
    assert prompted_again == sorted(action_ids)
