"""funding files screened in the console, their assets, and the funding decisions taken on them (maker-checker)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-18 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "funding_screens",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("screened_by", sa.String(length=64), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("assets", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_funding_screens_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_screens")),
    )
    op.create_index("ix_funding_screens_lessor_id", "funding_screens", ["lessor", "id"])
    op.create_table(
        "funding_screen_assets",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("screen_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=True),
        sa.Column("asset_type", sa.String(length=16), nullable=True),
        sa.Column("vin", sa.String(length=64), nullable=True),
        sa.Column("serial_no", sa.String(length=64), nullable=True),
        sa.Column("engine_no", sa.String(length=64), nullable=True),
        sa.Column("manufacturer", sa.String(length=200), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("invoice_code", sa.String(length=64), nullable=True),
        sa.Column("invoice_no", sa.String(length=64), nullable=True),
        sa.Column("invoice_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("lessee_id", sa.String(length=64), nullable=True),
        sa.Column("lessee_name", sa.String(length=200), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("reasons_zh", sa.JSON(), nullable=False),
        sa.Column("reasons_en", sa.JSON(), nullable=False),
        sa.Column("store_matches", sa.Integer(), nullable=False),
        sa.Column("file_matches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["screen_id"],
            ["funding_screens.id"],
            name=op.f("fk_funding_screen_assets_screen_id_funding_screens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_screen_assets")),
        sa.UniqueConstraint(
            "screen_id", "position", name=op.f("uq_funding_screen_assets_screen_id_position")
        ),
    )
    op.create_table(
        "funding_decisions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("screen_asset_id", _ID, nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_role", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_comment", sa.Text(), nullable=True),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.Column("approval_evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_funding_decisions_lessor_lessors")
        ),
        sa.ForeignKeyConstraint(
            ["screen_asset_id"],
            ["funding_screen_assets.id"],
            name=op.f("fk_funding_decisions_screen_asset_id_funding_screen_assets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_decisions")),
    )
    op.create_index("ix_funding_decisions_screen_asset_id", "funding_decisions", ["screen_asset_id"])
    op.create_index("ix_funding_decisions_lessor_pending", "funding_decisions", ["lessor", "pending", "id"])


def downgrade() -> None:
    op.drop_index("ix_funding_decisions_lessor_pending", table_name="funding_decisions")
    op.drop_index("ix_funding_decisions_screen_asset_id", table_name="funding_decisions")
    op.drop_table("funding_decisions")
    op.drop_table("funding_screen_assets")
    op.drop_index("ix_funding_screens_lessor_id", table_name="funding_screens")
    op.drop_table("funding_screens")
