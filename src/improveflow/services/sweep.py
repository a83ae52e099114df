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
    Role,
)
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL, DueReminder, SweepPlanner
from improveflow.services import bundling, escalations, notices
from improveflow.services.context import Context
from improveflow.store import table_of
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

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
        self._people_with: dict[str, list[int]] = {}
        self._digest_people: set[int] | None = None

    def run(self) -> None:
        self.reminders()
        self.progress_prompts()
        self.escalations()
        self.approval_chasers()

    # Reading candidates in pages ----------------------------------------------------------------

    def _pages(self, condition: sa.ColumnElement[bool]) -> list[Any]:
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
            for row in self._pages(condition):
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
                self._notice(
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
        for row in self._pages(condition):
            weeks = self.planner.reminders.progress_prompt_weeks
            created = self._notice(
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

    # Escalations ------------------------------------------------------------------------------

    def escalations(self) -> None:
        levels = self.planner.workflow.escalation.levels
        for level, threshold in self.planner.overdue_thresholds(self.now):
            lower = list(range(ONLY_STALLED, level.level))
            condition = sa.and_(
                _ACTION.c.escalation_level.in_(lower), _ACTION.c.target_date <= threshold
            )
            self._raise_all(condition)
        for level in self.planner.rag_levels():
            condition = sa.and_(
                _ACTION.c.rag == level.on_rag,
                _ACTION.c.escalation_level.in_(list(range(ONLY_STALLED, level.level))),
            )
            self._raise_all(condition)
        if levels:
            condition = sa.and_(
                _ACTION.c.escalation_level == 0,
                _ACTION.c.heard_from_at <= self.planner.stalled_since(self.now),
            )
            self._raise_all(condition)

    def _raise_all(self, condition: sa.ColumnElement[bool]) -> None:
        for row in self._pages(condition):
            for reached in self.planner.levels_reached(
                target=row.target_date, rag=row.rag, heard_from_at=row.heard_from_at, now=self.now
            ):
                if reached.level != STALLED_LEVEL and reached.level <= row.escalation_level:
                    continue
                if reached.level == STALLED_LEVEL and row.escalation_level != 0:
                    continue
                escalation_id = escalations.raise_level(
                    self.session,
                    action_id=row.id,
                    level=reached.level,
                    reason=reached.reason,
                    target_date=row.target_date,
                    now=self.now,
                )
                if escalation_id is None:
                    continue
                self.report.escalations_raised += 1
                overdue = (
                    self.planner.working_days_overdue(row.target_date, self.now)
                    if row.target_date
                    else 0
                )
                if reached.level == STALLED_LEVEL:
                    days = self.planner.escalation.stalled_after_days
                    why = f"stalling: no news for {days} days or more"
                else:
                    why = f"level {reached.level} ({reached.reason.replace('_', ' ')}"
                    why += f", {overdue} working days overdue)" if overdue else ")"
                for person_id, audience in self._recipients(reached.notify, row.owner_id):
                    self._notice(
                        notices.ESCALATION,
                        f"escalation:{escalation_id}:{person_id}",
                        person_id,
                        why,
                        action_id=row.id,
                        escalation_id=escalation_id,
                        data={
                            "level": reached.level,
                            "reason": reached.reason,
                            "audience": audience,
                        },
                        due_at=self.send_at,
                    )

    def _recipients(self, notify: tuple[str, ...], owner_id: int | None) -> list[tuple[int, str]]:
        chosen: dict[int, str] = {}
        for who in notify:
            if who == OWNER:
                if owner_id is not None:
                    chosen.setdefault(owner_id, "owner")
            elif who in (LEAD, ADMIN):
                role = Role.PEER_CHALLENGE_LEAD if who == LEAD else Role.ADMIN
                for person_id in self._people(f"role:{role}"):
                    chosen.setdefault(person_id, "lead")
            else:
                for person_id in self._people(f"body:{who}"):
                    chosen.setdefault(person_id, "body")
        return list(chosen.items())

    def _people(self, group: str) -> list[int]:
        if group not in self._people_with:
            kind, _, name = group.partition(":")
            if kind == "role":
                query = sa.select(_ROLE.c.person_id).where(_ROLE.c.role == name)
            else:
                query = sa.select(_MEMBERSHIP.c.person_id).where(_MEMBERSHIP.c.body == name)
            self._people_with[group] = [row[0] for row in self.session.connection().execute(query)]
        return self._people_with[group]

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
            for member in self._people(f"body:{request.body}"):
                if member in decided or member == request.requester_id:
                    continue
                self._notice(
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
                self._chase_chair(request.id, request.body, request.action_id, waited)

    def _chase_chair(self, request_id: int, body: str, action_id: int, waited: int) -> None:
        chair = (
            self.planner.workflow.bodies[body].chair
            if body in self.planner.workflow.bodies
            else None
        )
        if chair is None:
            return
        found = (
            self.session.connection()
            .execute(sa.select(_PERSON.c.id).where(_PERSON.c.email == chair))
            .first()
        )
        if found is None:
            return
        self._notice(
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

    def _notice(
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
