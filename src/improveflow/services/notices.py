"""Notices: one thing to tell one person, decided once, bundled into emails later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from improveflow.models import NoticeKind, RequestStatus
from improveflow.stores import outbox
from improveflow.stores import requests as request_store
from improveflow.stores.outbox import notices as notice_store

# Short names for the kinds, as the rules that record notices write them.
REMINDER = NoticeKind.REMINDER
PROGRESS_PROMPT = NoticeKind.PROGRESS_PROMPT
ESCALATION = NoticeKind.ESCALATION
NO_PROGRESS = NoticeKind.NO_PROGRESS
APPROVAL_NEEDED = NoticeKind.APPROVAL_NEEDED
APPROVAL_REMINDER = NoticeKind.APPROVAL_REMINDER
APPROVAL_CHASE = NoticeKind.APPROVAL_CHASE
DECISION = NoticeKind.DECISION
REPLY_RECORDED = NoticeKind.REPLY_RECORDED
MILESTONE_REMINDER = NoticeKind.MILESTONE_REMINDER
MILESTONE_OVERDUE = NoticeKind.MILESTONE_OVERDUE
# Kinds about a plan's milestone, not an action: an email each, from `notice.data` alone.
MILESTONE_KINDS = (MILESTONE_REMINDER, MILESTONE_OVERDUE)

# Kinds merged into one email per person (a digest); the others get an email each.
BUNDLED_KINDS = (REMINDER, PROGRESS_PROMPT, ESCALATION, NO_PROGRESS, REPLY_RECORDED)


def add(
    session: Session,
    *,
    key: str,
    kind: NoticeKind,
    person_id: int,
    due_at: datetime,
    now: datetime,
    action_id: int | None = None,
    request_id: int | None = None,
    escalation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int | None:
    """Record a notice unless one with the same key exists; its id, or None if not new."""
    return outbox.add_notice(
        session,
        {
            "idempotency_key": key,
            "kind": kind,
            "person_id": person_id,
            "action_id": action_id,
            "request_id": request_id,
            "escalation_id": escalation_id,
            "data": data or {},
            "due_at": due_at,
            "created_at": now,
        },
    )


def tell_members(
    session: Session,
    *,
    body: str,
    request_id: int,
    action_id: int,
    requester_id: int,
    now: datetime,
) -> None:
    """An approval_needed notice for every member of `body` but the requester, in one statement.

    Only members who belong with the action's plan are told (`people.people_of`).
    """
    notice_store.add_for_members(
        session,
        kind=APPROVAL_NEEDED,
        body=body,
        request_id=request_id,
        action_id=action_id,
        requester_id=requester_id,
        now=now,
    )


def from_requests(session: Session, now: datetime) -> int:
    """Notices for requests opened or decided since the last call; returns how many requests.

    Members of the body hear of each new request (unless it was decided before they could);
    the requester hears of each decision (not of their own withdrawal).
    """
    told: list[int] = []
    for request in request_store.untold_members(session):
        if request.status == RequestStatus.PENDING:
            tell_members(
                session,
                body=request.body,
                request_id=request.id,
                action_id=request.action_id,
                requester_id=request.requester_id,
                now=now,
            )
        told.append(request.id)
    request_store.mark_members_told(session, told, now)
    decided: list[int] = []
    for closed in request_store.untold_requesters(session):
        decided.append(closed.id)
        if closed.status == RequestStatus.WITHDRAWN:
            continue
        last = request_store.last_decision(session, closed.id)
        add(
            session,
            key=f"{DECISION}:{closed.id}",
            kind=DECISION,
            person_id=closed.requester_id,
            request_id=closed.id,
            action_id=closed.action_id,
            data={
                "status": closed.status,
                "decider_id": last.person_id if last else None,
                "comment": last.comment if last else None,
            },
            due_at=now,
            now=now,
        )
    request_store.mark_requesters_told(session, decided, now)
    return len(told) + len(decided)
