"""a peer challenge's feedback report has no latest date

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 18:10:00.000000

The LGA's guidance gives five months at the latest only to an action plan not ready with the
feedback report; the report itself is due within three months. Milestones scheduled before
this revision carried a five-month latest date for the report, which its emails and pages
repeated; it is cleared.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MILESTONES = sa.table(
    "plan_milestone", sa.column("kind", sa.String), sa.column("latest_on", sa.Date)
)


def upgrade() -> None:
    op.execute(
        _MILESTONES.update().where(_MILESTONES.c.kind == "feedback_report").values(latest_on=None)
    )


def downgrade() -> None:
    # The dates cleared were the guidance misread; they are not put back.
    pass
