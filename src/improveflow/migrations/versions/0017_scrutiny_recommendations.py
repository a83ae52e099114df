"""scrutiny recommendations: a plan's report date and response period, committee sign-offs

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 18:00:00.000000

A scrutiny plan records the day the committee's report was made and the months the executive
has to respond (two unless the council's rules say otherwise); the response is a milestone of
`plan_milestone`. The committee signs an action off as implemented on a day, with its minute.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch_op:
        batch_op.add_column(sa.Column("report_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("response_months", sa.Integer(), nullable=True))
    op.create_table(
        "committee_sign_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("signed_off_on", sa.Date(), nullable=False),
        sa.Column("minute", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_committee_sign_off_action", "committee_sign_off", ["action_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_committee_sign_off_action", table_name="committee_sign_off")
    op.drop_table("committee_sign_off")
    with op.batch_alter_table("plan") as batch_op:
        batch_op.drop_column("response_months")
        batch_op.drop_column("report_date")
