"""asset checks: who asked about which asset, when, and the verdict with its reasons

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "asset_checks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("asked_by", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_asset_checks_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_checks")),
    )
    op.create_index(op.f("ix_asset_checks_lessor"), "asset_checks", ["lessor"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_checks_lessor"), table_name="asset_checks")
    op.drop_table("asset_checks")
