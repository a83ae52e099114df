"""replies by email, each kept once by its Message-ID

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 09:00:00.000000

Owners answer reminders by replying to them. Each message received is kept once under its
Message-ID, with what became of it, so a message delivered twice is recorded once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("email_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["email_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("inbound_reply", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_reply_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_reply_received_at"))
    op.drop_table("inbound_reply")
