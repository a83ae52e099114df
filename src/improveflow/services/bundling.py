"""Notices into emails: one email per person for their reminders, prompts and escalations
(a digest when there are several), one per request for approvals and decisions.

Each email is an outbox row whose key is made from the notices it carries, so two workers
bundling at once cannot queue the same email twice. An email is never due on a weekend or a
bank holiday of the calendar of the workflows its actions follow.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.calendar import as_london
from improveflow.models import (
    Action,
    ApprovalRequest,
    Deputy,
    Objective,
    Person,
    Plan,
    ProgressUpdate,
    Theme,
)
from improveflow.reminders import SweepPlanner
from improveflow.services import email_items, notices
from improveflow.services.context import Context
from improveflow.services.organisations import people_of
from improveflow.stores import outbox
from improveflow.stores.outbox import PendingNotice
from improveflow.stores.tables import table_of

PAGE = 2000
_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_THEME = table_of(Theme)
_OBJECTIVE = table_of(Objective)
_PERSON = table_of(Person)
_PROGRESS = table_of(ProgressUpdate)
_REQUEST = table_of(ApprovalRequest)
_DEPUTY = table_of(Deputy)


def bundle_due(session: Session, ctx: Context, now: datetime) -> int:
    """Turn every notice due by `now` into queued emails; returns how many were queued."""
    notices.from_requests(session, now)
    queued = 0
    while True:
        batch = outbox.due_notices(session.connection(), now, PAGE)
        if not batch:
            return queued
        queued += _Bundler(session, ctx, now).bundle(batch)
        if len(batch) < PAGE:
            return queued


class _Bundler:
    def __init__(self, session: Session, ctx: Context, now: datetime) -> None:
        self.session, self.ctx, self.now = session, ctx, now
        self.connection = session.connection()
        self.planners: dict[str, SweepPlanner] = {}

    def bundle(self, batch: list[PendingNotice]) -> int:
        actions = self._actions({n.action_id for n in batch if n.action_id is not None})
        requests = self._requests({n.request_id for n in batch if n.request_id is not None})
        people = self._people({n.person_id for n in batch} | _people_named(requests, batch))
        emails: dict[tuple[int, str], list[PendingNotice]] = defaultdict(list)
        for notice in batch:
            group = (
                "bundle" if notice.kind in notices.BUNDLED_KINDS else f"{notice.kind}:{notice.id}"
            )
            emails[(notice.person_id, group)].append(notice)
        queued = 0
        for (person_id, group), carried in emails.items():
            if group == "bundle":
                template, context = self._bundled(carried, actions, people[person_id])
                recipient = person_id
            else:
                template, context, recipient = self._single(carried[0], actions, requests, people)
                if recipient not in people:  # a deputy standing in for the member
                    people.update(self._people({recipient}))
            due_at = self._working_moment(carried, actions)
            queued += self._enqueue(carried, template, context, people[recipient], due_at)
        return queued

    # Facts -----------------------------------------------------------------------------------

    def _actions(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        earlier = _PROGRESS.alias("earlier")
        owner = _PERSON.alias("owner")
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
                _ACTION.c.heard_from_at,
                owner.c.name.label("owner_name"),
                _PLAN.c.title.label("plan"),
                _PLAN.c.workflow,
                _PLAN.c.organisation,
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
                .outerjoin(owner, owner.c.id == _ACTION.c.owner_id)
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
            sa.select(
                _PERSON.c.id, _PERSON.c.name, _PERSON.c.email, _PERSON.c.reminder_delivery
            ).where(_PERSON.c.id.in_(sorted(ids)))
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _planner(self, workflow: str) -> SweepPlanner:
        if workflow not in self.planners:
            self.planners[workflow] = SweepPlanner(self.ctx.workflows.workflow(workflow))
        return self.planners[workflow]

    # Contexts for the templates --------------------------------------------------------------

    def _working_moment(
        self, carried: list[PendingNotice], actions: dict[int, dict[str, Any]]
    ) -> datetime:
        """Now, unless today is a weekend or bank holiday for one of the emails' workflows:
        then the next working morning (the latest, if their calendars disagree)."""
        workflows = {
            actions[n.action_id]["workflow"] for n in carried if n.action_id in actions
        } or set(self.ctx.workflows.names()[:1])
        return max(self._planner(name).first_working_moment(self.now) for name in workflows)

    def _bundled(
        self,
        carried: list[PendingNotice],
        actions: dict[int, dict[str, Any]],
        recipient: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        sections: dict[str, dict[int, dict[str, Any]]] = {}
        for notice in carried:
            assert notice.action_id is not None
            action = actions[notice.action_id]
            listed = sections.setdefault(notice.kind, {})
            item = self._item(notice, action, recipient)
            earlier = listed.get(action["id"])
            # A late sweep can raise several levels at once: the email gives the highest.
            if earlier is None or item.get("level", 0) > earlier.get("level", 0):
                listed[action["id"]] = item
        # An escalated action's email already asks for news: no second section about it.
        for action_id in sections.get(notices.ESCALATION, {}):
            sections.get(notices.NO_PROGRESS, {}).pop(action_id, None)
        order = (
            notices.ESCALATION,
            notices.NO_PROGRESS,
            notices.REMINDER,
            notices.PROGRESS_PROMPT,
        )
        found = [kind for kind in order if sections.get(kind)]
        if len(found) == 1:
            return found[0], {"items": list(sections[found[0]].values())}
        return "digest", {
            "sections": [
                {"kind": kind, "context": {"items": list(sections[kind].values())}}
                for kind in found
            ],
            "daily": recipient["reminder_delivery"] == "daily_digest",
        }

    def _item(
        self, notice: PendingNotice, action: dict[str, Any], recipient: dict[str, Any]
    ) -> dict[str, Any]:
        planner = self._planner(action["workflow"])
        item = email_items.action_item(action, planner, self.now)
        if notice.kind not in (notices.ESCALATION, notices.NO_PROGRESS):
            return item
        audience = str(notice.data.get("audience", "owner"))
        body = notice.data.get("body")
        told_as = {
            "role": email_items.role_of(recipient["id"], action["owner_id"], audience),
            "owner_name": action["owner_name"],
            "body_title": planner.workflow.body_title(str(body)) if body else None,
        }
        if notice.kind == notices.ESCALATION:
            return email_items.escalation_item(item, notice.data, **told_as)
        quiet = notice.data.get("heard_from_at")
        quiet_since = datetime.fromisoformat(quiet) if quiet else action["heard_from_at"]
        return email_items.no_progress_item(item, quiet_since=quiet_since, now=self.now, **told_as)

    def _single(
        self,
        notice: PendingNotice,
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
        recipient = self._deputy_for(notice.person_id, action["organisation"])
        on_behalf_of = None
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

    def _deputy_for(self, member_id: int, organisation: str | None) -> int:
        """Who reads the member's approval email today: their deputy, while one stands in and
        belongs with the plan's council; otherwise the member."""
        today = as_london(self.now).date()
        found = self.connection.execute(
            sa.select(_DEPUTY.c.deputy_id)
            .where(
                _DEPUTY.c.member_id == member_id,
                _DEPUTY.c.starts_on <= today,
                _DEPUTY.c.ends_on >= today,
                people_of(organisation, _DEPUTY.c.deputy_id),
            )
            .order_by(_DEPUTY.c.id.desc())
            .limit(1)
        ).first()
        return int(found[0]) if found else member_id

    # Queueing ---------------------------------------------------------------------------------

    def _enqueue(
        self,
        carried: list[PendingNotice],
        template: str,
        context: dict[str, Any],
        recipient: dict[str, Any],
        due_at: datetime,
    ) -> int:
        ids = sorted(n.id for n in carried)
        key = "email:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:40]
        outbox_id = outbox.enqueue(
            self.session,
            key=key,
            template=template,
            recipient_email=recipient["email"],
            recipient_name=recipient["name"],
            person_id=recipient["id"],
            context=context,
            due_at=due_at,
            now=self.now,
        )
        if outbox_id is None:
            outbox_id = outbox.id_of(self.connection, key)
        outbox.put_in_email(self.connection, ids, outbox_id)
        return 1


def _people_named(requests: dict[int, dict[str, Any]], batch: list[PendingNotice]) -> set[int]:
    named = {r["requester_id"] for r in requests.values()}
    named |= {int(n.data["decider_id"]) for n in batch if n.data.get("decider_id")}
    return named


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
