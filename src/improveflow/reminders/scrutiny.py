"""A scrutiny recommendations plan's timetable: from the day the executive received the
committee's report, when the executive's response to it is due. Pure.

An overview and scrutiny committee reports to the executive, which must respond "within the
period of two months beginning with the date on which it received the report or
recommendations" (Local Government Act 2000, section 9FE(2)), unless the council's own rules
give it longer. The period is the plan's own (`plan.response_months`): a council's
constitution, or the committee's report, may set another. The response is one milestone of the
plan's timetable, reminded and escalated as the peer challenge's are
(`peer_challenge.due_stages`): a reminder some working days before, then one escalation on the
first working day after it is due. It has no latest date.
"""

from __future__ import annotations

from datetime import date, timedelta

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
    """The last day of the period of `months` beginning with `report_date`, the day the
    executive received the report: the day before the same day `months` later (received 12
    June, due by 11 August), or that month's last day when it has no such day (received 31
    December, due by 28 February, 29 in a leap year). A council's own "within N months" is
    read the same way."""
    # A period "beginning with" a day counts that day, so it ends the day before the
    # corresponding date; with no corresponding date, at the month's end (Dodds v Walker
    # [1981] 1 WLR 1027).
    corresponding = add_months(report_date, months)
    if corresponding.day != report_date.day:
        return corresponding
    return corresponding - timedelta(days=1)


def timetable(report_date: date, months: int = DEFAULT_RESPONSE_MONTHS) -> list[Milestone]:
    """The milestones of a scrutiny report the executive received on `report_date`: its
    response."""
    return [Milestone(MilestoneKind.EXECUTIVE_RESPONSE, response_due(report_date, months), None)]


def period_words(months: int) -> str:
    """'two months', 'one month': the response period as a sentence says it."""
    number = _NUMBERS[months - 1] if 1 <= months <= len(_NUMBERS) else str(months)
    return f"{number} month" if months == 1 else f"{number} months"
