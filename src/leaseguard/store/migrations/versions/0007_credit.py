"""credit: the inquiry/application log across lessors and the credit decisions taken

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_applications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("applicant_id", sa.String(length=32), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("pd", sa.Numeric(precision=8, scale=6, asdecimal=False), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_applications")),
    )
    op.create_index(
        "ix_credit_applications_applicant_day", "credit_applications", ["applicant_id", "applied_on"]
    )
    op.create_index(op.f("ix_credit_applications_lessor"), "credit_applications", ["lessor"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_applications_lessor"), table_name="credit_applications")
    op.drop_index("ix_credit_applications_applicant_day", table_name="credit_applications")
    op.drop_table("credit_applications")
