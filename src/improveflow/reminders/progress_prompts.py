"""Progress prompts: an action with no target date ("Ongoing") is asked for news after some
weeks of silence, and again every as many weeks until its owner answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from improveflow.workflow.definition import ReminderPolicy


def prompt_quiet_since(policy: ReminderPolicy, now: datetime) -> datetime:
    """Actions with no target date, quiet since before this moment, are prompted."""
    return now - timedelta(weeks=policy.progress_prompt_weeks)
