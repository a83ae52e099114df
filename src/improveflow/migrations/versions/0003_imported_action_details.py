"""imported action details

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:02:52.611253
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Existing actions get empty lists.
EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("milestones", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        batch_op.add_column(sa.Column("recurrence", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("measures", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("body_hint", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        batch_op.add_column(
            sa.Column("needs_review", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("import_key", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_action_plan_import_key", ["plan_id", "import_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("uq_action_plan_import_key")
        batch_op.drop_column("import_key")
        batch_op.drop_column("source")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("body_hint")
        batch_op.drop_column("measures")
        batch_op.drop_column("recurrence")
        batch_op.drop_column("milestones")
