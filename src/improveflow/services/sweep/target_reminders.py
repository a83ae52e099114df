"""The sweep's reminders before target dates: for each offset, read the narrow range of target
dates that can have a reminder due, and tell each owner once per reminder."""

from __future__ import annotations

from datetime import date

from improveflow.calendar import as_london
from improveflow.reminders import DueReminder
from improveflow.services import notices
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import sweep as sweep_store


def remind_due(sweep: WorkflowPass) -> None:
    """Record every reminder due now that is not recorded yet."""
    planner, now = sweep.planner, sweep.now
    seen: set[int] = set()
    due_by_target: dict[date, DueReminder | None] = {}
    for window in planner.reminder_ranges(now):
        rows = sweep_store.targets_between(sweep.session, sweep.scope, window.first, window.last)
        for row in rows:
            if row.id in seen:
                continue
            seen.add(row.id)
            if row.target_date not in due_by_target:  # many actions share a date
                due_by_target[row.target_date] = planner.due_reminder(row.target_date, now)
            due = due_by_target[row.target_date]
            if due is None:
                continue
            why = (
                f"due {row.target_date:%d %b %Y}: the {due.offset}-working-day reminder "
                f"(due {as_london(due.moment):%a %d %b %H:%M})"
            )
            sweep.notice(
                notices.REMINDER,
                f"reminder:{row.id}:{row.target_date}:{due.offset}",
                row.owner_id,
                why,
                action_id=row.id,
                data={"offset": due.offset},
                due_at=sweep.owner_due_at(row.owner_id),
            )
            sweep.settle()
