"""Approval requests and the decisions on them.

The hot paths are Core statements built once, returning plain rows: a request and a decision
each run a handful of these, and going through the ORM for them costs several times the commit
itself (see benchmarks/transitions_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow import exceptions
from improveflow.models import (
    ApprovalRequest,
    Decision,
    RequestStatus,
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
    status: str  # after the claim: still pending, or already the outcome asked for


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
    session: Session, request_id: int, *, outcome: str, final: bool, at: datetime
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
            {"request_id": request_id, "outcome": outcome, "final": final, "closed": at},
        )
        .first()
    )
    return ClaimedRequest(*row) if row is not None else None


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


def insert_request(session: Session, values: dict[str, object]) -> int:
    result = session.connection().execute(_INSERT_REQUEST, values)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def close_request(session: Session, request_id: int, status: str, at: datetime) -> None:
    session.connection().execute(
        _CLOSE_REQUEST, {"request_id": request_id, "new_status": status, "closed": at}
    )


def verdicts_on(session: Session, request_id: int) -> list[tuple[int, int | None, str]]:
    """(decider, member decided for or None, verdict) for each decision on the request."""
    rows = session.connection().execute(_VERDICTS, {"request_id": request_id}).all()
    return [(row[0], row[1], row[2]) for row in rows]


def insert_decision(session: Session, values: dict[str, object]) -> None:
    session.connection().execute(_INSERT_DECISION, values)
