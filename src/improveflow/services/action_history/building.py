"""From one action's audit events to its history: pure, given the typed events and the names.

The audit log records each step of a change separately (asked, decided, applied, ended). Here
the steps of one request are gathered into one entry, escalations closed by a change are folded
into that change, and notices (who was emailed) are left to the outbox. Everything is read from
the events' typed fields (`improveflow.audit_events`), never from their payload or wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from improveflow import audit_events as recorded
from improveflow.audit_events import EscalationCause, Logged
from improveflow.calendar import WorkingCalendar, as_london
from improveflow.models import RequestStatus, Verdict
from improveflow.services.action_history.entries import (
    Added,
    Ask,
    CarriedForward,
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
    SignedOff,
    Waiting,
)
from improveflow.workflow.definition import Workflow

# The escalation ladder's levels start at 1; level 0 is a prompt for news, not a rung.
_FIRST_LEVEL = 1
_CLOSINGS = {
    RequestStatus.REJECTED: RequestOutcome.REJECTED,
    RequestStatus.WITHDRAWN: RequestOutcome.WITHDRAWN,
    RequestStatus.SUPERSEDED: RequestOutcome.LAPSED,
}
# What tells us the owner (or the plan's file) gave news of the action.
_NEWS = (recorded.ActionCreated, recorded.ActionImported, recorded.ProgressRecorded)
# Where an action carried forward came from, when its origin is no longer known by name.
_UNKNOWN_ORIGIN = "last year's plan"


@dataclass
class _Request:
    """The events of one approval request, gathered as they are met."""

    trigger: str | None = None
    asked: tuple[Logged, recorded.ChangeRequested] | None = None
    decisions: list[Decided] = field(default_factory=list)
    applied: tuple[Logged, recorded.TransitionApplied] | None = None
    closed_levels: tuple[int, ...] = ()
    ended: tuple[Logged, recorded.RequestEnded] | None = None
    target_then: date | None = None


class _Builder:
    def __init__(
        self,
        workflow: Workflow,
        calendar: WorkingCalendar,
        names: Mapping[int, str],
        origins: Mapping[int, str],
    ) -> None:
        self.workflow = workflow
        self.calendar = calendar
        self.names = names
        self.origins = origins
        self.entries: list[tuple[int, HistoryEntry]] = []
        self.requests: dict[int, _Request] = {}
        # Escalations closed, not yet placed: the next event says whether a change closed them.
        self.closing_run: list[tuple[Logged, recorded.EscalationClosed]] = []
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

    def add(self, logged: Logged, target_then: date | None) -> None:
        event, at = logged.event, logged.at
        if isinstance(event, recorded.EscalationClosed):
            self.closing_run.append((logged, event))
            return
        closed = self._place_closings(logged)
        match event:
            case recorded.ActionCreated():
                self._keep(logged, Added(at, self.name(event.actor_id), self.state(event.state)))
            case recorded.ActionImported():
                state = self.state(event.state)
                self._keep(logged, Imported(at, event.source, state, event.evidence or None))
            case recorded.ActionCarriedForward():
                origin = self.origins.get(event.from_action_id, _UNKNOWN_ORIGIN)
                by, state = self.name(event.actor_id), self.state(event.state)
                self._keep(logged, CarriedForward(at, by, state, event.from_action_id, origin))
            case recorded.ProgressRecorded():
                source = event.source if event.imported else None
                by = self.name(event.actor_id)
                self._keep(logged, ProgressRecorded(at, by, event.text, event.rag, source))
            case recorded.ChangeRequested():
                request = self._request(event.request_id)
                request.asked, request.target_then = (logged, event), target_then
                request.trigger = event.transition or request.trigger
            case recorded.RequestDecided():
                self._request(event.request_id).decisions.append(
                    Decided(
                        by=self.name(event.actor_id) or "Someone no longer listed",
                        approved=event.verdict is Verdict.APPROVE,
                        comment=event.comment or None,
                        deputy_for=event.on_behalf_of or None,
                    )
                )
            case recorded.TransitionApplied():
                self._transition(logged, event, closed)
            case recorded.RequestEnded():
                self._request(event.request_id).ended = (logged, event)
            case recorded.EscalationRaised():
                self._escalated(logged, event, target_then)
            case recorded.CommitteeSignedOff():
                by = self.name(event.actor_id)
                entry = SignedOff(at, by, event.signed_off_on, event.minute, event.earlier)
                self._keep(logged, entry)
            case _:
                pass  # notices, sign-ins and the like are not part of the action's story
        if isinstance(event, _NEWS):
            self.last_news = at

    def _keep(self, logged: Logged, entry: HistoryEntry) -> None:
        self.entries.append((logged.seq, entry))

    def _request(self, request_id: int) -> _Request:
        return self.requests.setdefault(request_id, _Request())

    def _place_closings(self, following: Logged | None) -> tuple[int, ...]:
        """Levels closed just before `following`, which shows them when it is a change.

        A change closes escalations in the same step as it is recorded, just before it; news
        answers a prompt (level 0), which is no escalation and needs no entry of its own.
        """
        run, self.closing_run = self.closing_run, []
        on_ladder = [(logged, event) for logged, event in run if event.level >= _FIRST_LEVEL]
        if following is not None and isinstance(following.event, recorded.TransitionApplied):
            return tuple(event.level for _, event in on_ladder)
        for logged, event in on_ladder:
            self._keep(logged, EscalationClosed(logged.at, event.level))
        return ()

    def _transition(
        self, logged: Logged, event: recorded.TransitionApplied, closed: tuple[int, ...]
    ) -> None:
        if event.request_id is not None:
            request = self._request(event.request_id)
            request.applied, request.closed_levels = (logged, event), closed
            request.trigger = request.trigger or event.transition
            return
        self._keep(logged, self._changed(logged, event, closed, None))

    def _changed(
        self,
        logged: Logged,
        event: recorded.TransitionApplied,
        closed: tuple[int, ...],
        ask: Ask | None,
    ) -> Changed:
        dates = event.target_date
        return Changed(
            at=logged.at,
            label=self.label(event.transition),
            from_state=self.state(event.from_state),
            to_state=self.state(event.to_state),
            target_from=dates.before if dates else None,
            target_to=dates.after if dates else None,
            target_changed=dates is not None,
            by=None if ask else self.name(event.actor_id),
            reason=None if ask else (event.reason or None),
            ask=ask,
            closed_levels=closed,
        )

    def _escalated(
        self, logged: Logged, event: recorded.EscalationRaised, target: date | None
    ) -> None:
        if event.reason is EscalationCause.STALLED or event.level < _FIRST_LEVEL:
            since = as_london(self.last_news).date() if self.last_news else None
            self._keep(logged, NoProgress(logged.at, since))
            return
        rated = event.reason is EscalationCause.RATED
        overdue = 0
        if target is not None:
            day = as_london(logged.at).date()
            overdue = max(0, self.calendar.working_days_between(target, day))
        rating = None
        if rated:
            rungs = [rung for rung in self.workflow.escalation.levels if rung.level == event.level]
            rating = (rungs[0].on_rag if rungs else None) or "red"
        reason = EscalationReason.RATED if rated else EscalationReason.OVERDUE
        self._keep(logged, Escalated(logged.at, event.level, reason, target, overdue, rating))

    # Requests ----------------------------------------------------------------------------------

    def finish(self) -> list[HistoryEntry]:
        self._place_closings(None)
        for request in self.requests.values():
            self._finish_request(request)
        self.entries.sort(key=lambda pair: pair[0], reverse=True)
        return [entry for _, entry in self.entries]

    def _finish_request(self, request: _Request) -> None:
        asking, asked = request.asked if request.asked else (None, None)
        ask = Ask(
            label=self.label(request.trigger),
            by=self.name(asked.actor_id) if asked else None,
            at=asking.at if asking else None,
            reason=(asked.reason or None) if asked else None,
            body=self.workflow.body_title(asked.body if asked else ""),
            new_target_date=asked.new_target_date if asked else None,
            quorum=asked.quorum if asked else 1,
            target_then=request.target_then,
            decisions=tuple(request.decisions),
        )
        if request.applied is not None:
            logged, applied = request.applied
            self._keep(logged, self._changed(logged, applied, request.closed_levels, ask))
        elif request.ended is not None:
            logged, ended = request.ended
            if ended.outcome in _CLOSINGS:
                outcome = _CLOSINGS[ended.outcome]
                by = self.name(ended.actor_id)
                self._keep(logged, RequestClosed(logged.at, ask, outcome, by))
        elif asking is not None:
            self._keep(asking, Waiting(asking.at, ask))


def build_history(
    events: Sequence[Logged],
    *,
    workflow: Workflow,
    calendar: WorkingCalendar,
    names: Mapping[int, str],
    target_now: date | None,
    origins: Mapping[int, str] | None = None,
) -> list[HistoryEntry]:
    """The history of one action, newest first, from its audit events in order.

    `target_now` is the action's target date today: walking back through the changes of date
    gives the target in force when each escalation was raised. `origins` names, by id, the
    action of last year's plan it was carried forward from.
    """
    targets: dict[int, date | None] = {}
    target = target_now
    for logged in reversed(events):
        targets[logged.seq] = target
        event = logged.event
        if isinstance(event, recorded.TransitionApplied) and event.target_date is not None:
            target = event.target_date.before
    builder = _Builder(workflow, calendar, names, origins or {})
    for logged in events:
        builder.add(logged, targets[logged.seq])
    return builder.finish()
