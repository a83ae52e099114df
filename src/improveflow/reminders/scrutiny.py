"""A scrutiny recommendations plan's timetable: from the day the committee's report was made,
when the executive's response to it is due. Pure.

An overview and scrutiny committee reports to the executive, which must respond within two
months (Local Government Act 2000, section 9FE), unless the council's own rules give it
longer. The period is the plan's own (`plan.response_months`): a council's constitution, or the
committee's report, may set another. The response is one milestone of the plan's timetable,
reminded and escalated as the peer challenge's are (`peer_challenge.due_stages`): a reminder
some working days before, then one escalation on the first working day after it is due. It has
no latest date.
"""

from __future__ import annotations

from datetime import date

from improveflow.reminders.peer_challenge import Milestone, MilestoneKind, add_months

# The statutory period, in months, unless the plan says otherwise.
DEFAULT_RESPONSE_MONTHS = 2
# A response period beyond a year is a typing mistake, not a council's rule.
LONGEST_RESPONSE_MONTHS = 12

_NUMBERS = (
    "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve",
)  # fmt: skip


def response_due(report_date: date, months: int = DEFAULT_RESPONSE_MONTHS) -> date:
    """The day the executive's response is due: the same day `months` later, or the month's
    last day when it is shorter (31 December and two months is 28 February)."""
    return add_months(report_date, months)


def timetable(report_date: date, months: int = DEFAULT_RESPONSE_MONTHS) -> list[Milestone]:
    """The milestones of a scrutiny report made on `report_date`: the executive's response."""
    return [Milestone(MilestoneKind.EXECUTIVE_RESPONSE, response_due(report_date, months), None)]


def period_words(months: int) -> str:
    """'two months', 'one month': the response period as a sentence says it."""
    number = _NUMBERS[months - 1] if 1 <= months <= len(_NUMBERS) else str(months)
    return f"{number} month" if months == 1 else f"{number} months"
