"""The sweep: decide what is due now, record each decision once, queue the emails.

Reads only the rows that can be due, through narrow indexed ranges in pages (see
`reminders.SweepPlanner`), so its cost follows the number due, not the number stored. Each
decision is a notice with a unique key, written in the same transaction as its audit event;
a second sweep, or a second worker, finds the key taken and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import audit
from improveflow.calendar import as_london
from improveflow.models import (
    Action,
    ApprovalRequest,
    Decision,
    Membership,
    Person,
    PersonRole,
    Plan,
    RequestStatus,
)
from improveflow.reminders import DueReminder, SweepPlanner
from improveflow.services import bundling, notices, sweep_escalations
from improveflow.services.context import Context
from improveflow.services.organisations import people_of
from improveflow.store import table_of

PAGE = 1000  # rows per UPDATE when marking prompts
_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)
_ROLE = table_of(PersonRole)
_MEMBERSHIP = table_of(Membership)
_REQUEST = table_of(ApprovalRequest)
_DECISION = table_of(Decision)
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


@dataclass(frozen=True)
class SweepDecision:
    kind: str
    why: str
    person_id: int
    action_id: int | None = None
    request_id: int | None = None


@dataclass
class SweepReport:
    now: datetime
    dry_run: bool
    decisions: list[SweepDecision] = field(default_factory=list)
    escalations_raised: int = 0
    emails_queued: int = 0


class _Rollback(Exception):
    """Ends a dry run after its report is complete."""


def sweep(ctx: Context, *, now: datetime | None = None, dry_run: bool = False) -> SweepReport:
    now = now or ctx.clock.now()
    report = SweepReport(now=now, dry_run=dry_run)
    try:
        with ctx.database.writing() as session:
            for name in ctx.workflows.names():
                _Sweep(
                    session, ctx, SweepPlanner(ctx.workflows.workflow(name)), name, now, report
                ).run()
            report.emails_queued = bundling.bundle_due(session, ctx, now)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def queue_due_notices(ctx: Context, *, now: datetime | None = None) -> int:
    """Bundle the notices due by now (approval requests, decisions) into queued emails."""
    now = now or ctx.clock.now()
    with ctx.database.writing() as session:
        return bundling.bundle_due(session, ctx, now)


class _Sweep:
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

    def run(self) -> None:
        self.reminders()
        self.progress_prompts()
        # Raised only in working hours of the workflow's working days: never at a weekend or
        # on a bank holiday, and counted on the day the email goes, which is the day raised.
        if self.planner.in_working_hours(self.now):
            sweep_escalations.raise_due(self)
            self.approval_chasers()

    # Reading candidates in pages ----------------------------------------------------------------

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

    # Reminders and prompts ------------------------------------------------------------------------

    def _owner_due_at(self, person_id: int) -> datetime:
        """Reminders wait for the daily digest of people who chose one."""
        if self._digest_people is None:
            rows = self.session.connection().execute(
                sa.select(_PERSON.c.id).where(_PERSON.c.reminder_delivery == "daily_digest")
            )
            self._digest_people = {row.id for row in rows}
        if person_id not in self._digest_people:
            return self.send_at
        at_send_time = self.planner.calendar.next_send_moment(
            as_london(self.now).replace(
                hour=self.planner.reminders.send_time.hour,
                minute=self.planner.reminders.send_time.minute,
                second=0,
                microsecond=0,
            ),
            self.planner.reminders.send_time,
        )
        if at_send_time < self.now:  # today's digest has gone: tomorrow's
            at_send_time = self.planner.calendar.next_send_moment(
                at_send_time.replace(hour=23, minute=59), self.planner.reminders.send_time
            )
        return at_send_time

    def reminders(self) -> None:
        seen: set[int] = set()
        due_by_target: dict[date, DueReminder | None] = {}
        for window in self.planner.reminder_ranges(self.now):
            condition = sa.and_(
                _ACTION.c.target_date.between(window.first, window.last),
                _ACTION.c.owner_id.is_not(None),
            )
            for row in self.pages(condition):
                if row.id in seen:
                    continue
                seen.add(row.id)
                if row.target_date not in due_by_target:  # many actions share a date
                    due_by_target[row.target_date] = self.planner.due_reminder(
                        row.target_date, self.now
                    )
                due = due_by_target[row.target_date]
                if due is None:
                    continue
                why = (
                    f"due {row.target_date:%d %b %Y}: the {due.offset}-working-day reminder "
                    f"(due {as_london(due.moment):%a %d %b %H:%M})"
                )
                self.notice(
                    notices.REMINDER,
                    f"reminder:{row.id}:{row.target_date}:{due.offset}",
                    row.owner_id,
                    why,
                    action_id=row.id,
                    data={"offset": due.offset},
                    due_at=self._owner_due_at(row.owner_id),
                )

    def progress_prompts(self) -> None:
        condition = sa.and_(
            _ACTION.c.target_date.is_(None),
            _ACTION.c.quiet_since <= self.planner.prompt_quiet_since(self.now),
            _ACTION.c.owner_id.is_not(None),
        )
        prompted = []
        for row in self.pages(condition):
            weeks = self.planner.reminders.progress_prompt_weeks
            created = self.notice(
                notices.PROGRESS_PROMPT,
                f"prompt:{row.id}:{row.quiet_since.isoformat()}",
                row.owner_id,
                f"no target date and no news for {weeks} weeks or more",
                action_id=row.id,
                due_at=self._owner_due_at(row.owner_id),
            )
            if created:
                prompted.append(row.id)
        for start in range(0, len(prompted), PAGE):
            # Prompts repeat every N weeks from this one, unless the owner answers.
            self.session.connection().execute(
                sa.update(_ACTION)
                .where(_ACTION.c.id.in_(prompted[start : start + PAGE]))
                .values(quiet_since=self.now)
            )

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

    # Requests waiting for a decision -----------------------------------------------------------

    def approval_chasers(self) -> None:
        policy = self.planner.workflow.approvals
        calendar = self.planner.calendar
        today = self.planner.today(self.now)
        remind_before = calendar.subtract_working_days(today, policy.remind_after_working_days)
        pending = self.session.connection().execute(
            sa.select(
                _REQUEST.c.id,
                _REQUEST.c.body,
                _REQUEST.c.created_at,
                _REQUEST.c.action_id,
                _REQUEST.c.requester_id,
                _PLAN.c.organisation,
            )
            .select_from(
                _REQUEST.join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id).join(
                    _PLAN, _PLAN.c.id == _ACTION.c.plan_id
                )
            )
            .where(_REQUEST.c.status == RequestStatus.PENDING)
            .order_by(_REQUEST.c.id)
        )
        for request in pending.all():
            opened = as_london(request.created_at).date()
            if opened > remind_before:
                continue
            waited = calendar.working_days_between(opened, today)
            decided = {
                row[0]
                for row in self.session.connection().execute(
                    sa.select(_DECISION.c.person_id).where(_DECISION.c.request_id == request.id)
                )
            }
            for member in self.people(f"body:{request.body}", request.organisation):
                if member in decided or member == request.requester_id:
                    continue
                self.notice(
                    notices.APPROVAL_REMINDER,
                    f"approval_reminder:{request.id}:{member}",
                    member,
                    f"request {request.id} has waited {waited} working days for {request.body}",
                    request_id=request.id,
                    action_id=request.action_id,
                    data={"waiting_working_days": waited},
                    due_at=self.send_at,
                )
            if waited >= policy.escalate_to_chair_after_working_days:
                self._chase_chair(request, waited)

    def _chase_chair(self, request: Any, waited: int) -> None:
        """Tell the body's chair, when the workflow names one who belongs with the plan."""
        request_id, body, action_id = request.id, request.body, request.action_id
        chair = (
            self.planner.workflow.bodies[body].chair
            if body in self.planner.workflow.bodies
            else None
        )
        if chair is None:
            return
        found = (
            self.session.connection()
            .execute(
                sa.select(_PERSON.c.id).where(
                    _PERSON.c.email == chair, people_of(request.organisation)
                )
            )
            .first()
        )
        if found is None:
            return
        self.notice(
            notices.APPROVAL_CHASE,
            f"approval_chase:{request_id}",
            found.id,
            f"request {request_id} has waited {waited} working days: told the chair of {body}",
            request_id=request_id,
            action_id=action_id,
            data={"waiting_working_days": waited},
            due_at=self.send_at,
        )

    # Recording -----------------------------------------------------------------------------------

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
