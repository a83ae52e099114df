"""Read models: what the CLI, the web pages and scripts show. Plain dicts, JSON-ready."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from improveflow import audit_events
from improveflow.audit_events import AuditRecord, RequestDecided, Unrecognised
from improveflow.services import rollover
from improveflow.services.context import Context
from improveflow.services.plan_export import LedgerSource, date_ledger
from improveflow.services.scrutiny import sign_off_words
from improveflow.stores import actions, listings, people, requests, sign_offs
from improveflow.stores.listings import ListedAction
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
            owner_id = people.person_by_email(session, owner_email).id
        last_id = 0
        while True:
            page = listings.actions_after(
                session, last_id, PAGE_SIZE, plan_id=plan_id, state=state, owner_id=owner_id
            )
            if not page:
                return
            for action in page:
                yield _action_summary(action)
            last_id = page[-1].id


def _action_summary(action: ListedAction) -> dict[str, Any]:
    return {
        "id": action.id,
        "plan_id": action.plan_id,
        "plan": action.plan,
        "theme": action.theme,
        "objective_ref": action.objective_ref,
        "objective": action.objective,
        "reference": action.reference,
        "description": action.description,
        "lead": action.lead_text,
        "owner_email": action.owner_email,
        "owner_name": action.owner_name,
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
        name = actions.action_state(session, action_id).workflow
    return ctx.workflows.workflow(name)


def action_detail(ctx: Context, action_id: int, *, raw_history: bool = True) -> dict[str, Any]:
    """The action with its plan, owner, latest progress and pending request.

    `raw_history`: also its audit events as stored (for `action show --json`); the action page
    reads them through `services.action_history` instead, so it asks for none here.
    """
    with ctx.database.reading() as session:
        listed = listings.listed_action(session, action_id)
        detail = _action_summary(listed)
        detail["date_ledger"] = date_ledger(
            session,
            action_id,
            LedgerSource(
                listed.target_date,
                listed.original_target_date,
                listed.carried_first,
                listed.carried_changes,
            ),
        )
        latest = actions.latest_progress(session, action_id)
        detail["latest_progress"] = latest.text if latest else None
        pending = requests.pending_request_for(session, action_id)
        detail["pending_request_id"] = pending.id if pending else None
        signed = sign_offs.sign_off_of(session, action_id)
        detail["committee_sign_off"] = (
            {
                "signed_off_on": signed.signed_off_on.isoformat(),
                "minute": signed.minute,
                "recorded_by": signed.recorded_by,
                "words": sign_off_words(signed.signed_off_on, signed.minute),
            }
            if signed
            else None
        )
        years = rollover.provenance_in(session, action_id)
        detail["carried_from"] = _year_link(years.carried_from)
        detail["carried_to"] = _year_link(years.carried_to)
        detail["provenance"] = years.sentences
        if raw_history:
            detail["history"] = history(session, action_id)
        return detail


def _year_link(link: rollover.YearLinkView | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {"action_id": link.action_id, "plan_id": link.plan_id, "words": link.words}


def history(session: Session, action_id: int) -> list[dict[str, Any]]:
    """The action's events as stored, for scripts: each kind as the log names it."""
    return [
        {
            "at": _iso(entry.stored.at),
            "event": entry.stored.event,
            "by": _by(entry.actor, audit_events.from_row(entry.stored).event),
            "from_state": entry.stored.from_state,
            "to_state": entry.stored.to_state,
            "comment": entry.stored.comment,
        }
        for entry in listings.audit_events_of(session, action_id)
    ]


def approval_rows(
    ctx: Context, *, body: str | None = None, status: str | None = "pending"
) -> list[dict[str, Any]]:
    """Approval requests, oldest first."""
    with ctx.database.reading() as session:
        found = listings.approval_requests(session, body=body, status=status)
    return [
        {
            "id": r.id,
            "action_id": r.action_id,
            "transition": r.transition,
            "status": r.status,
            "body": r.body,
            "quorum": r.quorum,
            "requested_by": r.requested_by,
            "requested_at": _iso(r.requested_at),
            "reason": r.reason,
            "new_target_date": _iso(r.new_target_date),
        }
        for r in found
    ]


def _by(name: str | None, event: AuditRecord | Unrecognised) -> str | None:
    """The actor's name, and the member they stood in for when a deputy decided."""
    if name is None or not isinstance(event, RequestDecided) or not event.on_behalf_of:
        return name
    return f"{name} (deputy for {event.on_behalf_of})"


def people_labels(ctx: Context, ids: set[int]) -> dict[int, str]:
    """'Name <email>' for each person id."""
    with ctx.database.reading() as session:
        names = people.names_by_id(session, ids)
        emails = people.emails_by_id(session, ids)
    return {i: f"{names[i]} <{emails[i]}>" for i in names}


def escalation_rows(
    ctx: Context, *, plan_id: int | None = None, level: int | None = None, open_only: bool = True
) -> list[dict[str, Any]]:
    """Escalations, highest level and oldest first."""
    with ctx.database.reading() as session:
        found = listings.escalations(session, plan_id=plan_id, level=level, open_only=open_only)
    return [
        {
            "id": row.id,
            "action_id": row.action_id,
            "description": row.description,
            "plan_id": row.plan_id,
            "plan": row.plan,
            "owner_email": row.owner_email,
            "level": row.level,
            "reason": row.reason,
            "target_date": _iso(row.target_date),
            "raised_at": _iso(row.raised_at),
            "closed_at": _iso(row.closed_at),
            "close_reason": row.close_reason,
        }
        for row in found
    ]
