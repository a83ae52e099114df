"""`improveflow sweep` and `escalations list` say what happened in plain words: a quiet action
has had no progress update, and is never shown as an escalation at level 0."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from cli_runner import Cli

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Verdict
from improveflow.services import approvals, progress
from improveflow.testing import add_action, add_plan, add_sample_people, make_context


def test_a_quiet_action_is_listed_without_a_level(tmp_path: Path) -> None:
    """Six weeks without news: the sweep reports 'no progress update for 6 weeks' and raises
    no escalation; the listing shows the action with no level and that reason."""
    clock = FrozenClock(datetime(2015, 1, 5, 10, 0, tzinfo=LONDON))
    context = make_context(f"sqlite:///{tmp_path / 'improveflow.db'}", clock=clock)
    try:
        add_sample_people(context)
        action_id = add_action(
            context, add_plan(context), "Agree the budget", target=date(2015, 6, 30)
        )
        opened = approvals.request_change(
            context, action_id, "approve", by_email="owen@council.example"
        )
        assert opened.request_id is not None
        approvals.decide(
            context, opened.request_id, Verdict.APPROVE, by_email="dana@council.example"
        )
        progress.record_progress(
            context, action_id, "Options drafted", None, by_email="owen@council.example"
        )
    finally:
        context.close()
    cli = Cli(tmp_path)
    swept = cli("sweep", "--now", "2015-02-17T09:30").out  # a Tuesday, six weeks and a day on
    assert "0 escalations raised" in swept
    assert "no progress update for 6 weeks" in swept
    listed = cli("escalations", "list").out
    assert "no progress update" in listed
    assert "stalled" not in listed.lower()
    row = next(line for line in listed.splitlines() if "Agree the budget" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells[3:5] == ["-", "no progress update"], cells
