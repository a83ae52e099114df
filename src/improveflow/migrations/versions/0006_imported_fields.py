"""imported fields: original and completed dates, priority, status, other details; mappings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing actions have no other details.
EMPTY_OBJECT = sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_target_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("completed_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("status_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("details", sa.JSON(), nullable=False, server_default=EMPTY_OBJECT)
        )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_mapping", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("import_mapping")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("details")
        batch_op.drop_column("status_text")
        batch_op.drop_column("priority")
        batch_op.drop_column("completed_date")
        batch_op.drop_column("original_target_date")
