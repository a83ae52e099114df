"""web sessions say what they may reach; sign-in requests are counted for the form's limits

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000

A session started by signing in reaches everything its person may ("all"); one started from an
action, approval or preferences link reaches that one page. Sessions started from such links
before this revision reached everything: they are ended here (at most a couple of hours' worth),
and their people follow a link or sign in again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM web_session WHERE via <> 'sign_in'")
    op.add_column("web_session", sa.Column("scope", sa.String(length=40), nullable=True))
    op.execute("UPDATE web_session SET scope = 'all'")
    # No default: a session written without a scope must fail, never reach everything.
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.alter_column("scope", existing_type=sa.String(length=40), nullable=False)

    op.create_table(
        "sign_in_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_in_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_request_address_key"), ["address_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_request_client_key"), ["client_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sign_in_request_asked_at"), ["asked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_request_asked_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_request_client_key"))
        batch_op.drop_index(batch_op.f("ix_sign_in_request_address_key"))
    op.drop_table("sign_in_request")
    # Older code reads every session as a whole one: end the ones that were not.
    op.execute("DELETE FROM web_session WHERE scope <> 'all'")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_column("scope")
