"""The sweep's progress prompts: ask the owner of an action with no target date for news after
weeks of silence, then again every as many weeks until they answer."""

from __future__ import annotations

from improveflow.services import notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import sweep as sweep_store


def prompt_due(sweep: WorkflowPass) -> None:
    """Record every prompt due now, and restart the silence of each action prompted."""
    quiet_since = sweep.planner.prompt_quiet_since(sweep.now)
    weeks = sweep.planner.reminders.progress_prompt_weeks
    prompted = []
    for row in sweep_store.quiet_without_target(sweep.session, sweep.scope, quiet_since):
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
    # Prompts repeat every N weeks from this one, unless the owner answers.
    sweep_store.restart_silence(sweep.session, prompted, sweep.now)
