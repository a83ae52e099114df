"""The peer-challenge timetable: from the day a challenge ended, its milestones' due dates, and
which reminder or escalation about a milestone is due at `now`. Pure.

The periods are the Local Government Association's, from its corporate peer challenge
guidance: the council publishes the team's feedback report within three months of the
challenge, with its action plan in response; an action plan not ready by then is published
five months after the challenge at the latest (the report has no such later date); the team
comes back for a progress review about ten months after it; and the progress review's report
is published no later than twelve months after the challenge.

Each milestone not yet done has, in order: a reminder some working days before its due date;
an escalation on the first working day after the due date passes; and, where the guidance
gives a latest date, another on the first working day after that. Each goes at the workflow's
send time of a working day of its calendar, never at a weekend or on a bank holiday. A
reminder is still due within the catch-up window if the scheduler was stopped at the time; an
escalation stays due until the milestone is done.
"""

from __future__ import annotations

import calendar as month_lengths
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from improveflow.calendar import WorkingCalendar
from improveflow.reminders.target_reminders import reminder_day, reminder_moment

# Working days before a milestone's due date that its lead and chief executive are reminded.
REMINDER_WORKING_DAYS = 10


class MilestoneKind(StrEnum):
    """The steps of the LGA's timetable, in the order they fall; stored in `plan_milestone`."""

    FEEDBACK_REPORT = "feedback_report"
    ACTION_PLAN = "action_plan"
    PROGRESS_REVIEW = "progress_review"
    PROGRESS_REVIEW_REPORT = "progress_review_report"
    # A scrutiny plan's one milestone (`reminders.scrutiny`), kept with these so the same
    # table, sweep and pages serve it.
    EXECUTIVE_RESPONSE = "executive_response"


class Stage(StrEnum):
    """What a notice about a milestone says: coming up, or gone past a date unmet."""

    REMINDER = "reminder"
    OVERDUE = "overdue"  # its due date passed
    PAST_LATEST = "past_latest"  # its latest date passed too


@dataclass(frozen=True)
class Period:
    """A milestone's due date, and latest date where the guidance gives one, in months after
    the challenge."""

    kind: MilestoneKind
    due_months: int
    latest_months: int | None = None


# The LGA's corporate peer challenge guidance (see the module's docstring).
TIMETABLE = (
    Period(MilestoneKind.FEEDBACK_REPORT, due_months=3),
    Period(MilestoneKind.ACTION_PLAN, due_months=3, latest_months=5),
    Period(MilestoneKind.PROGRESS_REVIEW, due_months=10),  # "about ten months after"
    Period(MilestoneKind.PROGRESS_REVIEW_REPORT, due_months=12),
)


@dataclass(frozen=True)
class Milestone:
    kind: MilestoneKind
    due_on: date
    latest_on: date | None


@dataclass(frozen=True)
class DueStage:
    """A notice due now about a milestone: its stage, when it was due, and the date it is
    about (the due date, or the latest date once that has passed)."""

    stage: Stage
    moment: datetime
    against: date


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 August and
    three months is 30 November)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_lengths.monthrange(year, month)[1]))


def timetable(challenge_date: date) -> list[Milestone]:
    """The milestones of a peer challenge that ended on `challenge_date`, in order."""
    return [
        Milestone(
            period.kind,
            add_months(challenge_date, period.due_months),
            add_months(challenge_date, period.latest_months) if period.latest_months else None,
        )
        for period in TIMETABLE
    ]


def stage_moments(
    calendar: WorkingCalendar, send_time: time, due_on: date, latest_on: date | None
) -> list[DueStage]:
    """Every notice a milestone not done will have, with the moment each goes."""
    stages = [
        DueStage(
            Stage.REMINDER,
            reminder_moment(
                calendar, send_time, reminder_day(calendar, due_on, REMINDER_WORKING_DAYS)
            ),
            due_on,
        ),
        DueStage(
            Stage.OVERDUE,
            reminder_moment(calendar, send_time, calendar.next_working_day(due_on)),
            due_on,
        ),
    ]
    if latest_on is not None and latest_on > due_on:
        moment = reminder_moment(calendar, send_time, calendar.next_working_day(latest_on))
        stages.append(DueStage(Stage.PAST_LATEST, moment, latest_on))
    return stages


def due_stages(
    calendar: WorkingCalendar,
    send_time: time,
    catch_up: timedelta,
    due_on: date,
    latest_on: date | None,
    now: datetime,
) -> list[DueStage]:
    """The notices due at `now` about a milestone not done.

    A reminder is due from its moment until the catch-up window has passed, so one missed
    while the scheduler was stopped still goes, and a late one is never sent. An escalation
    stays due from its moment until the milestone is done (the sweep's keys send each once),
    so a timetable recorded late is still told; of the escalations reached, only the latest,
    so it is told where it stands, not stage by stage.
    """
    reached = stage_moments(calendar, send_time, due_on, latest_on)
    reminders = [
        stage
        for stage in reached
        if stage.stage is Stage.REMINDER and stage.moment <= now < stage.moment + catch_up
    ]
    escalations = [s for s in reached if s.stage is not Stage.REMINDER and s.moment <= now]
    return reminders + escalations[-1:]


# What each milestone is, as people read it.
LABELS = {
    MilestoneKind.FEEDBACK_REPORT: "Feedback report published",
    MilestoneKind.ACTION_PLAN: "Action plan published",
    MilestoneKind.PROGRESS_REVIEW: "Progress review held",
    MilestoneKind.PROGRESS_REVIEW_REPORT: "Progress review report published",
    MilestoneKind.EXECUTIVE_RESPONSE: "Executive response given",
}


# Each milestone in a sentence, as its pages and refusals name it: what it is, and what being
# done is ("the feedback report", "published").
NAMES = {
    MilestoneKind.FEEDBACK_REPORT: ("the feedback report", "published"),
    MilestoneKind.ACTION_PLAN: ("the action plan", "published"),
    MilestoneKind.PROGRESS_REVIEW: ("the progress review", "held"),
    MilestoneKind.PROGRESS_REVIEW_REPORT: ("the progress review report", "published"),
    MilestoneKind.EXECUTIVE_RESPONSE: ("the executive's response", "given"),
}


class Standing(StrEnum):
    """Where a milestone stands on a day."""

    DONE = "done"
    NOT_DUE = "not_due"
    OVERDUE = "overdue"  # past its due date, not yet its latest
    PAST_LATEST = "past_latest"


def standing(due_on: date, latest_on: date | None, done_on: date | None, today: date) -> Standing:
    """Whether a milestone is done, not due yet, overdue, or past its latest date on `today`."""
    if done_on is not None:
        return Standing.DONE
    if today <= due_on:
        return Standing.NOT_DUE
    if latest_on is not None and today <= latest_on:
        return Standing.OVERDUE
    return Standing.PAST_LATEST if latest_on is not None else Standing.OVERDUE
