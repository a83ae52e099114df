"""The sweep's progress prompts: ask the owner of an action with no target date for news after
weeks of silence, then again every as many weeks until they answer."""

from __future__ import annotations

import sqlalchemy as sa

from improveflow.models import Action
from improveflow.services import notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.store import table_of

PAGE = 1000  # rows per UPDATE when marking prompts
_ACTION = table_of(Action)


def prompt_due(sweep: WorkflowPass) -> None:
    """Record every prompt due now, and restart the silence of each action prompted."""
    condition = sa.and_(
        _ACTION.c.target_date.is_(None),
        _ACTION.c.quiet_since <= sweep.planner.prompt_quiet_since(sweep.now),
        _ACTION.c.owner_id.is_not(None),
    )
    weeks = sweep.planner.reminders.progress_prompt_weeks
    prompted = []
    for row in sweep.pages(condition):
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
    for start in range(0, len(prompted), PAGE):
        # Prompts repeat every N weeks from this one, unless the owner answers.
        sweep.session.connection().execute(
            sa.update(_ACTION)
            .where(_ACTION.c.id.in_(prompted[start : start + PAGE]))
            .values(quiet_since=sweep.now)
        )
