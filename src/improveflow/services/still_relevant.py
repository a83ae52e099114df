"""Whether queued emails still matter, judged from their contexts and the actions and requests
they are about, as they are now. Read-only; dispatch asks before each send.

An email stops mattering when what it asks for can no longer be done or has been done:
- a reminder, once its target date has passed, the action has a new one, or it is no longer in
  a state the workflow reminds about (complete, deferred);
- a progress prompt or a note of no progress, once the owner has given news, or the action is
  no longer in a reminded state;
- an escalation, once that level has been closed (the action complete, deferred or given a new
  date);
- a request for approval, or a chase, once the request has been decided or withdrawn;
- a sign-in email, once the link it carries would have expired had it been sent on time.
A digest keeps the items that still matter and is superseded only when none does. A decision
stays worth telling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from improveflow.calendar import as_london
from improveflow.links import describe_age
from improveflow.models import RequestStatus
from improveflow.notify.relevance import Narrowed, RelevanceCheck, Superseded, Verdict
from improveflow.notify.wording import long_date
from improveflow.services import notices
from improveflow.services.context import Context
from improveflow.stores import relevance
from improveflow.stores.outbox import OutboxRow

__all__ = ["checker"]

# Templates whose context is {"items": [...]}, one item per action, and the notice kind each
# item is (a digest names the kind of each of its sections).
_ITEM_TEMPLATES = (
    notices.REMINDER,
    notices.PROGRESS_PROMPT,
    notices.ESCALATION,
    notices.NO_PROGRESS,
)
_DIGEST = "digest"
_APPROVAL_NEEDED = "approval_needed"
_SIGN_IN = "sign_in"


def checker(ctx: Context) -> RelevanceCheck:
    """The check dispatch runs before sending: a verdict for each row not to go as queued."""

    def still_relevant(rows: Sequence[OutboxRow], now: datetime) -> Mapping[int, Verdict]:
        with ctx.database.reading() as session:
            facts = _Facts.load(ctx, session.connection(), rows)
        judge = _Judge(ctx, facts, now)
        verdicts = {row.id: judge.verdict(row) for row in rows}
        return {row_id: verdict for row_id, verdict in verdicts.items() if verdict is not None}

    return still_relevant


@dataclass(frozen=True)
class _ActionNow:
    state: str
    state_label: str
    reminded: bool  # in a state its workflow reminds about
    target_date: date | None
    heard_from_at: datetime | None


@dataclass
class _Facts:
    """The actions, escalations and requests the rows speak of, as they are now."""

    actions: dict[int, _ActionNow]
    open_levels: set[tuple[int, int]]
    close_reasons: dict[tuple[int, int], str]
    requests: dict[int, str]

    @classmethod
    def load(cls, ctx: Context, connection: sa.Connection, rows: Sequence[OutboxRow]) -> _Facts:
        action_ids = {int(item["action_id"]) for row in rows for _, item in _items(row)}
        request_ids = {
            int(row.context["request_id"]) for row in rows if row.template == _APPROVAL_NEEDED
        }
        actions: dict[int, _ActionNow] = {}
        for found in relevance.actions(connection, action_ids):
            workflow = ctx.workflows.workflow(found.workflow)
            known = workflow.states.get(found.state)
            actions[found.id] = _ActionNow(
                state=found.state,
                state_label=known.label if known is not None else found.state,
                reminded=found.state in workflow.reminders.states,
                target_date=found.target_date,
                heard_from_at=found.heard_from_at,
            )
        open_levels: set[tuple[int, int]] = set()
        close_reasons: dict[tuple[int, int], str] = {}
        for escalation in relevance.escalations(connection, action_ids):
            level = (escalation.action_id, escalation.level)
            if escalation.closed_at is None:
                open_levels.add(level)
            else:
                close_reasons[level] = escalation.close_reason or ""
        requests = relevance.request_statuses(connection, request_ids)
        return cls(actions, open_levels, close_reasons, requests)


class _Judge:
    def __init__(self, ctx: Context, facts: _Facts, now: datetime) -> None:
        self.facts = facts
        self.now = now
        self.today = as_london(now).date()
        self.sign_in_lasts = timedelta(minutes=ctx.settings.sign_in_link_max_age_minutes)

    def verdict(self, row: OutboxRow) -> Verdict | None:
        if row.template in _ITEM_TEMPLATES or row.template == _DIGEST:
            return self._items_verdict(row)
        if row.template == _APPROVAL_NEEDED:
            return self._request_verdict(int(row.context["request_id"]))
        if row.template == _SIGN_IN:
            return self._sign_in_verdict(row)
        return None  # a decision, and anything else, stays worth telling

    # Emails about actions -------------------------------------------------------------------

    def _items_verdict(self, row: OutboxRow) -> Verdict | None:
        reasons: list[str] = []
        kept_any = False
        if row.template == _DIGEST:
            sections = []
            for section in row.context.get("sections", []):
                items = self._still_relevant(section["kind"], section["context"], row, reasons)
                if items:
                    context = {**section["context"], "items": items}
                    sections.append({**section, "context": context})
            kept_any = bool(sections)
            narrowed = {**row.context, "sections": sections}
        else:
            items = self._still_relevant(row.template, row.context, row, reasons)
            kept_any = bool(items)
            narrowed = {**row.context, "items": items}
        if not reasons:
            return None
        if not kept_any:
            return Superseded("; ".join(dict.fromkeys(reasons)))
        return Narrowed(narrowed)

    def _still_relevant(
        self, kind: str, context: Mapping[str, Any], row: OutboxRow, reasons: list[str]
    ) -> list[dict[str, Any]]:
        kept = []
        for item in context.get("items", []):
            reason = self._item_reason(kind, item, row)
            if reason is None:
                kept.append(item)
            else:
                reasons.append(reason)
        return kept

    def _item_reason(self, kind: str, item: Mapping[str, Any], row: OutboxRow) -> str | None:
        action_id = int(item["action_id"])
        action = self.facts.actions.get(action_id)
        if action is None:
            return f"action {action_id} no longer exists"
        if kind == notices.REPLY_RECORDED:
            return None  # what was recorded stays true whatever happens next
        if kind == notices.ESCALATION:
            return self._escalation_reason(action_id, int(item.get("level", 1)))
        if not action.reminded:
            return f"action {action_id} is now {action.state_label.lower()}"
        if kind == notices.REMINDER:
            return self._reminder_reason(action_id, action, item.get("target_date"))
        # A progress prompt or a note of no progress: answered by any news since it was queued.
        queued_at = row.created_at or row.due_at
        if action.heard_from_at is not None and action.heard_from_at > queued_at:
            return f"the owner of action {action_id} has given news since"
        return None

    def _reminder_reason(self, action_id: int, action: _ActionNow, told: str | None) -> str | None:
        target = action.target_date
        if target is None:
            return f"action {action_id} no longer has a target date"
        if told is not None and told != target.isoformat():
            return f"action {action_id} has a new target date, {long_date(target)}"
        if target < self.today:
            return f"the target date of action {action_id}, {long_date(target)}, has passed"
        return None

    def _escalation_reason(self, action_id: int, level: int) -> str | None:
        if (action_id, level) in self.facts.open_levels:
            return None
        why = self.facts.close_reasons.get((action_id, level))
        closed = f"the level {level} escalation of action {action_id} was closed"
        return f"{closed} ({why})" if why else closed

    # Other emails ---------------------------------------------------------------------------

    def _request_verdict(self, request_id: int) -> Verdict | None:
        status = self.facts.requests.get(request_id)
        if status is None:
            return Superseded(f"request {request_id} no longer exists")
        if status == RequestStatus.PENDING:
            return None
        return Superseded(f"request {request_id} was {status} before this could be sent")

    def _sign_in_verdict(self, row: OutboxRow) -> Verdict | None:
        asked = row.context.get("requested_at")
        asked_at = datetime.fromisoformat(asked) if asked else row.due_at
        if self.now - asked_at <= self.sign_in_lasts:
            return None
        return Superseded(
            f"asked for more than {describe_age(self.sign_in_lasts)} before it could be sent; "
            "they can ask for a new link"
        )


def _items(row: OutboxRow) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every (kind, item) an email about actions carries."""
    if row.template in _ITEM_TEMPLATES:
        for item in row.context.get("items", []):
            yield row.template, item
    elif row.template == _DIGEST:
        for section in row.context.get("sections", []):
            for item in section["context"].get("items", []):
                yield section["kind"], item
