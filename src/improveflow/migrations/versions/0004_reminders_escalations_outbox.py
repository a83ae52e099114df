"""reminders escalations outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:16:24.706196
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deputy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deputy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deputy_member_id"), ["member_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=50), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index("ix_outbox_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_action_id"), ["action_id"], unique=False)
        batch_op.create_index("ix_escalation_open", ["closed_at", "level"], unique=False)
        batch_op.create_index(
            "uq_escalation_open_level",
            ["action_id", "level"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_unsent", ["outbox_id", "person_id"], unique=False)

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heard_from_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("quiet_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_action_escalation_heard",
            ["state", "escalation_level", "heard_from_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_action_escalation_target",
            ["state", "escalation_level", "target_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_action_quiet", ["state", "target_date", "quiet_since"], unique=False
        )
        batch_op.create_index("ix_action_rag", ["state", "rag", "escalation_level"], unique=False)
        batch_op.create_index("ix_action_state_target", ["state", "target_date"], unique=False)

    # Existing actions were last heard from at their newest progress update, or creation.
    op.execute(
        "UPDATE action SET heard_from_at = COALESCE((SELECT max(progress_update.created_at) "
        "FROM progress_update WHERE progress_update.action_id = action.id), created_at)"
    )
    op.execute("UPDATE action SET quiet_since = heard_from_at")

    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("members_told_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("requester_told_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_approval_request_members_told_at"), ["members_told_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_approval_request_requester_told_at"),
            ["requester_told_at"],
            unique=False,
        )
    # Requests made before this version were told by hand: mark them told.
    op.execute("UPDATE approval_request SET members_told_at = created_at")
    op.execute(
        "UPDATE approval_request SET requester_told_at = closed_at WHERE closed_at IS NOT NULL"
    )

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_behalf_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_decision_on_behalf_of_id_person", "person", ["on_behalf_of_id"], ["id"]
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reminder_delivery",
                sa.String(length=20),
                nullable=False,
                server_default="immediate",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_request_requester_told_at"))
        batch_op.drop_index(batch_op.f("ix_approval_request_members_told_at"))
        batch_op.drop_column("requester_told_at")
        batch_op.drop_column("members_told_at")

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint("fk_decision_on_behalf_of_id_person", type_="foreignkey")
        batch_op.drop_column("on_behalf_of_id")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("reminder_delivery")

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_state_target")
        batch_op.drop_index("ix_action_rag")
        batch_op.drop_index("ix_action_quiet")
        batch_op.drop_index("ix_action_escalation_target")
        batch_op.drop_index("ix_action_escalation_heard")
        batch_op.drop_column("escalation_level")
        batch_op.drop_column("quiet_since")
        batch_op.drop_column("heard_from_at")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_unsent")

    op.drop_table("notice")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_escalation_open_level",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index("ix_escalation_open")
        batch_op.drop_index(batch_op.f("ix_escalation_action_id"))

    op.drop_table("escalation")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_due")
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("deputy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deputy_member_id"))

    op.drop_table("deputy")
