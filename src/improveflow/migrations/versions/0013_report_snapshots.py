"""report snapshots: each committee report's model, kept to be produced again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 09:00:00.000000

A report is rendered from a stored snapshot (its model as JSON) that names the audit log's
head it was made at, so the report of one day can be produced again, byte for byte, later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint_seq", sa.Integer(), nullable=False),
        sa.Column("checkpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["made_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_snapshot_plan_made", "report_snapshot", ["plan_id", "made_at"])


def downgrade() -> None:
    op.drop_index("ix_report_snapshot_plan_made", table_name="report_snapshot")
    op.drop_table("report_snapshot")
