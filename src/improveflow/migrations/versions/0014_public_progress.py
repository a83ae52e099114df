"""public progress: a plan's publication, and progress updates marked public by an approver

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 09:00:00.000000

A published plan has a public page at /public/plans/<slug>. It shows only the progress updates
a member of the body that decides the plan's changes has marked public: who, and when.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["published_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_plan_publication_plan", "plan_publication", ["plan_id"], unique=True)
    op.create_index("uq_plan_publication_slug", "plan_publication", ["slug"], unique=True)
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("public_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_progress_update_public_by_id_person", "person", ["public_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.drop_constraint("fk_progress_update_public_by_id_person", type_="foreignkey")
        batch_op.drop_column("public_by_id")
        batch_op.drop_column("public_at")
    op.drop_index("uq_plan_publication_slug", table_name="plan_publication")
    op.drop_index("uq_plan_publication_plan", table_name="plan_publication")
    op.drop_table("plan_publication")
