"""the executive's response is due by the last day of the period beginning with receipt

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 19:00:00.000000

The Local Government Act 2000, section 9FE(2), gives the executive "the period of two months
beginning with the date on which it received the report". A period beginning with a day counts
that day, so it ends on the day before the corresponding date (received 12 June, due by 11
August), or on the last day of the month when there is no corresponding date (received 31
December, due by 28 February). Responses scheduled before this revision fell due on the
corresponding date itself, a day late; each open or given one is moved to its right day. A
response not yet given whose corrected date has passed is escalated once more, with that date.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statutory period, in months, for a plan that recorded none.
_DEFAULT_MONTHS = 2

_PLANS = sa.table(
    "plan",
    sa.column("id", sa.Integer),
    sa.column("report_date", sa.Date),
    sa.column("response_months", sa.Integer),
)
_MILESTONES = sa.table(
    "plan_milestone",
    sa.column("id", sa.Integer),
    sa.column("plan_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("due_on", sa.Date),
)


def _corresponding(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period_ends(received: date, months: int) -> date:
    """The last day of the period of `months` beginning with `received`. Repeated here, not
    imported, so this revision keeps meaning what it meant whatever the application becomes."""
    corresponding = _corresponding(received, months)
    if corresponding.day != received.day:
        return corresponding
    return corresponding - timedelta(days=1)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_MILESTONES.c.id, _PLANS.c.report_date, _PLANS.c.response_months)
        .select_from(_MILESTONES.join(_PLANS, _PLANS.c.id == _MILESTONES.c.plan_id))
        .where(_MILESTONES.c.kind == "executive_response", _PLANS.c.report_date.is_not(None))
    ).all()
    for milestone_id, report_date, months in rows:
        due = _period_ends(report_date, months or _DEFAULT_MONTHS)
        connection.execute(
            _MILESTONES.update().where(_MILESTONES.c.id == milestone_id).values(due_on=due)
        )


def downgrade() -> None:
    # The dates moved were the law misread; they are not put back.
    pass
