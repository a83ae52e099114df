"""outbox: when and why each email last failed, why it was superseded, resend on request

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: nothing here needs SQLite's table rebuild.
    op.add_column("outbox", sa.Column("fault", sa.String(length=20), nullable=True))
    op.add_column("outbox", sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("superseded_reason", sa.Text(), nullable=True))
    op.add_column(
        "outbox",
        sa.Column("send_anyway", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_outbox_status_attempt", "outbox", ["status", "last_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_attempt", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("send_anyway")
        batch_op.drop_column("superseded_reason")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("fault")
