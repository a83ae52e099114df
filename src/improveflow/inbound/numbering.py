"""The short numbers an email gives its actions ('#2'), so a reply can name one.

The same email context always gives the same numbers: the renderer shows them and a reply's
'#2' is read with them, from the context stored with the email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["numbered_actions"]


def numbered_actions(template: str, context: Mapping[str, Any]) -> list[int]:
    """The ids of the actions the email is about, in the order it lists them: #1 first."""
    if template == "digest":
        sections = [section.get("context", {}) for section in context.get("sections", [])]
    else:
        sections = [context]
    found: list[int] = []
    for section in sections:
        for item in section.get("items", []):
            action_id = item.get("action_id")
            if isinstance(action_id, int) and action_id not in found:
                found.append(action_id)
    action = context.get("action")
    if (
        isinstance(action, Mapping)
        and isinstance(action.get("action_id"), int)
        and action["action_id"] not in found
    ):
        found.append(action["action_id"])
    return found
