"""One workflow's pass in a sweep: what every rule shares.

The sweep's transactions, the workflow's planner and `now`; the scope of actions its rules read
(through the narrow index ranges of `stores.sweep`); finding the people a group names within a
plan's council; when an owner's notice is due (now, or at their daily digest); and recording
each notice once, with its audit event, in the sweep's open transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from improveflow import audit
from improveflow import audit_events as recorded
from improveflow.models import NoticeKind
from improveflow.reminders import SweepPlanner
from improveflow.services import notices
from improveflow.services.context import Context
from improveflow.services.sweep.batches import SweepTransactions
from improveflow.services.sweep.report import SweepDecision, SweepReport
from improveflow.stores import sweep as sweep_store


class WorkflowPass:
    """The sweep of one workflow's actions and requests at `now`, in the sweep's transactions."""

    def __init__(
        self,
        transactions: SweepTransactions,
        ctx: Context,
        planner: SweepPlanner,
        workflow: str,
        now: datetime,
        report: SweepReport,
    ) -> None:
        self.transactions, self.ctx, self.planner, self.now, self.report = (
            transactions, ctx, planner, now, report
        )  # fmt: skip
        # With one workflow (the usual case) every plan uses it: no filter to confuse the planner.
        self.scope = sweep_store.Scope(
            states=planner.states,
            workflow=workflow if len(ctx.workflows.names()) > 1 else None,
        )
        self.send_at = planner.send_at(now)
        self._people_with: dict[tuple[str, str | None], list[int]] = {}
        self._digest_people: set[int] | None = None
        self._next_digest: datetime | None = None

    @property
    def session(self) -> Session:
        """The open transaction: read it afresh after `settle`, which may begin a new one."""
        return self.transactions.session

    def settle(self) -> None:
        """A rule's whole step is written: commit it if the batch is full (see `batches`)."""
        self.transactions.settle()

    def owner_due_at(self, person_id: int) -> datetime:
        """Reminders and prompts wait for the daily digest of people who chose one."""
        if self._digest_people is None:
            self._digest_people = sweep_store.digest_people(self.session)
        if person_id not in self._digest_people:
            return self.send_at
        if self._next_digest is None:  # the same for everyone at this `now`
            self._next_digest = self.planner.next_digest(self.now)
        return self._next_digest

    def people(self, group: str, organisation: str | None) -> list[int]:
        """Everyone in `group` ('role:admin', 'body:CMT') who belongs with a plan of
        `organisation`: never another council's members, leads or administrators."""
        key = (group, organisation.lower() if organisation else None)
        if key not in self._people_with:
            kind, _, name = group.partition(":")
            read = sweep_store.holders_of_role if kind == "role" else sweep_store.members_of_body
            self._people_with[key] = read(self.session, name, organisation)
        return self._people_with[key]

    def notice(
        self,
        kind: NoticeKind,
        key: str,
        person_id: int,
        why: str,
        *,
        due_at: datetime,
        action_id: int | None = None,
        request_id: int | None = None,
        escalation_id: int | None = None,
        data: dict[str, object] | None = None,
    ) -> bool:
        """Record a notice and its audit event unless its key is taken; whether it was new."""
        notice_id = notices.add(
            self.session,
            key=key,
            kind=kind,
            person_id=person_id,
            due_at=due_at,
            now=self.now,
            action_id=action_id,
            request_id=request_id,
            escalation_id=escalation_id,
            data=dict(data or {}),
        )
        if notice_id is None:
            return False
        self.transactions.recorded()
        self.report.decisions.append(
            SweepDecision(kind, why, person_id, action_id=action_id, request_id=request_id)
        )
        queued = recorded.NoticeQueued(
            notice=kind,
            action_id=action_id,
            request_id=request_id,
            why=why,
            notice_id=notice_id,
            person_id=person_id,
            key=key,
        )
        audit.record(self.session, queued, at=self.now)
        return True
