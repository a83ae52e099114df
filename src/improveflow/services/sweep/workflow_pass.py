"""One workflow's pass in a sweep: what every rule shares.

The open session, the workflow's planner and `now`; reading candidate actions through narrow
index ranges; finding the people a group names within a plan's council; when an owner's
notice is due (now, or at their daily digest); and recording each notice once, with its audit
event, in the sweep's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import audit
from improveflow.models import Action, Membership, Person, PersonRole, Plan
from improveflow.reminders import SweepPlanner
from improveflow.services import notices
from improveflow.services.context import Context
from improveflow.services.organisations import people_of
from improveflow.services.sweep.report import SweepDecision, SweepReport
from improveflow.store import table_of

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)
_ROLE = table_of(PersonRole)
_MEMBERSHIP = table_of(Membership)
_COLUMNS = (
    _ACTION.c.id,
    _ACTION.c.owner_id,
    _ACTION.c.target_date,
    _ACTION.c.rag,
    _ACTION.c.heard_from_at,
    _ACTION.c.quiet_since,
    _ACTION.c.escalation_level,
    # The plan's council: whoever a level names is looked for there (`people`).
    sa.select(_PLAN.c.organisation)
    .where(_PLAN.c.id == _ACTION.c.plan_id)
    .scalar_subquery()
    .label("organisation"),
)


class WorkflowPass:
    """The sweep of one workflow's actions and requests at `now`, inside an open session."""

    def __init__(
        self,
        session: Session,
        ctx: Context,
        planner: SweepPlanner,
        workflow: str,
        now: datetime,
        report: SweepReport,
    ) -> None:
        self.session, self.ctx, self.planner, self.now, self.report = (
            session, ctx, planner, now, report
        )  # fmt: skip
        # With one workflow (the usual case) every plan uses it: no filter to confuse the planner.
        self.in_workflow = (
            _ACTION.c.plan_id.in_(sa.select(_PLAN.c.id).where(_PLAN.c.workflow == workflow))
            if len(ctx.workflows.names()) > 1
            else None
        )
        self.reminded = _ACTION.c.state.in_(planner.states)
        self.send_at = planner.send_at(now)
        self._people_with: dict[tuple[str, str | None], list[int]] = {}
        self._digest_people: set[int] | None = None
        self._next_digest: datetime | None = None

    def pages(self, condition: sa.ColumnElement[bool]) -> list[Any]:
        """The open actions matching `condition`: a narrow index range, read in one go.

        No ORDER BY and no paging by id: either would tempt the query planner to walk the
        table in id order instead of the range. The rows are few by construction (only what
        is due), so holding them is cheap, and it leaves the sweep free to write as it goes.
        """
        query = sa.select(*_COLUMNS).where(condition, self.reminded)
        if self.in_workflow is not None:
            query = query.where(self.in_workflow)
        return list(self.session.connection().execute(query))

    def owner_due_at(self, person_id: int) -> datetime:
        """Reminders and prompts wait for the daily digest of people who chose one."""
        if self._digest_people is None:
            rows = self.session.connection().execute(
                sa.select(_PERSON.c.id).where(_PERSON.c.reminder_delivery == "daily_digest")
            )
            self._digest_people = {row.id for row in rows}
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
            if kind == "role":
                query = sa.select(_ROLE.c.person_id).where(
                    _ROLE.c.role == name, people_of(organisation, _ROLE.c.person_id)
                )
            else:
                query = sa.select(_MEMBERSHIP.c.person_id).where(
                    _MEMBERSHIP.c.body == name, people_of(organisation, _MEMBERSHIP.c.person_id)
                )
            self._people_with[key] = [row[0] for row in self.session.connection().execute(query)]
        return self._people_with[key]

    def notice(
        self,
        kind: str,
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
        self.report.decisions.append(
            SweepDecision(kind, why, person_id, action_id=action_id, request_id=request_id)
        )
        audit.append(
            self.session,
            at=self.now,
            event=f"notice_{kind}",
            action_id=action_id,
            request_id=request_id,
            comment=why,
            data={"notice_id": notice_id, "person_id": person_id, "key": key},
        )
        return True
