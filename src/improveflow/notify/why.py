"""Why someone gets an email: the clauses its footer joins after 'You are getting this email
because', one for each role the reader holds in what it carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from improveflow.notify.wording import and_list

__all__ = ["DIGEST_HEADINGS", "digest_reasons", "reasons"]

_TOLD_AS = {
    "lead": ("a peer-challenge lead", "peer-challenge leads"),
    "admin": ("an administrator", "administrators"),
}


def reasons(items: Sequence[Mapping[str, Any]], kind: str, under: str | None = None) -> list[str]:
    """Why someone gets these escalation or no-progress items, one clause per role they hold
    in them: 'you own one of these actions', 'you are a member of the Cabinet, which is told
    of escalations at level 3'. `under` names the digest heading the items are listed under.
    Templates join the clauses after 'because'."""
    clauses = []
    own = sum(1 for item in items if item["role"] == "owner")
    if own:
        clauses.append("you own " + _which(own, len(items), under))
    told: dict[tuple[str, str | None], set[int]] = {}
    for item in items:
        if item["role"] != "owner":
            levels = told.setdefault((item["role"], item.get("body_title")), set())
            if item.get("level"):
                levels.add(int(item["level"]))
    for (role, body_title), levels in told.items():
        if kind == "escalation" and levels:
            plural_s = "s" if len(levels) > 1 else ""
            about = f"escalations at level{plural_s} {and_list(sorted(levels))}"
        elif kind == "escalation":
            about = "escalations"
        else:
            about = "actions with no progress update for some weeks"
        if role in _TOLD_AS:
            one, many = _TOLD_AS[role]
            clauses.append(f"you are {one}, and {many} are told of {about}")
        else:
            body = f"the {body_title}" if body_title else "a group"
            clauses.append(f"you are a member of {body}, which is told of {about}")
    return clauses


def _which(some: int, of: int, under: str | None) -> str:
    """'this action', 'one of these actions', '2 of the actions under Escalations'."""
    if under is None:
        if some == of:
            return "this action" if some == 1 else "these actions"
        return ("one" if some == 1 else str(some)) + " of these actions"
    if some == of:
        return ("the action" if some == 1 else "the actions") + f" under {under}"
    return ("one" if some == 1 else str(some)) + f" of the actions under {under}"


DIGEST_HEADINGS = {
    "escalation": "Escalations",
    "no_progress": "No recent progress",
    "reminder": "Reminders",
    "progress_prompt": "Progress updates needed",
    "approval_needed": "Approvals needed",
    "decision": "Decisions",
    "reply_recorded": "Your replies, recorded",
}


def digest_reasons(sections: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why someone gets a digest, as clauses to join after 'because': one for the actions
    they own (every one it asks them to update), then one per other role they hold."""
    owns = False
    clauses: list[str] = []
    for section in sections:
        kind, context = section["kind"], section["context"]
        if kind in ("escalation", "no_progress"):
            found = reasons(context["items"], kind)
            owns = owns or any(item["role"] == "owner" for item in context["items"])
            clauses += [c for c in found if not c.startswith("you own ") and c not in clauses]
        elif kind in ("reminder", "progress_prompt"):
            owns = True
        elif kind == "reply_recorded":
            clauses.append("you replied to an email about an action")
        elif kind == "approval_needed":
            clauses.append(
                f"you decide requests for the {context['body_title'] or context['body']}"
            )
        else:
            clauses.append("you made a request it gives the decision on")
    return (["you own the actions it asks you to update"] if owns else []) + clauses
