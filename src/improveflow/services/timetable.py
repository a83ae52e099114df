"""A plan's timetable as its pages read it (a peer challenge's milestones, or a scrutiny plan's
executive response): the milestones, where each stands, and whether the reader may mark them
done (services.milestones decides who may, and does it).

Another council's plan is answered exactly as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.models import PlanKind
from improveflow.reminders import scrutiny
from improveflow.services import milestones
from improveflow.services.context import Context
from improveflow.services.dashboard.headers import plan_header
from improveflow.services.milestones import MilestoneView
from improveflow.stores import plans as plan_store


@dataclass(frozen=True)
class Timetable:
    """A plan's milestones, soonest due first, as one reader sees them today."""

    plan_id: int
    plan_title: str
    scrutiny: bool  # a scrutiny plan's, else a peer challenge's
    challenge_date: date | None
    report_date: date | None  # a scrutiny plan's: the day the executive received its report
    response_period: str | None  # a scrutiny plan's, in words: "two months"
    milestones: list[MilestoneView]
    # Why the reader may not mark its milestones done, in the words `mark_done` refuses with;
    # None when they may.
    refusal: str | None
    today: date

    @property
    def may_record(self) -> bool:
        return self.refusal is None

    def milestone(self, kind: str) -> MilestoneView:
        """The milestone named `kind` ('feedback-report' or 'feedback_report'); NotFound when
        the plan has no such milestone (no challenge date yet, or no such kind at all)."""
        try:
            wanted = milestones.milestone_kind(kind).value
        except exceptions.InvalidValue:
            raise exceptions.NotFound(f"Plan {self.plan_id} has no milestone '{kind}'") from None
        for view in self.milestones:
            if view.kind == wanted:
                return view
        counted_from = (
            "the executive received its scrutiny report"
            if self.scrutiny
            else "its peer challenge ended"
        )
        raise exceptions.NotFound(
            f"Plan {self.plan_id} has no timetable yet: its milestones follow once the day "
            f"{counted_from} is recorded"
        )


def timetable_for(
    ctx: Context, plan_id: int, *, by_email: str, organisation: str | None
) -> Timetable:
    """The plan's timetable for the person signed in as `by_email` of `organisation`."""
    today = as_london(ctx.clock.now()).date()
    with ctx.database.reading() as session:
        header = plan_header(session, plan_id, organisation)
        plan = plan_store.plan_by_id(session, header.id)
        try:
            milestones.recorder(session, plan, by_email)
        except exceptions.Refused as refused:
            refusal: str | None = refused.message
        else:
            refusal = None
        return Timetable(
            plan_id=header.id,
            plan_title=header.title,
            scrutiny=plan.kind == PlanKind.SCRUTINY,
            challenge_date=plan.challenge_date,
            report_date=plan.report_date,
            response_period=(
                scrutiny.period_words(plan.response_months or scrutiny.DEFAULT_RESPONSE_MONTHS)
                if plan.kind == PlanKind.SCRUTINY
                else None
            ),
            milestones=milestones.milestone_views(session, header.id, today),
            refusal=refusal,
            today=today,
        )
