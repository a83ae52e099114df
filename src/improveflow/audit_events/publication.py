"""The events of the public progress page: a plan published or withdrawn, and a progress
update marked public (or no longer) by a member of the body that decides the plan's changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from improveflow.audit_events.base import FROM_KIND, Event, registered
from improveflow.audit_events.kinds import EventKind


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class PlanPublished(Event):
    """A plan's public page opened (`published`) or withdrawn, at /public/plans/<slug>."""

    KIND = EventKind.PLAN_PUBLISHED
    KINDS = (EventKind.PLAN_PUBLISHED, EventKind.PLAN_UNPUBLISHED)
    published: bool = field(metadata=FROM_KIND)
    actor_id: int
    plan_id: int
    slug: str

    @property
    def kind(self) -> EventKind:
        return EventKind.PLAN_PUBLISHED if self.published else EventKind.PLAN_UNPUBLISHED

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        return {"published": kind is EventKind.PLAN_PUBLISHED}


@registered
@dataclass(frozen=True, kw_only=True, slots=True)
class ProgressMarked(Event):
    """A progress update marked public (`public`), or taken off the public page, by `actor_id`."""

    KIND = EventKind.PROGRESS_MADE_PUBLIC
    KINDS = (EventKind.PROGRESS_MADE_PUBLIC, EventKind.PROGRESS_MADE_PRIVATE)
    public: bool = field(metadata=FROM_KIND)
    action_id: int
    actor_id: int
    progress_id: int

    @property
    def kind(self) -> EventKind:
        return EventKind.PROGRESS_MADE_PUBLIC if self.public else EventKind.PROGRESS_MADE_PRIVATE

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        return {"public": kind is EventKind.PROGRESS_MADE_PUBLIC}
