"""credit policies deployed per lessor from the console (the lessor's newest is its policy), and an index of a
lessor's credit decisions newest first

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "credit_policies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("deployed_by", sa.String(length=64), nullable=False),
        sa.Column("deployed_role", sa.String(length=16), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tested_decisions", sa.Integer(), nullable=False),
        sa.Column("changed_decisions", sa.Integer(), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_credit_policies_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_policies")),
    )
    op.create_index("ix_credit_policies_lessor_id", "credit_policies", ["lessor", "id"])
    op.create_index(
        "ix_credit_applications_lessor_source_id", "credit_applications", ["lessor", "source", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_credit_applications_lessor_source_id", table_name="credit_applications")
    op.drop_index("ix_credit_policies_lessor_id", table_name="credit_policies")
    op.drop_table("credit_policies")
