"""The approvals queue and a single request, as the CMT and Cabinet pages show them.

Paged and aggregated in SQL like the other read models (see `dashboard`), with each
request's recent progress fetched for the page's rows only. A single request also carries
its record (`request_record`): what was asked and what became of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from improveflow import exceptions
from improveflow.models import Action, ApprovalRequest, Decision, Person, Plan, RequestStatus
from improveflow.services.context import Context
from improveflow.services.dashboard import ProgressItem, recent_progress, visible_to
from improveflow.services.request_record import RequestRecord, request_record
from improveflow.store import table_of

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)

_REQUEST = table_of(ApprovalRequest)
_DECISION = table_of(Decision)
_REQUESTER = _PERSON.alias("requester")


@dataclass(frozen=True)
class RequestView:
    id: int
    action_id: int
    description: str
    plan_id: int
    plan: str
    workflow: str
    transition: str
    body: str
    quorum: int
    status: RequestStatus
    requester_id: int
    requester: str
    reason: str | None
    new_target_date: date | None
    created_at: datetime
    closed_at: datetime | None
    state: str
    target_date: date | None
    rag: str | None
    owner_id: int | None
    progress: tuple[ProgressItem, ...] = ()
    decisions: tuple[DecisionView, ...] = ()
    record: RequestRecord | None = None  # read for a single request only


@dataclass(frozen=True)
class DecisionView:
    person_id: int
    name: str
    on_behalf_of: str | None
    verdict: str
    comment: str | None
    at: datetime


_REQUEST_FROM = (
    _REQUEST.join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id)
    .join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id)
    .join(_REQUESTER, _REQUESTER.c.id == _REQUEST.c.requester_id)
)
_REQUESTS = sa.select(
    _REQUEST.c.id,
    _REQUEST.c.action_id,
    _ACTION.c.description,
    _PLAN.c.id,
    _PLAN.c.title,
    _PLAN.c.workflow,
    _REQUEST.c.transition,
    _REQUEST.c.body,
    _REQUEST.c.quorum,
    _REQUEST.c.status,
    _REQUEST.c.requester_id,
    _REQUESTER.c.name,
    _REQUEST.c.reason,
    _REQUEST.c.new_target_date,
    _REQUEST.c.created_at,
    _REQUEST.c.closed_at,
    _ACTION.c.state,
    _ACTION.c.target_date,
    _ACTION.c.rag,
    _ACTION.c.owner_id,
).select_from(_REQUEST_FROM)


def _request_view(row: Sequence[Any]) -> RequestView:
    """A row of `_REQUESTS` as a view, its status read as the enum it is stored from."""
    found = RequestView(*row)
    return replace(found, status=RequestStatus(found.status))


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
    where = (
        _REQUEST.c.status == RequestStatus.PENDING.value,
        _REQUEST.c.body.in_(sorted(bodies)),
        visible_to(organisation),
    )
    with ctx.database.reading() as session:
        connection = session.connection()
        total = connection.execute(
            sa.select(sa.func.count()).select_from(_REQUEST_FROM).where(*where)
        ).scalar_one()
        rows = [
            _request_view(row)
            for row in connection.execute(
                _REQUESTS.where(*where)
                .order_by(_REQUEST.c.created_at, _REQUEST.c.id)
                .limit(size)
                .offset((max(page, 1) - 1) * size)
            )
        ]
        progress = recent_progress(session, [r.action_id for r in rows], progress_shown)
        mine = connection.execute(
            sa.select(_DECISION.c.request_id).where(
                _DECISION.c.person_id == person_id,
                _DECISION.c.request_id.in_([r.id for r in rows] or [-1]),
            )
        ).scalars()
        items = [replace(r, progress=tuple(progress.get(r.action_id, ()))) for r in rows]
        return Queue(items, int(total), frozenset(mine))


def request_view(
    ctx: Context, request_id: int, organisation: str | None, *, progress_shown: int = 5
) -> RequestView:
    """One request, whatever its status, with its decisions so far and the action's progress."""
    with ctx.database.reading() as session:
        connection = session.connection()
        row = connection.execute(
            _REQUESTS.where(_REQUEST.c.id == request_id, visible_to(organisation))
        ).first()
        if row is None:
            raise exceptions.NotFound(f"There is no request number {request_id} that you can see")
        found = _request_view(row)
        decider, member = _PERSON.alias("decider"), _PERSON.alias("member")
        decisions = tuple(
            DecisionView(*d)
            for d in connection.execute(
                sa.select(
                    _DECISION.c.person_id,
                    decider.c.name,
                    member.c.name,
                    _DECISION.c.verdict,
                    _DECISION.c.comment,
                    _DECISION.c.decided_at,
                )
                .select_from(
                    _DECISION.join(decider, decider.c.id == _DECISION.c.person_id).outerjoin(
                        member, member.c.id == _DECISION.c.on_behalf_of_id
                    )
                )
                .where(_DECISION.c.request_id == request_id)
                .order_by(_DECISION.c.id)
            )
        )
        progress = recent_progress(session, [found.action_id], progress_shown)
        record = request_record(
            session,
            request_id=found.id,
            action_id=found.action_id,
            new_target_date=found.new_target_date,
            current_target=found.target_date,
        )
        return replace(
            found,
            progress=tuple(progress.get(found.action_id, ())),
            decisions=decisions,
            record=record,
        )
