"""audit events record how they were hashed: plain SHA-256 or keyed (HMAC-SHA256)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every event written before this revision was hashed with plain SHA-256.
UNKEYED = "sha256"


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN on both databases, never a batch rebuild: rebuilding
    # audit_event on SQLite would drop the triggers that keep it append-only and move its head.
    op.add_column(
        "audit_event",
        sa.Column(
            "hash_scheme",
            sa.String(length=20),
            nullable=False,
            server_default=sa.text(f"'{UNKEYED}'"),
        ),
    )


def downgrade() -> None:
    keyed = op.get_bind().execute(
        sa.text("SELECT count(*) FROM audit_event WHERE hash_scheme <> :unkeyed"),
        {"unkeyed": UNKEYED},
    )
    if keyed.scalar_one():
        # Without the marker the keyed events could never be verified again.
        raise RuntimeError(
            "The audit log holds keyed events; going back to a version that cannot tell them "
            "apart would leave them unverifiable"
        )
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place, keeping the triggers.
    op.execute("ALTER TABLE audit_event DROP COLUMN hash_scheme")
