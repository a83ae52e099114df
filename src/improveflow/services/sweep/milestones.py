"""The sweep's plan milestones: remind the plan's lead and its chief executive some working days
before a milestone is due, then tell them once it has gone past its due date unmet, and again
past its latest date, each once. A peer challenge's lead is its peer-challenge lead; a scrutiny
plan's (the executive's response to the committee's report) is its scrutiny officer. Run only
in working hours of a working day of the workflow's calendar: never at a weekend or on a bank
holiday."""

from __future__ import annotations

from improveflow.calendar import as_london
from improveflow.models import NoticeKind, Role
from improveflow.reminders.peer_challenge import LABELS, DueStage, MilestoneKind, Stage
from improveflow.reminders.scrutiny import DEFAULT_RESPONSE_MONTHS, period_words
from improveflow.services.sweep.workflow_pass import WorkflowPass
from improveflow.stores import milestones as milestone_store
from improveflow.stores.milestones import OpenMilestone

# Who hears of a plan's milestones, as what: its peer-challenge lead, then its chief executive
# (someone holding both roles is told once, as the lead).
AUDIENCES = ((Role.PEER_CHALLENGE_LEAD, "lead"), (Role.CHIEF_EXECUTIVE, "chief_executive"))
# The executive's response to a scrutiny report: the officer who supports the committee and
# records the response, then the chief executive, who sees the executive gives it in time.
SCRUTINY_AUDIENCES = (
    (Role.SCRUTINY_OFFICER, "scrutiny_officer"),
    (Role.CHIEF_EXECUTIVE, "chief_executive"),
)


def remind_due(sweep: WorkflowPass) -> None:
    """Record every milestone reminder and escalation due now that is not recorded yet."""
    for milestone in milestone_store.open_milestones(sweep.session, sweep.scope.workflow):
        for due in sweep.planner.milestone_stages(milestone.due_on, milestone.latest_on, sweep.now):
            _tell(sweep, milestone, due)
        sweep.settle()


def _tell(sweep: WorkflowPass, milestone: OpenMilestone, due: DueStage) -> None:
    label = LABELS[MilestoneKind(milestone.kind)]
    kind = (
        NoticeKind.MILESTONE_REMINDER
        if due.stage is Stage.REMINDER
        else NoticeKind.MILESTONE_OVERDUE
    )
    why = {
        Stage.REMINDER: f"{label}: due by {due.against:%d %b %Y}",
        Stage.OVERDUE: f"{label}: not done by its due date, {due.against:%d %b %Y}",
        Stage.PAST_LATEST: f"{label}: not done by its latest date, {due.against:%d %b %Y}",
    }[due.stage]
    why += f" (plan {milestone.plan_id}, {as_london(due.moment):%a %d %b %H:%M})"
    data: dict[str, object] = {
        "plan_id": milestone.plan_id,
        "plan": milestone.plan_title,
        "milestone": milestone.kind,
        "label": label,
        "stage": due.stage.value,
        "due_on": milestone.due_on.isoformat(),
        "latest_on": milestone.latest_on.isoformat() if milestone.latest_on else None,
    }
    audiences = AUDIENCES
    if milestone.kind == MilestoneKind.EXECUTIVE_RESPONSE:
        audiences = SCRUTINY_AUDIENCES
        data["report_date"] = milestone.report_date.isoformat() if milestone.report_date else None
        data["response_period"] = period_words(milestone.response_months or DEFAULT_RESPONSE_MONTHS)
    told: set[int] = set()
    for role, audience in audiences:
        for person_id in sweep.people(f"role:{role}", milestone.organisation):
            if person_id in told:
                continue
            told.add(person_id)
            sweep.notice(
                kind,
                f"milestone:{milestone.id}:{due.stage}:{due.against}:{person_id}",
                person_id,
                why,
                data=data | {"audience": audience},
                due_at=sweep.send_at,
            )
