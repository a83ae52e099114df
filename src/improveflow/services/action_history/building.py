"""From one action's audit events to its history: pure, given the events and the names.

The audit log records each step of a change separately (asked, decided, moved, approved). Here
the steps of one request are gathered into one entry, escalations closed by a change are folded
into that change, and notices (who was emailed) are left to the outbox. The words matched here
are the values stored in the log, which stay as written whatever later code calls them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from improveflow.calendar import WorkingCalendar, as_london
from improveflow.models import AuditEvent
from improveflow.services.action_history.entries import (
    Added,
    Ask,
    Changed,
    Decided,
    Escalated,
    EscalationClosed,
    EscalationReason,
    HistoryEntry,
    Imported,
    NoProgress,
    ProgressRecorded,
    RequestClosed,
    RequestOutcome,
    Waiting,
)
from improveflow.workflow.definition import Workflow

# An escalation stored with this reason (at level 0) was a prompt for news, not a rung of the
# ladder, whose levels start at 1.
_STALLED = "stalled"
_FIRST_LEVEL = 1
_CLOSINGS = {
    "rejected": RequestOutcome.REJECTED,
    "withdrawn": RequestOutcome.WITHDRAWN,
    "superseded": RequestOutcome.LAPSED,
}
# What tells us the owner (or the plan's file) gave news of the action.
_NEWS = ("action_created", "imported", "progress")


@dataclass
class _Request:
    """The events of one approval request, gathered as they are met."""

    trigger: str | None = None
    asked: AuditEvent | None = None
    data: dict[str, Any] = field(default_factory=dict)
    decisions: list[Decided] = field(default_factory=list)
    transition: AuditEvent | None = None
    closed_levels: tuple[int, ...] = ()
    closing: AuditEvent | None = None
    target_then: date | None = None


class _Builder:
    def __init__(
        self,
        workflow: Workflow,
        calendar: WorkingCalendar,
        names: Mapping[int, str],
    ) -> None:
        self.workflow = workflow
        self.calendar = calendar
        self.names = names
        self.entries: list[tuple[int, HistoryEntry]] = []
        self.requests: dict[int, _Request] = {}
        self.closing_run: list[AuditEvent] = []  # escalation_closed events not yet placed
        self.last_news: datetime | None = None

    # Words -------------------------------------------------------------------------------------

    def name(self, person_id: int | None) -> str | None:
        return self.names.get(person_id) if person_id is not None else None

    def state(self, name: str | None) -> str:
        known = self.workflow.states.get(name or "")
        return known.label if known else (name or "").replace("_", " ").capitalize()

    def label(self, trigger: str | None) -> str:
        known = self.workflow.transitions.get(trigger or "")
        return known.label if known else (trigger or "change").replace("_", " ")

    # Events ------------------------------------------------------------------------------------

    def add(self, event: AuditEvent, target_then: date | None) -> None:
        data = _data(event)
        if event.event == "escalation_closed":
            self.closing_run.append(event)
            return
        closed = self._place_closings(event)
        kind = event.event
        if kind == "action_created":
            self._keep(
                event, Added(event.at, self.name(event.actor_id), self.state(event.to_state))
            )
        elif kind == "imported":
            source = data.get("source")
            entry = Imported(event.at, source, self.state(event.to_state), event.comment or None)
            self._keep(event, entry)
        elif kind == "progress":
            source = data.get("source") if data.get("imported") else None
            by = self.name(event.actor_id)
            rag = data.get("rag")
            self._keep(event, ProgressRecorded(event.at, by, event.comment or "", rag, source))
        elif kind == "requested" and event.request_id is not None:
            request = self._request(event.request_id)
            request.asked, request.data, request.target_then = event, data, target_then
            request.trigger = data.get("transition") or request.trigger
        elif kind == "decision" and event.request_id is not None:
            on_behalf_of = data.get("on_behalf_of")
            self._request(event.request_id).decisions.append(
                Decided(
                    by=self.name(event.actor_id) or "Someone no longer listed",
                    approved=data.get("verdict") == "approve",
                    comment=event.comment or None,
                    deputy_for=str(on_behalf_of) if on_behalf_of else None,
                )
            )
        elif kind == "transition":
            self._transition(event, data, closed)
        elif kind in ("approved", *_CLOSINGS) and event.request_id is not None:
            self._request(event.request_id).closing = event
        elif kind == "escalated":
            self._escalated(event, data, target_then)
        # Anything else (notices, sign-ins) is not part of the action's story.
        if kind in _NEWS:
            self.last_news = event.at

    def _keep(self, event: AuditEvent, entry: HistoryEntry) -> None:
        self.entries.append((event.seq, entry))

    def _request(self, request_id: int) -> _Request:
        return self.requests.setdefault(request_id, _Request())

    def _place_closings(self, following: AuditEvent | None) -> tuple[int, ...]:
        """Levels closed just before `following`, which shows them when it is a change.

        A change closes escalations in the same step as it is recorded, just before it; news
        answers a prompt (level 0), which is no escalation and needs no entry of its own.
        """
        run, self.closing_run = self.closing_run, []
        levels = tuple(
            level for event in run if (level := int(_data(event).get("level", 0))) >= _FIRST_LEVEL
        )
        if following is not None and following.event == "transition":
            return levels
        for event in run:
            level = int(_data(event).get("level", 0))
            if level >= _FIRST_LEVEL:
                self._keep(event, EscalationClosed(event.at, level))
        return ()

    def _transition(self, event: AuditEvent, data: dict[str, Any], closed: tuple[int, ...]) -> None:
        if event.request_id is not None:
            request = self._request(event.request_id)
            request.transition, request.closed_levels = event, closed
            request.trigger = request.trigger or data.get("transition")
            return
        self._keep(event, self._changed(event, data, closed, None))

    def _changed(
        self, event: AuditEvent, data: dict[str, Any], closed: tuple[int, ...], ask: Ask | None
    ) -> Changed:
        dates = data.get("target_date")
        moved = isinstance(dates, dict)
        return Changed(
            at=event.at,
            label=self.label(data.get("transition")),
            from_state=self.state(event.from_state),
            to_state=self.state(event.to_state),
            target_from=_date(dates.get("from")) if isinstance(dates, dict) else None,
            target_to=_date(dates.get("to")) if isinstance(dates, dict) else None,
            target_changed=moved,
            by=None if ask else self.name(event.actor_id),
            reason=None if ask else (event.comment or None),
            ask=ask,
            closed_levels=closed,
        )

    def _escalated(self, event: AuditEvent, data: dict[str, Any], target: date | None) -> None:
        level = int(data.get("level", 0))
        if data.get("reason") == _STALLED or level < _FIRST_LEVEL:
            since = as_london(self.last_news).date() if self.last_news else None
            self._keep(event, NoProgress(event.at, since))
            return
        try:
            reason = EscalationReason(str(data.get("reason")))
        except ValueError:
            reason = EscalationReason.OVERDUE
        overdue = 0
        if target is not None:
            day = as_london(event.at).date()
            overdue = max(0, self.calendar.working_days_between(target, day))
        rating = None
        if reason is EscalationReason.RATED:
            rungs = [rung for rung in self.workflow.escalation.levels if rung.level == level]
            rating = (rungs[0].on_rag if rungs else None) or "red"
        self._keep(event, Escalated(event.at, level, reason, target, overdue, rating))

    # Requests ----------------------------------------------------------------------------------

    def finish(self) -> list[HistoryEntry]:
        self._place_closings(None)
        for request in self.requests.values():
            self._finish_request(request)
        self.entries.sort(key=lambda pair: pair[0], reverse=True)
        return [entry for _, entry in self.entries]

    def _finish_request(self, request: _Request) -> None:
        asked, data = request.asked, request.data
        new_target = _date(data.get("new_target_date"))
        ask = Ask(
            label=self.label(request.trigger),
            by=self.name(asked.actor_id) if asked else None,
            at=asked.at if asked else None,
            reason=(asked.comment or None) if asked else None,
            body=self.workflow.body_title(str(data.get("body") or "")),
            new_target_date=new_target,
            quorum=int(data.get("quorum") or 1),
            target_then=request.target_then,
            decisions=tuple(request.decisions),
        )
        if request.transition is not None:
            transition = request.transition
            entry = self._changed(transition, _data(transition), request.closed_levels, ask)
            self._keep(transition, entry)
        elif request.closing is not None and request.closing.event in _CLOSINGS:
            closing = request.closing
            outcome = _CLOSINGS[closing.event]
            self._keep(
                closing, RequestClosed(closing.at, ask, outcome, self.name(closing.actor_id))
            )
        elif asked is not None and request.closing is None:
            self._keep(asked, Waiting(asked.at, ask))


def build_history(
    events: Sequence[AuditEvent],
    *,
    workflow: Workflow,
    calendar: WorkingCalendar,
    names: Mapping[int, str],
    target_now: date | None,
) -> list[HistoryEntry]:
    """The history of one action, newest first, from its audit events in order.

    `target_now` is the action's target date today: walking back through the changes of date
    gives the target in force when each escalation was raised.
    """
    targets: dict[int, date | None] = {}
    target = target_now
    for event in reversed(events):
        targets[event.seq] = target
        if event.event == "transition":
            dates = _data(event).get("target_date")
            if isinstance(dates, dict):
                target = _date(dates.get("from"))
    builder = _Builder(workflow, calendar, names)
    for event in events:
        builder.add(event, targets[event.seq])
    return builder.finish()


def _data(event: AuditEvent) -> dict[str, Any]:
    loaded = json.loads(event.data or "{}")
    return loaded if isinstance(loaded, dict) else {}


def _date(value: object) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])
