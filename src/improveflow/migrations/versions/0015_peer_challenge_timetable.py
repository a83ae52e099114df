"""peer-challenge timetable: a plan's challenge date and its milestones

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 16:00:00.000000

A peer-challenge plan records the day its challenge ended; the LGA's timetable counted from
it becomes the plan's milestones, each due by a day, done on a day with a link.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch_op:
        batch_op.add_column(sa.Column("challenge_date", sa.Date(), nullable=True))
    op.create_table(
        "plan_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("latest_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["done_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("plan_milestone")
    with op.batch_alter_table("plan") as batch_op:
        batch_op.drop_column("challenge_date")
