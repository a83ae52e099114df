"""What an email says about one action: the items of the contexts the bundler queues. Pure.

Working days are counted here, with the calendar of the action's own workflow (its planner),
and each item carries the London day they were counted on (`as_of`), so the templates never
count anything themselves. Escalation and no-progress items also carry the recipient's role
in that action, so one email can ask its owner to act on one action and tell them of another
for information.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from improveflow.calendar import as_london
from improveflow.reminders import SweepPlanner
from improveflow.workflow.definition import OWNER

__all__ = ["action_item", "escalation_item", "no_progress_item", "role_of"]


def action_item(action: Mapping[str, Any], planner: SweepPlanner, now: datetime) -> dict[str, Any]:
    """The facts every kind shows about `action`, counted at `now`."""
    target = action["target_date"]
    progress_at = action["progress_at"]
    return {
        "action_id": action["id"],
        "description": action["description"],
        "plan": action["plan"],
        "theme": action["theme"],
        "objective": action["objective"],
        "target_date": target.isoformat() if target else None,
        "as_of": planner.today(now).isoformat(),
        "working_days_left": planner.working_days_left(target, now) if target else None,
        "working_days_overdue": planner.working_days_overdue(target, now) if target else None,
        "state": action["state"],
        "rag": action["rag"],
        "latest_progress": action["progress"],
        "latest_progress_at": as_london(progress_at).isoformat() if progress_at else None,
        "weeks_since_progress": (now - progress_at).days // 7 if progress_at else None,
    }


def role_of(person_id: int, owner_id: int | None, audience: str) -> str:
    """The recipient's role in the action: 'owner' if they own it now, whatever list told
    them, otherwise the one the notice was decided for ('body', 'lead' or 'admin')."""
    return OWNER if person_id == owner_id else audience


def escalation_item(
    item: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    role: str,
    owner_name: str | None,
    body_title: str | None,
) -> dict[str, Any]:
    """`item` with what an escalation adds: its level and reason, and who is told as what."""
    return {
        **item,
        "level": int(data.get("level", 1)),
        "reason": data.get("reason", "overdue"),
        "role": role,
        "owner_name": owner_name,
        "body_title": body_title,
    }


def no_progress_item(
    item: Mapping[str, Any],
    *,
    quiet_since: datetime,
    now: datetime,
    role: str,
    owner_name: str | None,
    body_title: str | None,
) -> dict[str, Any]:
    """`item` with how long the action has gone without news, and who is told as what."""
    return {
        **item,
        "days_quiet": (now - quiet_since).days,
        "role": role,
        "owner_name": owner_name,
        "body_title": body_title,
    }
