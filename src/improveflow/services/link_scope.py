"""What a session started from a link in an email may reach: the one thing the link was for.

Only a sign-in link starts a whole session. An action link lets its person see that action and
act on it; an approval link, that request; a preferences link, the preferences page; a
timetable link, the pages that mark one plan's peer-challenge milestones done. The scope is
stored with the session ("all", "action:12", "approval:7", "preferences", "timetable:3") and
read back here; a value this module cannot read reaches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from improveflow import exceptions
from improveflow.services.context import Context
from improveflow.stores import sessions as stored_sessions

WHOLE = "all"  # the stored scope of a session started by signing in


class ScopeKind(StrEnum):
    ACTION = "action"
    APPROVAL = "approval"
    PREFERENCES = "preferences"
    TIMETABLE = "timetable"


# The payload key of each link that names its record.
_RECORD_KEY = {
    ScopeKind.ACTION: "action",
    ScopeKind.APPROVAL: "request",
    ScopeKind.TIMETABLE: "plan",
}


class UnreadableScope(ValueError):
    """A stored scope that names nothing this version knows: the session reaches nothing."""


@dataclass(frozen=True)
class LinkScope:
    """The one page (and what can be done on it) a link's session reaches."""

    kind: ScopeKind
    record_id: int | None = None  # the action, request or plan; None for preferences

    @classmethod
    def for_link(cls, purpose: str, payload: dict[str, Any]) -> LinkScope | None:
        """The scope of a session started from a link for `purpose`; None for a sign-in link,
        whose session is whole. LinkInvalid when the link does not name its record."""
        if purpose == "sign_in":
            return None
        try:
            kind = ScopeKind(purpose)
        except ValueError:
            # Unsubscribe links, say: they never start a session at all.
            raise exceptions.LinkInvalid() from None
        key = _RECORD_KEY.get(kind)
        if key is None:
            return cls(kind)
        record = payload.get(key)
        if not isinstance(record, int) or isinstance(record, bool):
            raise exceptions.LinkInvalid()
        return cls(kind, record)

    def stored(self) -> str:
        return self.kind.value if self.record_id is None else f"{self.kind.value}:{self.record_id}"

    @classmethod
    def from_stored(cls, text: str) -> LinkScope | None:
        """The scope `stored()` wrote; None for a whole session. UnreadableScope otherwise."""
        if text == WHOLE:
            return None
        name, _, number = text.partition(":")
        try:
            kind = ScopeKind(name)
        except ValueError:
            raise UnreadableScope(text) from None
        needs_record = kind in _RECORD_KEY
        if needs_record != bool(number) or (number and not number.isdigit()):
            raise UnreadableScope(text)
        return cls(kind, int(number) if number else None)


def stored_scope(scope: LinkScope | None) -> str:
    return WHOLE if scope is None else scope.stored()


def requests_of_action(ctx: Context, action_id: int, request_ids: Iterable[int]) -> bool:
    """Whether every request in `request_ids` is one made on action `action_id`."""
    wanted = set(request_ids)
    if not wanted:
        return True
    with ctx.database.reading() as session:
        found = stored_sessions.count_requests_of_action(session, action_id, wanted)
    return found == len(wanted)
