"""The newest progress updates of an action, for its page.

The stores read them for many actions in one query (`stores.actions.recent_progress`); the
plan's table and the approvals queue take them from there inside their own unit of work.
"""

from __future__ import annotations

from improveflow.services.context import Context
from improveflow.stores.actions import ProgressItem, recent_progress

__all__ = ["ProgressItem", "progress_of", "recent_progress"]


def progress_of(ctx: Context, action_id: int, shown: int) -> list[ProgressItem]:
    """The action's newest `shown` progress updates, newest first."""
    with ctx.database.reading() as session:
        return recent_progress(session, [action_id], shown).get(action_id, [])
