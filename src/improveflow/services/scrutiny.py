"""A scrutiny recommendations plan: the day the executive received the committee's report,
which gives the executive's response its due date (a milestone of the plan's timetable,
reminded like a peer challenge's), and the committee's sign-off of each action as implemented.
Every change is in the audit log.

Who records what: the report date and the response, as the peer challenge's timetable is kept,
by those told of it (the plan's scrutiny officer and the chief executive) or an administrator.
A sign-off records the committee's own decision from its minutes, so only the scrutiny officer
who clerks it, or an administrator, records it: not the chief executive or an action's owner,
whose work it judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.models import Person, Plan, PlanKind, Role
from improveflow.reminders import scrutiny
from improveflow.services import milestones
from improveflow.services.context import Context
from improveflow.services.milestones import MilestoneView
from improveflow.stores import actions as action_store
from improveflow.stores import milestones as milestone_store
from improveflow.stores import people as people_store
from improveflow.stores import plans as plan_store
from improveflow.stores import sign_offs as sign_off_store
from improveflow.stores.sign_offs import SignOffRow
from improveflow.templating import long_date, short_date
from improveflow.workflow.deciders import kind_singular
from improveflow.workflow.definition import Workflow

# Who records a committee's sign-off: the officer who clerks it, and administrators.
SIGNERS = frozenset({Role.SCRUTINY_OFFICER, Role.ADMIN})
# A minute reference is a short label ("Minute 45/26"), not the minutes themselves.
LONGEST_MINUTE = 200


@dataclass(frozen=True)
class SignOffView:
    """An action's sign-off as people read it."""

    action_id: int
    signed_off_on: date
    minute: str | None
    recorded_by: str | None
    words: str  # "Signed off by committee on Wednesday 14 October 2026 (minute 45/26)"


def sign_off_words(signed_off_on: date, minute: str | None) -> str:
    """'Signed off by committee on Wednesday 14 October 2026 (minute 45/26)'."""
    words = f"Signed off by committee on {long_date(signed_off_on)}"
    return f"{words} (minute {minute})" if minute else words


def committee_words(signed_off_on: date, minute: str | None) -> str:
    """As `sign_off_words` with the day's date alone, for a report's narrow table."""
    words = f"Signed off by committee on {short_date(signed_off_on)}"
    return f"{words} (minute {minute})" if minute else words


def sign_off_view(row: SignOffRow) -> SignOffView:
    return SignOffView(
        action_id=row.action_id,
        signed_off_on=row.signed_off_on,
        minute=row.minute,
        recorded_by=row.recorded_by,
        words=sign_off_words(row.signed_off_on, row.minute),
    )


def report_words(report_date: date, months: int | None) -> str:
    """A scrutiny plan's report date and response period in a sentence: "Report received by
    the executive on Friday 12 June 2026, response within two months beginning with that day,
    due by Tuesday 11 August 2026"."""
    period = months or scrutiny.DEFAULT_RESPONSE_MONTHS
    return (
        f"Report received by the executive on {long_date(report_date)}, response within "
        f"{scrutiny.period_words(period)} beginning with that day, due by "
        f"{long_date(scrutiny.response_due(report_date, period))}"
    )


def response_months(months: int | None) -> int:
    """The executive's response period asked for, checked: the statutory two when none."""
    if months is None:
        return scrutiny.DEFAULT_RESPONSE_MONTHS
    if not 1 <= months <= scrutiny.LONGEST_RESPONSE_MONTHS:
        raise exceptions.InvalidValue(
            f"{months} months is not a response period: give between 1 and "
            f"{scrutiny.LONGEST_RESPONSE_MONTHS} (the law's is {scrutiny.DEFAULT_RESPONSE_MONTHS})"
        )
    return months


def schedule_in(
    session: Session,
    plan: Plan,
    report_date: date,
    months: int | None,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Record the plan's report date and response period (`months`; the plan's own so far, or
    two, when None) and give the executive response its due date, in the caller's transaction.
    Only a scrutiny plan has this timetable."""
    assert plan.id is not None
    if plan.kind != PlanKind.SCRUTINY:
        raise exceptions.InvalidValue(
            f"Plan {plan.id} is {kind_singular(plan.kind)}: only a scrutiny plan has a "
            "report date and the executive's response to it"
        )
    if report_date > as_london(now).date():
        raise exceptions.InvalidValue(
            f"The report date, {long_date(report_date)}, is in the future: record the day the "
            "executive received the report once it has"
        )
    milestones.refuse_done_before(
        session, plan, report_date, "the executive received the report", "set-report-date"
    )
    period = response_months(months if months is not None else plan.response_months)
    (response,) = scrutiny.timetable(report_date, period)
    earlier = plan.report_date
    milestone_store.set_report_date(session, plan.id, report_date, period)
    milestone_store.schedule(session, plan.id, [(response.kind.value, response.due_on, None)])
    event = recorded.ReportDateSet(
        actor_id=actor_id,
        plan_id=plan.id,
        report_date=report_date,
        response_months=period,
        response_due=response.due_on,
        earlier=earlier,
    )
    audit.record(session, event, at=now)


def set_report_date(
    ctx: Context,
    plan_id: int,
    report_date: date,
    *,
    response_months: int | None = None,
    by_email: str | None = None,
) -> list[MilestoneView]:
    """Record (or correct) the day the executive received the scrutiny report, and the months
    it has to respond when not the plan's so far; the response's due date follows (the last day
    of the period beginning with that day, `reminders.scrutiny.response_due`)."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        actor = milestones.recorder(session, plan, by_email) if by_email else None
        schedule_in(
            session, plan, report_date, response_months,
            actor_id=actor.id if actor else None, now=now,
        )  # fmt: skip
        return milestones.milestone_views(session, plan_id, as_london(now).date())


def sign_off(
    ctx: Context,
    action_id: int,
    *,
    signed_off_on: date,
    minute: str | None = None,
    by_email: str,
) -> SignOffView:
    """Record that the scrutiny committee signed the action off as implemented on a day (its
    meeting's), with the minute that records it; a second sign-off corrects the first."""
    minute = " ".join((minute or "").split()) or None
    if minute is not None and len(minute) > LONGEST_MINUTE:
        raise exceptions.InvalidValue(
            f"A minute reference is at most {LONGEST_MINUTE} characters: give its number "
            "(e.g. 45/26), not its text"
        )
    now = ctx.clock.now()
    if signed_off_on > as_london(now).date():
        raise exceptions.InvalidValue(
            f"{long_date(signed_off_on)} is in the future: record a sign-off once the committee "
            "has met"
        )
    with ctx.database.writing() as session:
        action = action_store.action_by_id(session, action_id)
        plan = plan_store.plan_by_id(session, action.plan_id)
        signer = _signer(session, plan, action_id, by_email)
        if plan.kind != PlanKind.SCRUTINY:
            raise exceptions.Refused(
                f"Action {action_id} is in plan {plan.id}, {kind_singular(plan.kind)}: only a "
                "scrutiny plan's actions are signed off by its committee"
            )
        _refuse_unless_complete(ctx.workflows.workflow(plan.workflow), action_id, action.state)
        if plan.report_date is not None and signed_off_on < plan.report_date:
            raise exceptions.InvalidValue(
                f"{long_date(signed_off_on)} is before the executive received the scrutiny "
                f"report, on {long_date(plan.report_date)}"
            )
        earlier = sign_off_store.sign_off_of(session, action_id)
        sign_off_store.record(
            session, action_id, signed_off_on=signed_off_on, minute=minute,
            recorded_by_id=signer.id, at=now,
        )  # fmt: skip
        event = recorded.CommitteeSignedOff(
            action_id=action_id,
            actor_id=signer.id,
            plan_id=action.plan_id,
            signed_off_on=signed_off_on,
            minute=minute,
            earlier=earlier.signed_off_on if earlier else None,
        )
        audit.record(session, event, at=now)
        row = sign_off_store.sign_off_of(session, action_id)
        assert row is not None
        return sign_off_view(row)


def _refuse_unless_complete(workflow: Workflow, action_id: int, state: str) -> None:
    """The committee signs an action off as implemented: only once it is in one of its
    workflow's final states (complete, in the shipped workflow)."""
    finished = [s for s in workflow.states.values() if s.final]
    if any(s.name == state for s in finished):
        return
    now = workflow.states[state].label.lower() if state in workflow.states else state
    complete = " or ".join(s.label.lower() for s in finished) or "complete"
    raise exceptions.Refused(
        f"Action {action_id} is {now}: the committee signs off an action as implemented once "
        f"it is {complete}. Ask for it to be marked {complete} first, then record the sign-off"
    )


def _signer(session: Session, plan: Plan, action_id: int, email: str) -> Person:
    """The person recording a sign-off, if they may: of the plan's own council (another
    council's action is answered as a missing one), and its scrutiny officer or an
    administrator."""
    person = people_store.person_by_email(session, email)
    assert person.id is not None
    if not people_store.belongs_with(session, person.id, plan.organisation):
        raise exceptions.NotFound(f"No action with id {action_id}")
    if not SIGNERS & people_store.roles_of(session, person.id):
        raise exceptions.Refused(
            f"{person.email} cannot record a committee's sign-off: only the scrutiny officer "
            "or an administrator of the plan's council can, from the committee's minutes"
        )
    return person


def sign_off_of(session: Session, action_id: int) -> SignOffView | None:
    """The action's sign-off, in the caller's transaction (a read model's)."""
    row = sign_off_store.sign_off_of(session, action_id)
    return sign_off_view(row) if row is not None else None
