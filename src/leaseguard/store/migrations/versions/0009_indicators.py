"""regulatory indicator reports: one row per lessor, day and rule set, with its balance sheet and results

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_reports",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("rule_set_sha256", sa.String(length=64), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("balance_sheet", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_indicator_reports_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_reports")),
    )
    op.create_index(
        "ix_indicator_reports_lessor_rule_set_as_of", "indicator_reports", ["lessor", "rule_set", "as_of"]
    )


def downgrade() -> None:
    op.drop_index("ix_indicator_reports_lessor_rule_set_as_of", table_name="indicator_reports")
    op.drop_table("indicator_reports")
