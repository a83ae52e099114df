"""Notices into emails: one email per person for their reminders, prompts and escalations
(a digest when there are several), one per request for approvals and decisions.

Each email is an outbox row whose key is made from the notices it carries, so two workers
bundling at once cannot queue the same email twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.calendar import as_london
from improveflow.models import (
    Action,
    ApprovalRequest,
    Deputy,
    Notice,
    Objective,
    Outbox,
    Person,
    Plan,
    ProgressUpdate,
    Theme,
)
from improveflow.notify import outbox
from improveflow.reminders import SweepPlanner
from improveflow.services import notices
from improveflow.services.context import Context
from improveflow.store import table_of

PAGE = 2000
_NOTICE = table_of(Notice)
_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_THEME = table_of(Theme)
_OBJECTIVE = table_of(Objective)
_PERSON = table_of(Person)
_PROGRESS = table_of(ProgressUpdate)
_REQUEST = table_of(ApprovalRequest)
_DEPUTY = table_of(Deputy)
_OUTBOX = table_of(Outbox)


@dataclass(frozen=True)
class _Pending:
    id: int
    kind: str
    person_id: int
    action_id: int | None
    request_id: int | None
    data: dict[str, Any]


def bundle_due(session: Session, ctx: Context, now: datetime) -> int:
    """Turn every notice due by `now` into queued emails; returns how many were queued."""
    notices.from_requests(session, now)
    queued = 0
    while True:
        batch = _claim(session, now)
        if not batch:
            return queued
        queued += _Bundler(session, ctx, now).bundle(batch)
        if len(batch) < PAGE:
            return queued


def _claim(session: Session, now: datetime) -> list[_Pending]:
    query = (
        sa.select(
            _NOTICE.c.id,
            _NOTICE.c.kind,
            _NOTICE.c.person_id,
            _NOTICE.c.action_id,
            _NOTICE.c.request_id,
            _NOTICE.c.data,
        )
        .where(_NOTICE.c.outbox_id.is_(None), _NOTICE.c.due_at <= now)
        .order_by(_NOTICE.c.person_id, _NOTICE.c.id)
        .limit(PAGE)
    )
    if session.connection().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_Pending(*row) for row in session.connection().execute(query)]


class _Bundler:
    def __init__(self, session: Session, ctx: Context, now: datetime) -> None:
        self.session, self.ctx, self.now = session, ctx, now
        self.connection = session.connection()
        self.planners: dict[str, SweepPlanner] = {}

    def bundle(self, batch: list[_Pending]) -> int:
        actions = self._actions({n.action_id for n in batch if n.action_id is not None})
        requests = self._requests({n.request_id for n in batch if n.request_id is not None})
        people = self._people({n.person_id for n in batch} | _people_named(requests, batch))
        emails: dict[tuple[int, str], list[_Pending]] = defaultdict(list)
        for notice in batch:
            group = (
                "bundle" if notice.kind in notices.BUNDLED_KINDS else f"{notice.kind}:{notice.id}"
            )
            emails[(notice.person_id, group)].append(notice)
        queued = 0
        for (person_id, group), carried in emails.items():
            if group == "bundle":
                template, context = self._bundled(carried, actions, people)
                recipient = person_id
            else:
                template, context, recipient = self._single(carried[0], actions, requests, people)
                if recipient not in people:  # a deputy standing in for the member
                    people.update(self._people({recipient}))
            queued += self._enqueue(carried, template, context, people[recipient], recipient)
        return queued

    # Facts -----------------------------------------------------------------------------------

    def _actions(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        earlier = _PROGRESS.alias("earlier")
        newest = (
            sa.select(sa.func.max(earlier.c.id))
            .where(earlier.c.action_id == _ACTION.c.id)
            .correlate(_ACTION)
            .scalar_subquery()
        )
        rows = self.connection.execute(
            sa.select(
                _ACTION.c.id,
                _ACTION.c.description,
                _ACTION.c.target_date,
                _ACTION.c.state,
                _ACTION.c.rag,
                _ACTION.c.owner_id,
                _PLAN.c.title.label("plan"),
                _PLAN.c.workflow,
                _THEME.c.title.label("theme"),
                _OBJECTIVE.c.text.label("objective"),
                _PROGRESS.c.text.label("progress"),
                _PROGRESS.c.created_at.label("progress_at"),
            )
            .select_from(
                _ACTION.join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id)
                .join(_OBJECTIVE, _OBJECTIVE.c.id == _ACTION.c.objective_id)
                .join(_THEME, _THEME.c.id == _OBJECTIVE.c.theme_id)
                .outerjoin(_PROGRESS, _PROGRESS.c.id == newest)
            )
            .where(_ACTION.c.id.in_(sorted(ids)))
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _requests(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.connection.execute(
            sa.select(_REQUEST).where(_REQUEST.c.id.in_(sorted(ids)))
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _people(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        rows = self.connection.execute(
            sa.select(_PERSON.c.id, _PERSON.c.name, _PERSON.c.email).where(
                _PERSON.c.id.in_(sorted(ids))
            )
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _planner(self, workflow: str) -> SweepPlanner:
        if workflow not in self.planners:
            self.planners[workflow] = SweepPlanner(self.ctx.workflows.workflow(workflow))
        return self.planners[workflow]

    # Contexts for the templates --------------------------------------------------------------

    def _item(self, action: dict[str, Any]) -> dict[str, Any]:
        planner = self._planner(action["workflow"])
        target = action["target_date"]
        progress_at = action["progress_at"]
        return {
            "action_id": action["id"],
            "description": action["description"],
            "plan": action["plan"],
            "theme": action["theme"],
            "objective": action["objective"],
            "target_date": target.isoformat() if target else None,
            "working_days_left": planner.working_days_left(target, self.now) if target else None,
            "working_days_overdue": planner.working_days_overdue(target, self.now)
            if target
            else None,
            "state": action["state"],
            "rag": action["rag"],
            "latest_progress": action["progress"],
            "latest_progress_at": as_london(progress_at).isoformat() if progress_at else None,
            "weeks_since_progress": (self.now - progress_at).days // 7 if progress_at else None,
        }

    def _bundled(
        self,
        carried: list[_Pending],
        actions: dict[int, dict[str, Any]],
        people: dict[int, dict[str, Any]],
    ) -> tuple[str, dict[str, Any]]:
        sections: dict[str, dict[str, Any]] = {}
        listed_in: dict[str, set[int]] = {}
        for notice in carried:
            assert notice.action_id is not None
            action = actions[notice.action_id]
            item = self._item(action)
            section = sections.setdefault(notice.kind, {"items": []})
            if notice.kind == notices.ESCALATION:
                owner = people.get(action["owner_id"]) if action["owner_id"] else None
                item["owner_name"] = owner["name"] if owner else None
                item["reason"] = notice.data.get("reason", "overdue")
                section["level"] = max(section.get("level", 0), int(notice.data.get("level", 1)))
                section["audience"] = notice.data.get("audience", "owner")
            listed = listed_in.setdefault(notice.kind, set())
            if item["action_id"] not in listed:
                listed.add(item["action_id"])
                section["items"].append(item)
        if len(sections) == 1:
            kind, context = next(iter(sections.items()))
            return kind, context
        order = (notices.ESCALATION, notices.REMINDER, notices.PROGRESS_PROMPT)
        return "digest", {
            "sections": [{"kind": k, "context": sections[k]} for k in order if k in sections]
        }

    def _single(
        self,
        notice: _Pending,
        actions: dict[int, dict[str, Any]],
        requests: dict[int, dict[str, Any]],
        people: dict[int, dict[str, Any]],
    ) -> tuple[str, dict[str, Any], int]:
        assert notice.request_id is not None
        assert notice.action_id is not None
        request = requests[notice.request_id]
        action = actions[notice.action_id]
        workflow = self.ctx.workflows.workflow(action["workflow"])
        transition = workflow.transition(request["transition"])
        summary = {
            "action_id": action["id"],
            "description": action["description"],
            "plan": action["plan"],
            "latest_progress": action["progress"],
            "rag": action["rag"],
            "state": action["state"],
        }
        if notice.kind == notices.DECISION:
            decider = people.get(int(notice.data.get("decider_id") or 0))
            return (
                "decision",
                {
                    "request_id": request["id"],
                    "transition_label": transition.label,
                    "status": notice.data.get("status", request["status"]),
                    "decider_name": decider["name"] if decider else None,
                    "comment": notice.data.get("comment"),
                    "action": summary,
                },
                notice.person_id,
            )
        recipient, on_behalf_of = self._deputy_for(notice.person_id), None
        if recipient != notice.person_id:
            on_behalf_of = people[notice.person_id]["name"]
        requester = people.get(request["requester_id"])
        target = action["target_date"]
        context = {
            "request_id": request["id"],
            "transition": request["transition"],
            "transition_label": transition.label,
            "body": request["body"],
            "body_title": workflow.body_title(request["body"]),
            "requester_name": requester["name"] if requester else None,
            "reason": request["reason"],
            "new_target_date": _iso(request["new_target_date"]),
            "current_target_date": _iso(target),
            "from_state": action["state"],
            "to_state": transition.destination_from(action["state"]),
            "action": summary,
            "chase": notice.kind != notices.APPROVAL_NEEDED,
            "waiting_working_days": int(notice.data.get("waiting_working_days", 0)),
            "on_behalf_of": on_behalf_of,
        }
        return "approval_needed", context, recipient

    def _deputy_for(self, member_id: int) -> int:
        today = as_london(self.now).date()
        found = self.connection.execute(
            sa.select(_DEPUTY.c.deputy_id)
            .where(
                _DEPUTY.c.member_id == member_id,
                _DEPUTY.c.starts_on <= today,
                _DEPUTY.c.ends_on >= today,
            )
            .order_by(_DEPUTY.c.id.desc())
            .limit(1)
        ).first()
        return int(found[0]) if found else member_id

    # Queueing ---------------------------------------------------------------------------------

    def _enqueue(
        self,
        carried: list[_Pending],
        template: str,
        context: dict[str, Any],
        recipient: dict[str, Any],
        recipient_id: int,
    ) -> int:
        ids = sorted(n.id for n in carried)
        key = "email:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:40]
        outbox_id = outbox.enqueue(
            self.session,
            key=key,
            template=template,
            recipient_email=recipient["email"],
            recipient_name=recipient["name"],
            person_id=recipient_id,
            context=context,
            due_at=self.now,
            now=self.now,
        )
        if outbox_id is None:
            found = self.connection.execute(
                sa.select(_OUTBOX.c.id).where(_OUTBOX.c.idempotency_key == key)
            ).scalar_one()
            outbox_id = int(found)
        self.connection.execute(
            sa.update(_NOTICE).where(_NOTICE.c.id.in_(ids)).values(outbox_id=outbox_id)
        )
        return 1


def _people_named(requests: dict[int, dict[str, Any]], batch: list[_Pending]) -> set[int]:
    named = {r["requester_id"] for r in requests.values()}
    named |= {int(n.data["decider_id"]) for n in batch if n.data.get("decider_id")}
    return named


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
