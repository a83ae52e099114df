"""report snapshot pack: what each stored report was made for

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 19:00:00.000000

A snapshot records whether it was made as the committee report or as a peer challenge's
progress review pack, so only committee reports move the window the next report counts its
changes from, and a snapshot is produced again as what it was made for. Every snapshot made
before this was a committee report as far as anyone can tell, so existing rows are that.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_snapshot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pack",
                sa.String(length=20),
                nullable=False,
                server_default=sa.text("'committee'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("report_snapshot", schema=None) as batch_op:
        batch_op.drop_column("pack")
