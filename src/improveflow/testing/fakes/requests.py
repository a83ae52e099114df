"""Approval requests' claims and closes, kept in memory."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from improveflow import exceptions
from improveflow.models import RequestStatus
from improveflow.stores.requests import ClaimedRequest


@dataclasses.dataclass
class FakeRequest:
    """An approval request as the fake keeps it."""

    id: int
    action_id: int
    transition: str
    requester_id: int
    body: str
    quorum: int
    reason: str | None
    new_target_date: date | None
    status: RequestStatus
    created_at: datetime
    closed_at: datetime | None = None
    version: int = 1


class FakeRequestClaims:
    """`RequestClaimStore` in memory."""

    def __init__(self) -> None:
        self.requests: dict[int, FakeRequest] = {}

    def insert_request(
        self,
        session: object,
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
        if any(
            r.action_id == action_id and r.status == RequestStatus.PENDING
            for r in self.requests.values()
        ):
            raise exceptions.RequestAlreadyPending(
                f"Action {action_id} already has a request waiting for a decision"
            )
        request_id = len(self.requests) + 1
        self.requests[request_id] = FakeRequest(
            request_id, action_id, transition, requester_id, body, quorum, reason,
            new_target_date, RequestStatus.PENDING, at,
        )  # fmt: skip
        return request_id

    def claim_request(
        self,
        session: object,
        request_id: int,
        *,
        outcome: RequestStatus,
        final: bool,
        at: datetime,
    ) -> ClaimedRequest | None:
        request = self.requests.get(request_id)
        if request is None or request.status != RequestStatus.PENDING:
            return None
        request.version += 1
        if final or request.quorum <= 1:
            request.status, request.closed_at = outcome, at
        return ClaimedRequest(
            request.id, request.action_id, request.transition, request.requester_id,
            request.body, request.quorum, request.reason, request.new_target_date, request.status,
        )  # fmt: skip

    def close_request(
        self, session: object, request_id: int, status: RequestStatus, at: datetime
    ) -> None:
        request = self.requests.get(request_id)
        if request is not None:
            request.status, request.closed_at = status, at
