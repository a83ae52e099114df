"""A person's choices about the email they get, as the preferences page reads them."""

from __future__ import annotations

from improveflow.services.context import Context
from improveflow.stores import people


def reminder_delivery(ctx: Context, person_id: int) -> str:
    """How `person_id` gets reminders and prompts: "immediate" or "daily_digest"."""
    with ctx.database.reading() as session:
        return people.person_by_id(session, person_id).reminder_delivery
