"""The audit head follows every inserted event, kept by the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Writers still lock and read the head first (that serialises the chain); the trigger
    # saves them the statement that moves it, and no writer can forget to.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_event BEGIN "
            "UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END"
        )
        return
    op.execute(
        "CREATE FUNCTION audit_event_move_head() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_move_head()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_moves_head")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_moves_head ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_move_head()")
