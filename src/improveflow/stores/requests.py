"""Approval requests and the decisions on them.

The hot paths are Core statements built once, returning plain rows: a request and a decision
each run a handful of these, and going through the ORM for them costs several times the commit
itself (see benchmarks/transitions_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from improveflow import exceptions
from improveflow.models import (
    ApprovalRequest,
    Decision,
    RequestStatus,
    Verdict,
)
from improveflow.stores.tables import table_of


def request_by_id(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise exceptions.NotFound(f"No approval request with id {request_id}")
    return request


def pending_request_for(session: Session, action_id: int) -> ApprovalRequest | None:
    return session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.action_id == action_id,
            ApprovalRequest.status == RequestStatus.PENDING,
        )
    ).first()


def decisions_on(session: Session, request_id: int) -> Sequence[Decision]:
    return session.exec(
        select(Decision).where(Decision.request_id == request_id).order_by(col(Decision.id))
    ).all()


# Hot paths: Core statements built once, returning plain rows ----------------------------------
#


_request = table_of(ApprovalRequest)
_decision = table_of(Decision)


@dataclass(frozen=True)
class ClaimedRequest:
    id: int
    action_id: int
    transition: str
    requester_id: int
    body: str
    quorum: int
    reason: str | None
    new_target_date: date | None
    status: RequestStatus  # after the claim: still pending, or already the outcome asked for


_CLAIM = (
    sa.update(_request)
    .where(_request.c.id == sa.bindparam("request_id"), _request.c.status == RequestStatus.PENDING)
    .values(
        version=_request.c.version + 1,
        status=sa.case(
            (sa.bindparam("final") | (_request.c.quorum <= 1), sa.bindparam("outcome")),
            else_=_request.c.status,
        ),
        closed_at=sa.case(
            (
                sa.bindparam("final") | (_request.c.quorum <= 1),
                sa.bindparam("closed", type_=_request.c.closed_at.type),
            ),
            else_=_request.c.closed_at,
        ),
    )
    .returning(
        _request.c.id,
        _request.c.action_id,
        _request.c.transition,
        _request.c.requester_id,
        _request.c.body,
        _request.c.quorum,
        _request.c.reason,
        _request.c.new_target_date,
        _request.c.status,
    )
)


def claim_request(
    session: Session, request_id: int, *, outcome: RequestStatus, final: bool, at: datetime
) -> ClaimedRequest | None:
    """Lock a pending request for this transaction; None if it is no longer pending.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite), so a second decider
    waits here and then finds the request decided: one outcome, never two. It also records
    `outcome` at once when that outcome is final (a rejection, a withdrawal) or one member
    decides alone (quorum 1): the common case then needs no second statement. If the caller
    then refuses, the transaction rolls back and the request is pending again.
    """
    row = (
        session.connection()
        .execute(
            _CLAIM,
            {"request_id": request_id, "outcome": outcome.value, "final": final, "closed": at},
        )
        .first()
    )
    if row is None:
        return None
    claimed, action_id, transition, requester_id, body, quorum, reason, new_date, status = row
    return ClaimedRequest(
        claimed, action_id, transition, requester_id, body, quorum, reason, new_date,
        RequestStatus(status),
    )  # fmt: skip


_INSERT_REQUEST = sa.insert(_request)
_CLOSE_REQUEST = (
    sa.update(_request)
    .where(_request.c.id == sa.bindparam("request_id"))
    .values(status=sa.bindparam("new_status"), closed_at=sa.bindparam("closed"))
)
_VERDICTS = sa.select(
    _decision.c.person_id, _decision.c.on_behalf_of_id, _decision.c.verdict
).where(_decision.c.request_id == sa.bindparam("request_id"))
_INSERT_DECISION = sa.insert(_decision)


def insert_request(
    session: Session,
    *,
    action_id: int,
    transition: str,
    requester_id: int,
    body: str,
    quorum: int,
    reason: str | None,
    new_target_date: date | None,
    at: datetime,
) -> int:
    """Open a pending request; its id.

    RequestAlreadyPending when the action already has one: the database's one-pending-request
    index refuses the row, even when two are opened at the same moment. It is the only
    constraint the row can break (the caller has read the action and the requester in this
    transaction). The transaction can then only roll back: PostgreSQL allows nothing more in it.
    """
    values = {
        "action_id": action_id,
        "transition": transition,
        "requester_id": requester_id,
        "body": body,
        "quorum": quorum,
        "reason": reason,
        "new_target_date": new_target_date,
        "status": RequestStatus.PENDING.value,
        "version": 1,
        "created_at": at,
    }
    try:
        result = session.connection().execute(_INSERT_REQUEST, values)
    except IntegrityError as error:
        raise exceptions.RequestAlreadyPending(
            f"Action {action_id} already has a request waiting for a decision"
        ) from error
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def close_request(session: Session, request_id: int, status: RequestStatus, at: datetime) -> None:
    session.connection().execute(
        _CLOSE_REQUEST, {"request_id": request_id, "new_status": status.value, "closed": at}
    )


def verdicts_on(session: Session, request_id: int) -> list[tuple[int, int | None, Verdict]]:
    """(decider, member decided for or None, verdict) for each decision on the request."""
    rows = session.connection().execute(_VERDICTS, {"request_id": request_id}).all()
    return [(row[0], row[1], Verdict(row[2])) for row in rows]


def insert_decision(
    session: Session,
    *,
    request_id: int,
    person_id: int,
    on_behalf_of_id: int | None,
    verdict: Verdict,
    comment: str | None,
    at: datetime,
) -> None:
    """Record one member's verdict (a second by the same person breaks a unique constraint)."""
    session.connection().execute(
        _INSERT_DECISION,
        {
            "request_id": request_id,
            "person_id": person_id,
            "on_behalf_of_id": on_behalf_of_id,
            "verdict": verdict.value,
            "comment": comment,
            "decided_at": at,
        },
    )


# Requests whose body, or whose requester, has not yet been told: read by `notices.from_requests`
# once per sweep. On PostgreSQL several workers may sweep at once; each takes different rows.
_TOLD_FACTS = (
    _request.c.id,
    _request.c.body,
    _request.c.action_id,
    _request.c.requester_id,
    _request.c.status,
)
_UNTOLD_MEMBERS = sa.select(*_TOLD_FACTS).where(_request.c.members_told_at.is_(None))
_UNTOLD_REQUESTER = sa.select(*_TOLD_FACTS).where(
    _request.c.requester_told_at.is_(None), _request.c.status != RequestStatus.PENDING
)
_LAST_DECISION = (
    sa.select(_decision.c.person_id, _decision.c.comment)
    .where(_decision.c.request_id == sa.bindparam("request_id"))
    .order_by(_decision.c.id.desc())
    .limit(1)
)
_MARK_CHUNK = 500


@dataclass(frozen=True, slots=True)
class RequestToTell:
    """A request whose body or requester has yet to hear of it."""

    id: int
    body: str
    action_id: int
    requester_id: int
    status: RequestStatus


@dataclass(frozen=True, slots=True)
class LastDecision:
    person_id: int | None
    comment: str | None


def _claimed(session: Session, query: sa.Select[Any]) -> list[RequestToTell]:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        RequestToTell(row.id, row.body, row.action_id, row.requester_id, RequestStatus(row.status))
        for row in connection.execute(query)
    ]


def untold_members(session: Session) -> list[RequestToTell]:
    """Requests whose body has not yet been told of them."""
    return _claimed(session, _UNTOLD_MEMBERS)


def untold_requesters(session: Session) -> list[RequestToTell]:
    """Closed requests whose requester has not yet been told how they ended."""
    return _claimed(session, _UNTOLD_REQUESTER)


def last_decision(session: Session, request_id: int) -> LastDecision | None:
    """The latest decision on a request, if any."""
    row = session.connection().execute(_LAST_DECISION, {"request_id": request_id}).first()
    return LastDecision(row.person_id, row.comment) if row is not None else None


def mark_members_told(session: Session, request_ids: list[int], at: datetime) -> None:
    _mark(session, _request.c.members_told_at, request_ids, at)


def mark_requesters_told(session: Session, request_ids: list[int], at: datetime) -> None:
    _mark(session, _request.c.requester_told_at, request_ids, at)


def _mark(
    session: Session, column: sa.Column[datetime | None], ids: list[int], at: datetime
) -> None:
    for start in range(0, len(ids), _MARK_CHUNK):
        session.connection().execute(
            sa.update(_request)
            .where(_request.c.id.in_(ids[start : start + _MARK_CHUNK]))
            .values({column.name: at})
        )
