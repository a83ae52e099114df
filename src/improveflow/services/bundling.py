"""Notices into emails: one email per person for their reminders, prompts and escalations
(a digest when there are several), one per request for approvals and decisions.

Each email is an outbox row whose key is made from the notices it carries, so two workers
bundling at once cannot queue the same email twice. An email is never due on a weekend or a
bank holiday of the calendar of the workflows its actions follow.

Notices are bundled a page at a time (every notice of the first people who have any), and
`bundle_due_by_page` commits each page on its own, so the write lock is never held for long: a
run that dies between pages leaves the rest unbundled, for the next run to bundle.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from improveflow.calendar import as_london
from improveflow.reminders import SweepPlanner
from improveflow.services import email_items, notices
from improveflow.services.context import Context
from improveflow.stores import due_notices
from improveflow.stores.due_notices import PendingNotice

# Notices per page: a page's transaction holds the write lock while it bundles them.
PAGE = 200


def bundle_due_by_page(ctx: Context, now: datetime, *, page_size: int = PAGE) -> int:
    """Turn every notice due by `now` into queued emails, each page in a transaction of its
    own; returns how many emails were queued."""
    queued = 0
    first = True
    while True:
        with ctx.database.writing() as session:
            if first:
                notices.from_requests(session, now)
            page = due_notices.page(session.connection(), now, page_size)
            queued += _Bundler(session, ctx, now).bundle(page.notices)
        if not page.more:
            return queued
        first = False


def bundle_due(session: Session, ctx: Context, now: datetime, *, page_size: int = PAGE) -> int:
    """Turn every notice due by `now` into queued emails in the caller's transaction (a dry
    run's, which rolls back); returns how many were queued."""
    notices.from_requests(session, now)
    queued = 0
    while True:
        page = due_notices.page(session.connection(), now, page_size)
        queued += _Bundler(session, ctx, now).bundle(page.notices)
        if not page.more:
            return queued


class _Bundler:
    def __init__(self, session: Session, ctx: Context, now: datetime) -> None:
        self.session, self.ctx, self.now = session, ctx, now
        self.connection = session.connection()
        self.planners: dict[str, SweepPlanner] = {}
        # (notice id, outbox id): the page's notices are linked to their emails in one go.
        self.links: list[tuple[int, int]] = []

    def bundle(self, batch: list[PendingNotice]) -> int:
        """Queue the emails carrying `batch`; returns how many."""
        if not batch:
            return 0
        connection = self.connection
        actions = due_notices.actions(
            connection, {n.action_id for n in batch if n.action_id is not None}
        )
        requests = due_notices.requests(
            connection, {n.request_id for n in batch if n.request_id is not None}
        )
        people = due_notices.people(
            connection, {n.person_id for n in batch} | _people_named(requests, batch)
        )
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
            elif carried[0].kind in notices.MILESTONE_KINDS:
                template, context = _milestone_template(carried[0]), _milestone(carried[0])
                recipient = person_id
            else:
                template, context, recipient = self._single(carried[0], actions, requests, people)
                if recipient not in people:  # a deputy standing in for the member
                    people.update(due_notices.people(connection, {recipient}))
            due_at = self._working_moment(carried, actions)
            queued += self._enqueue(carried, template, context, people[recipient], due_at)
        due_notices.link(connection, self.links)
        self.links.clear()
        return queued

    # Facts -----------------------------------------------------------------------------------

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
            if notice.kind == notices.REPLY_RECORDED:
                # Two replies about one action are two confirmations.
                listed[-notice.id] = item
                continue
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
            notices.REPLY_RECORDED,
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
        if notice.kind == notices.REPLY_RECORDED:
            return item | {"recorded": notice.data}
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
        deputy = due_notices.deputy_standing_in(self.connection, member_id, organisation, today)
        return member_id if deputy is None else deputy

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
        outbox_id = due_notices.queue_email(
            self.session,
            key=key,
            template=template,
            recipient=recipient,
            context=context,
            due_at=due_at,
            now=self.now,
        )
        self.links.extend((notice_id, outbox_id) for notice_id in ids)
        return 1


def _milestone(notice: PendingNotice) -> dict[str, Any]:
    """A milestone email's context: what the sweep recorded, and the reader's role."""
    data = notice.data
    return {
        "plan_id": data["plan_id"],
        "plan": data["plan"],
        "milestone": data["milestone"],
        "label": data["label"],
        "stage": data["stage"],
        "due_on": data["due_on"],
        "latest_on": data.get("latest_on"),
        "role": data.get("audience", "lead"),
    } | {key: data[key] for key in ("report_date", "response_period") if key in data}


def _milestone_template(notice: PendingNotice) -> str:
    """The executive's response to a scrutiny report has its own words; the peer challenge's
    milestones share theirs."""
    return "scrutiny_response" if notice.data["milestone"] == "executive_response" else "milestone"


def _people_named(requests: dict[int, dict[str, Any]], batch: list[PendingNotice]) -> set[int]:
    named = {r["requester_id"] for r in requests.values()}
    named |= {int(n.data["decider_id"]) for n in batch if n.data.get("decider_id")}
    return named


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
