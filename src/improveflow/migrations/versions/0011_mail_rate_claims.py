"""the rate limit per sending mailbox, shared by every worker on the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00.000000

Each rate-limited dispatch run records how many emails it may send from its mailbox and until
when they count against the mailbox's limit, so workers in other processes (or on other
machines) sharing the database count them too.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_rate_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=320), nullable=False),
        sa.Column("emails", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_mail_rate_claim_mailbox_until", "mail_rate_claim", ["mailbox", "counts_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_mail_rate_claim_mailbox_until", table_name="mail_rate_claim")
    op.drop_table("mail_rate_claim")
