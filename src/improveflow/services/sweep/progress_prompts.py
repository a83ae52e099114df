"""The sweep's progress prompts: ask the owner of an action with no target date for news after
weeks of silence, then again every as many weeks until they answer."""

from __future__ import annotations

from improveflow.services import notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import sweep as sweep_store

# Prompts whose silence is restarted in one statement, a step the sweep may commit after.
PROMPTS_PER_STEP = 100


def prompt_due(sweep: WorkflowPass) -> None:
    """Record every prompt due now, and restart the silence of each action prompted."""
    quiet_since = sweep.planner.prompt_quiet_since(sweep.now)
    weeks = sweep.planner.reminders.progress_prompt_weeks
    prompted: list[int] = []
    for row in sweep_store.quiet_without_target(sweep.session, sweep.scope, quiet_since):
        if len(prompted) >= PROMPTS_PER_STEP:
            _restart_silence(sweep, prompted)
        created = sweep.notice(
            notices.PROGRESS_PROMPT,
            f"prompt:{row.id}:{row.quiet_since.isoformat()}",
            row.owner_id,
            f"no target date and no news for {weeks} weeks or more",
            action_id=row.id,
            due_at=sweep.owner_due_at(row.owner_id),
        )
        if created:
            prompted.append(row.id)
    _restart_silence(sweep, prompted)


def _restart_silence(sweep: WorkflowPass, prompted: list[int]) -> None:
    """Prompts repeat every N weeks from this one, unless the owner answers. Written with the
    prompts, before their batch may commit: a prompt recorded without its restart would
    keep its key, and its action would never be prompted again."""
    sweep_store.restart_silence(sweep.session, prompted, sweep.now)
    prompted.clear()
    sweep.settle()
