"""A plan's timetable: a peer-challenge plan's challenge date and the milestones it gives (a
scrutiny plan's report date gives its own, `services.scrutiny`), and each marked done on a day
with a link, every change in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.links import milestone_slug
from improveflow.models import Person, Plan, PlanKind, Role
from improveflow.reminders import peer_challenge
from improveflow.reminders.peer_challenge import LABELS, NAMES, MilestoneKind, Standing
from improveflow.services.context import Context
from improveflow.stores import milestones as milestone_store
from improveflow.stores import people as people_store
from improveflow.stores import plans as plan_store
from improveflow.templating import long_date
from improveflow.workflow.deciders import kind_singular


@dataclass(frozen=True)
class MilestoneView:
    """A milestone as its lead reads it, with where it stands today in words."""

    kind: str
    label: str
    due_on: date
    latest_on: date | None
    done_on: date | None
    link: str | None
    done_by: str | None  # the email address of who marked it done
    done_by_name: str | None  # and their name
    standing: Standing
    words: str  # "Due by Friday 12 September 2026", "Overdue: it was due on ..."

    @property
    def recorded_words(self) -> str:
        """Where it stands with, once done, who recorded it: "Done on Thursday 3 September
        2026, recorded by Pia Lund"."""
        who = self.done_by_name or self.done_by
        if self.done_on is None or not who:
            return self.words
        return f"{self.words}, recorded by {who}"


class DoneValueInvalid(exceptions.InvalidValue):
    """A day or link a milestone cannot be marked done with; `field` names which one
    (DONE_ON or LINK), so a form can show the message beside it."""

    DONE_ON = "done_on"
    LINK = "link"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def milestone_kind(text: str) -> MilestoneKind:
    """Accept 'feedback-report', 'feedback_report' or 'Feedback report'."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return MilestoneKind(key)
    except ValueError:
        known = ", ".join(kind.value.replace("_", "-") for kind in MilestoneKind)
        raise exceptions.InvalidValue(f"'{text}' is not a milestone (known: {known})") from None


def schedule_in(
    session: Session, plan: Plan, challenge_date: date, *, actor_id: int | None, now: datetime
) -> None:
    """Record the plan's challenge date and give its milestones their due dates, in the
    caller's transaction. Only a peer-challenge plan has this timetable."""
    assert plan.id is not None
    if plan.kind != PlanKind.PEER_CHALLENGE:
        raise exceptions.InvalidValue(
            f"Plan {plan.id} is {kind_singular(plan.kind)}: only a peer-challenge plan has "
            "a challenge date and the LGA's timetable"
        )
    if challenge_date > as_london(now).date():
        raise exceptions.InvalidValue(
            f"The challenge date, {long_date(challenge_date)}, is in the future: record it "
            "once the challenge has ended"
        )
    refuse_done_before(
        session, plan, challenge_date, "the peer challenge ended", "set-challenge-date"
    )
    milestones = peer_challenge.timetable(challenge_date)
    earlier = plan.challenge_date
    milestone_store.set_challenge_date(session, plan.id, challenge_date)
    milestone_store.schedule(
        session, plan.id, ((m.kind.value, m.due_on, m.latest_on) for m in milestones)
    )
    event = recorded.ChallengeDateSet(
        actor_id=actor_id,
        plan_id=plan.id,
        challenge_date=challenge_date,
        earlier=earlier,
        milestones=tuple(f"{m.kind} {m.due_on}" for m in milestones),
    )
    audit.record(session, event, at=now)


def refuse_done_before(
    session: Session, plan: Plan, start: date, started: str, command: str
) -> None:
    """Refuse a new challenge (or report) date after a day one of the plan's milestones is
    recorded done on, as `mark_done` refuses such a day: a milestone is done after the
    timetable it belongs to begins. `started` says what the date is ("the peer challenge
    ended"), `command` the CLI command that records it."""
    assert plan.id is not None
    for row in milestone_store.milestones_of(session, plan.id):
        if row.done_on is None or row.done_on >= start:
            continue
        name, what = NAMES[MilestoneKind(row.kind)]
        raise exceptions.InvalidValue(
            f"{name[0].upper()}{name[1:]} is recorded as {what} on {long_date(row.done_on)}, "
            f"before {long_date(start)}, the day you give as when {started}. Check the date; "
            f"if it is right, first correct the day {name} was {what} (improveflow plan "
            f"milestone done {plan.id} {milestone_slug(row.kind)} --on YYYY-MM-DD --link ... "
            f"--by ...), then run {command} again"
        )


def set_challenge_date(
    ctx: Context, plan_id: int, challenge_date: date, *, by_email: str | None = None
) -> list[MilestoneView]:
    """Record (or correct) when the plan's peer challenge ended; its milestones follow."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        actor = _recorder(session, plan, by_email) if by_email else None
        schedule_in(session, plan, challenge_date, actor_id=actor.id if actor else None, now=now)
        return _views(session, plan_id, as_london(now).date())


def mark_done(
    ctx: Context,
    plan_id: int,
    kind: MilestoneKind,
    *,
    done_on: date,
    link: str,
    by_email: str,
) -> MilestoneView:
    """Mark a milestone done on a day, with a link to what shows it (the published report)."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DoneValueInvalid(
            DoneValueInvalid.LINK,
            f"'{link}' is not a web address: give the link to the published document, "
            "starting https://",
        )
    now = ctx.clock.now()
    today = as_london(now).date()
    if done_on > today:
        raise DoneValueInvalid(
            DoneValueInvalid.DONE_ON,
            f"{long_date(done_on)} is in the future: mark it done once it is",
        )
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        actor = _recorder(session, plan, by_email)
        found = {row.kind: row for row in milestone_store.milestones_of(session, plan_id)}
        if kind.value not in found:
            raise exceptions.NotFound(_no_milestone(plan, kind))
        if plan.challenge_date is not None and done_on < plan.challenge_date:
            raise DoneValueInvalid(
                DoneValueInvalid.DONE_ON,
                f"{long_date(done_on)} is before the peer challenge ended, on "
                f"{long_date(plan.challenge_date)}",
            )
        if plan.report_date is not None and done_on < plan.report_date:
            raise DoneValueInvalid(
                DoneValueInvalid.DONE_ON,
                f"{long_date(done_on)} is before the executive received the scrutiny report, "
                f"on {long_date(plan.report_date)}",
            )
        milestone_store.mark_done(
            session, found[kind.value].id, done_on=done_on, link=link.strip(), done_by_id=actor.id
        )
        event = recorded.MilestoneDone(
            actor_id=actor.id, plan_id=plan_id, milestone=kind.value, done_on=done_on,
            link=link.strip(),
        )  # fmt: skip
        audit.record(session, event, at=now)
        return next(v for v in _views(session, plan_id, today) if v.kind == kind.value)


# Who keeps a plan's timetable: those it is told to, and administrators.
_RECORDERS = frozenset({Role.PEER_CHALLENGE_LEAD, Role.CHIEF_EXECUTIVE, Role.ADMIN})
# A scrutiny plan's: its scrutiny officer and chief executive, told of it, and administrators.
_SCRUTINY_RECORDERS = frozenset({Role.SCRUTINY_OFFICER, Role.CHIEF_EXECUTIVE, Role.ADMIN})


def _no_milestone(plan: Plan, kind: MilestoneKind) -> str:
    """Why the plan has no such milestone, and how it gets one."""
    name = NAMES[kind][0]
    scrutiny_kind = kind is MilestoneKind.EXECUTIVE_RESPONSE
    if scrutiny_kind != (plan.kind == PlanKind.SCRUTINY):
        which = "a scrutiny plan" if scrutiny_kind else "a peer-challenge plan"
        return (
            f"Plan {plan.id} is {kind_singular(plan.kind)}, so it has no milestone for {name}: "
            f"only {which} has one"
        )
    if plan.kind == PlanKind.SCRUTINY:
        return (
            f"Plan {plan.id} has no milestone for {name} yet: record the day the executive "
            f"received the scrutiny report first (improveflow plan set-report-date {plan.id} "
            "YYYY-MM-DD)"
        )
    return (
        f"Plan {plan.id} has no milestone for {name} yet: record the day its peer challenge "
        f"ended first (improveflow plan set-challenge-date {plan.id} YYYY-MM-DD)"
    )


def recorder(session: Session, plan: Plan, email: str) -> Person:
    """The person recording a change to the plan's timetable, if they may (`_recorder`), as
    `mark_done` checks it: for a scrutiny plan's report date (`services.scrutiny`) and the
    pages that offer the timetable's forms (`services.timetable`)."""
    return _recorder(session, plan, email)


def _recorder(session: Session, plan: Plan, email: str) -> Person:
    """The person recording a change to the plan's timetable, if they may: of the plan's own
    council (another council's plan is answered as a missing one), and its peer-challenge
    lead (a scrutiny plan's scrutiny officer), chief executive or an administrator."""
    person = people_store.person_by_email(session, email)
    assert person.id is not None
    assert plan.id is not None
    if not people_store.belongs_with(session, person.id, plan.organisation):
        raise exceptions.NotFound(f"No plan with id {plan.id}")
    scrutiny = plan.kind == PlanKind.SCRUTINY
    if not (_SCRUTINY_RECORDERS if scrutiny else _RECORDERS) & people_store.roles_of(
        session, person.id
    ):
        who = "the scrutiny officer" if scrutiny else "a peer-challenge lead"
        raise exceptions.Refused(
            f"{person.email} cannot change plan {plan.id}'s timetable: only {who}, the chief "
            "executive or an administrator of its council can"
        )
    return person


def list_milestones(ctx: Context, plan_id: int) -> list[MilestoneView]:
    """The plan's milestones, soonest due first, with where each stands today."""
    today = as_london(ctx.clock.now()).date()
    with ctx.database.reading() as session:
        plan_store.plan_by_id(session, plan_id)
        return _views(session, plan_id, today)


def milestone_views(session: Session, plan_id: int, today: date) -> list[MilestoneView]:
    """As `list_milestones`, in the caller's transaction (the dashboard's)."""
    return _views(session, plan_id, today)


def _views(session: Session, plan_id: int, today: date) -> list[MilestoneView]:
    views = []
    for row in milestone_store.milestones_of(session, plan_id):
        kind = MilestoneKind(row.kind)
        stands = peer_challenge.standing(row.due_on, row.latest_on, row.done_on, today)
        views.append(
            MilestoneView(
                kind=row.kind,
                label=LABELS[kind],
                due_on=row.due_on,
                latest_on=row.latest_on,
                done_on=row.done_on,
                link=row.link,
                done_by=row.done_by,
                done_by_name=row.done_by_name,
                standing=stands,
                words=standing_words(stands, row.due_on, row.latest_on, row.done_on),
            )
        )
    return views


def standing_words(
    stands: Standing, due_on: date, latest_on: date | None, done_on: date | None
) -> str:
    """Where a milestone stands, in a sentence."""
    due = long_date(due_on)
    if stands is Standing.DONE:
        assert done_on is not None
        return f"Done on {long_date(done_on)}"
    if stands is Standing.NOT_DUE:
        if latest_on is None:
            return f"Due by {due}"
        return f"Due by {due}, {long_date(latest_on)} at the latest"
    if stands is Standing.OVERDUE:
        if latest_on is None:
            return f"Overdue: it was due by {due}"
        return f"Overdue: it was due by {due}; the latest date is {long_date(latest_on)}"
    assert latest_on is not None
    return f"Overdue: past its latest date, {long_date(latest_on)}"
