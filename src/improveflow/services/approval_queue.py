"""The approvals queue and a single request, as the CMT and Cabinet pages show them.

Paged and aggregated in SQL like the other read models (see `dashboard`), with each
request's recent progress fetched for the page's rows only. A single request also carries
its record (`request_record`): what was asked and what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from improveflow import exceptions
from improveflow.services.context import Context
from improveflow.services.dashboard import ProgressItem, recent_progress
from improveflow.services.request_record import RequestRecord, request_record
from improveflow.stores import approval_queue as queue_store
from improveflow.stores.approval_queue import DecisionView, RequestRow

__all__ = ["DecisionView", "Queue", "RequestView", "approvals_queue", "request_view"]


@dataclass(frozen=True)
class RequestView(RequestRow):
    """A request as its page shows it: the row, the action's newest progress and, for a
    single request, its decisions and record."""

    progress: tuple[ProgressItem, ...] = ()
    decisions: tuple[DecisionView, ...] = ()
    record: RequestRecord | None = None  # read for a single request only


@dataclass(frozen=True)
class Queue:
    items: list[RequestView]
    total: int
    decided_by_me: frozenset[int]  # requests in the list this person has already voted on


def approvals_queue(
    ctx: Context,
    person_id: int,
    bodies: frozenset[str],
    organisation: str | None,
    *,
    page: int = 1,
    size: int = 25,
    progress_shown: int = 2,
) -> Queue:
    """Pending requests for `bodies`, oldest first, with each action's newest progress."""
    if not bodies:
        return Queue([], 0, frozenset())
    with ctx.database.reading() as session:
        total = queue_store.count_pending(session, bodies, organisation)
        rows = queue_store.pending_page(
            session, bodies, organisation, limit=size, offset=(max(page, 1) - 1) * size
        )
        progress = recent_progress(session, [r.action_id for r in rows], progress_shown)
        mine = queue_store.decided_by(session, person_id, [r.id for r in rows])
        items = [
            RequestView(**vars(row), progress=tuple(progress.get(row.action_id, ())))
            for row in rows
        ]
        return Queue(items, total, mine)


def request_view(
    ctx: Context, request_id: int, organisation: str | None, *, progress_shown: int = 5
) -> RequestView:
    """One request, whatever its status, with its decisions so far and the action's progress."""
    with ctx.database.reading() as session:
        found = queue_store.request_row(session, request_id, organisation)
        if found is None:
            raise exceptions.NotFound(f"There is no request number {request_id} that you can see")
        progress = recent_progress(session, [found.action_id], progress_shown)
        record = request_record(
            session,
            request_id=found.id,
            action_id=found.action_id,
            new_target_date=found.new_target_date,
            current_target=found.target_date,
        )
        return RequestView(
            **vars(found),
            progress=tuple(progress.get(found.action_id, ())),
            decisions=queue_store.decisions_of(session, request_id),
            record=record,
        )
