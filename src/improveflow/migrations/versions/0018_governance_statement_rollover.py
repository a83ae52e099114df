"""governance statement roll-over: a plan's financial year, and actions carried forward

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 18:00:00.000000

An annual governance statement plan records its financial year and, once rolled over, the
plan that continues it (when and by whom). An action carried forward names the action it
continues and keeps the date ledger it brought: its first target date and earlier re-datings.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("financial_year", sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column("rolled_over_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rolled_over_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rolled_over_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_plan_rolled_over_to_id_plan", "plan", ["rolled_over_to_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_plan_rolled_over_by_id_person", "person", ["rolled_over_by_id"], ["id"]
        )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("carried_first_target", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("carried_date_changes", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key(
            "fk_action_carried_from_id_action", "action", ["carried_from_id"], ["id"]
        )
        batch_op.create_index("ix_action_carried_from_id", ["carried_from_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_carried_from_id")
        batch_op.drop_constraint("fk_action_carried_from_id_action", type_="foreignkey")
        batch_op.drop_column("carried_date_changes")
        batch_op.drop_column("carried_first_target")
        batch_op.drop_column("carried_from_id")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_constraint("fk_plan_rolled_over_by_id_person", type_="foreignkey")
        batch_op.drop_constraint("fk_plan_rolled_over_to_id_plan", type_="foreignkey")
        batch_op.drop_column("rolled_over_by_id")
        batch_op.drop_column("rolled_over_at")
        batch_op.drop_column("rolled_over_to_id")
        batch_op.drop_column("financial_year")
