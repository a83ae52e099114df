"""Read models: what the CLI, the web pages and scripts show. Plain dicts, JSON-ready."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow import store
from improveflow.models import (
    Action,
    ApprovalRequest,
    AuditEvent,
    Escalation,
    Objective,
    Person,
    Plan,
    Theme,
)
from improveflow.services.context import Context
from improveflow.workflow.definition import Workflow

PAGE_SIZE = 500


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def action_rows(
    ctx: Context,
    *,
    plan_id: int | None = None,
    state: str | None = None,
    owner_email: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Actions in creation order, streamed in pages so a large plan never sits in memory."""
    with ctx.database.reading() as session:
        owner_id: int | None = None
        if owner_email:
            owner = store.person_by_email(session, owner_email)
            owner_id = owner.id
        last_id = 0
        while True:
            query = (
                select(Action, Plan.title, Theme.title, Objective)
                .join(Plan, col(Plan.id) == Action.plan_id)
                .join(Objective, col(Objective.id) == Action.objective_id)
                .join(Theme, col(Theme.id) == Objective.theme_id)
                .where(col(Action.id) > last_id)
                .order_by(col(Action.id))
                .limit(PAGE_SIZE)
            )
            if plan_id is not None:
                query = query.where(Action.plan_id == plan_id)
            if state is not None:
                query = query.where(Action.state == state)
            if owner_id is not None:
                query = query.where(Action.owner_id == owner_id)
            page = session.exec(query).all()
            if not page:
                return
            owner_ids = {row[0].owner_id for row in page if row[0].owner_id}
            emails = store.emails_by_id(session, owner_ids)
            names = store.names_by_id(session, owner_ids)
            for action, plan_title, theme_title, objective in page:
                yield _action_summary(action, plan_title, theme_title, objective, emails, names)
            last_id = page[-1][0].id or last_id
            session.expunge_all()


def _action_summary(
    action: Action,
    plan_title: str,
    theme: str,
    objective: Objective,
    emails: dict[int, str],
    names: dict[int, str],
) -> dict[str, Any]:
    owner = action.owner_id
    return {
        "id": action.id,
        "plan_id": action.plan_id,
        "plan": plan_title,
        "theme": theme,
        "objective_ref": objective.reference,
        "objective": objective.text,
        "reference": action.reference,
        "description": action.description,
        "lead": action.lead_text,
        "owner_email": emails.get(owner) if owner else None,
        "owner_name": names.get(owner) if owner else None,
        "timescale": action.timescale_raw,
        "start_date": _iso(action.start_date),
        "target_date": _iso(action.target_date),
        "milestones": [
            {
                "label": m.get("label"),
                "start_date": m.get("start_date"),
                "target_date": m.get("target_date"),
            }
            for m in action.milestones
        ],
        "recurrence": action.recurrence,
        "state": action.state,
        "rag": action.rag,
        "needs_review": list(action.needs_review),
        "approving_bodies": list(action.body_hint),
        "source": action.source,
        "version": action.version,
    }


def workflow_of(ctx: Context, action_id: int) -> Workflow:
    """The workflow the action's plan follows: its states' labels are the words to use."""
    with ctx.database.reading() as session:
        action = store.action_by_id(session, action_id)
        name = store.plan_by_id(session, action.plan_id).workflow
    return ctx.workflows.workflow(name)


def action_detail(ctx: Context, action_id: int, *, raw_history: bool = True) -> dict[str, Any]:
    """The action with its plan, owner, latest progress and pending request.

    `raw_history`: also its audit events as stored (for `action show --json`); the action page
    reads them through `services.action_history` instead, so it asks for none here.
    """
    with ctx.database.reading() as session:
        action = store.action_by_id(session, action_id)
        plan = store.plan_by_id(session, action.plan_id)
        objective = session.get(Objective, action.objective_id)
        theme = session.get(Theme, objective.theme_id) if objective else None
        assert objective is not None
        assert theme is not None
        owners = [action.owner_id] if action.owner_id else []
        emails = store.emails_by_id(session, owners)
        names = store.names_by_id(session, owners)
        detail = _action_summary(action, plan.title, theme.title, objective, emails, names)
        latest = store.latest_progress(session, action_id)
        detail["latest_progress"] = latest.text if latest else None
        pending = store.pending_request_for(session, action_id)
        detail["pending_request_id"] = pending.id if pending else None
        if raw_history:
            detail["history"] = history(session, action_id)
        return detail


def history(session: Session, action_id: int) -> list[dict[str, Any]]:
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action_id == action_id).order_by(col(AuditEvent.seq))
    ).all()
    names = store.names_by_id(session, (event.actor_id for event in events))
    return [
        {
            "at": _iso(event.at),
            "event": event.event,
            "by": _by(names.get(event.actor_id) if event.actor_id else None, event.data),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "comment": event.comment,
        }
        for event in events
    ]


def approval_rows(
    ctx: Context, *, body: str | None = None, status: str | None = "pending"
) -> list[dict[str, Any]]:
    """Approval requests, oldest first."""
    with ctx.database.reading() as session:
        query = select(ApprovalRequest).order_by(col(ApprovalRequest.id))
        if body is not None:
            query = query.where(ApprovalRequest.body == body)
        if status is not None:
            query = query.where(ApprovalRequest.status == status)
        requests = session.exec(query).all()
        names = store.names_by_id(session, (r.requester_id for r in requests))
        return [
            {
                "id": r.id,
                "action_id": r.action_id,
                "transition": r.transition,
                "status": r.status,
                "body": r.body,
                "quorum": r.quorum,
                "requested_by": names.get(r.requester_id),
                "requested_at": _iso(r.created_at),
                "reason": r.reason,
                "new_target_date": _iso(r.new_target_date),
            }
            for r in requests
        ]


def _by(name: str | None, data: str) -> str | None:
    """The actor's name, and the member they stood in for when a deputy acted."""
    if name is None or "on_behalf_of" not in data:
        return name
    member = json.loads(data).get("on_behalf_of")
    return f"{name} (deputy for {member})" if member else name


def people_labels(ctx: Context, ids: set[int]) -> dict[int, str]:
    """'Name <email>' for each person id."""
    with ctx.database.reading() as session:
        names = store.names_by_id(session, ids)
        emails = store.emails_by_id(session, ids)
    return {i: f"{names[i]} <{emails[i]}>" for i in names}


def escalation_rows(
    ctx: Context, *, plan_id: int | None = None, level: int | None = None, open_only: bool = True
) -> list[dict[str, Any]]:
    """Escalations, highest level and oldest first."""
    escalation, action, plan, owner = (
        store.table_of(Escalation),
        store.table_of(Action),
        store.table_of(Plan),
        store.table_of(Person),
    )
    query = (
        sa.select(
            escalation,
            action.c.description,
            action.c.plan_id,
            plan.c.title.label("plan"),
            owner.c.email.label("owner_email"),
        )
        .select_from(
            escalation.join(action, action.c.id == escalation.c.action_id)
            .join(plan, plan.c.id == action.c.plan_id)
            .outerjoin(owner, owner.c.id == action.c.owner_id)
        )
        .order_by(escalation.c.level.desc(), escalation.c.raised_at, escalation.c.id)
    )
    if open_only:
        query = query.where(escalation.c.closed_at.is_(None))
    if plan_id is not None:
        query = query.where(action.c.plan_id == plan_id)
    if level is not None:
        query = query.where(escalation.c.level == level)
    with ctx.database.reading() as session:
        rows = session.connection().execute(query).mappings().all()
    return [
        {
            "id": row["id"],
            "action_id": row["action_id"],
            "description": row["description"],
            "plan_id": row["plan_id"],
            "plan": row["plan"],
            "owner_email": row["owner_email"],
            "level": row["level"],
            "reason": row["reason"],
            "target_date": _iso(row["target_date"]),
            "raised_at": _iso(row["raised_at"]),
            "closed_at": _iso(row["closed_at"]),
            "close_reason": row["close_reason"],
        }
        for row in rows
    ]
