"""Location alerts of leased assets (issue 20): every alert raised, open until it clears, with the reports that
raised it, and each lessor's evaluations (the time each was made up to, so the next starts from it)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracking_alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_report_id", sa.BigInteger(), nullable=True),
        sa.Column("last_report_id", sa.BigInteger(), nullable=True),
        sa.Column("cleared_report_id", sa.BigInteger(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason_params", sa.JSON(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_tracking_alerts_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_alerts")),
        sa.UniqueConstraint(
            "lessor",
            "asset_id",
            "code",
            "opened_at",
            name=op.f("uq_tracking_alerts_lessor_asset_id_code_opened_at"),
        ),
    )
    op.create_index("ix_tracking_alerts_lessor_cleared_at", "tracking_alerts", ["lessor", "cleared_at"])
    op.create_index(
        "ux_tracking_alerts_open",
        "tracking_alerts",
        ["lessor", "asset_id", "code"],
        unique=True,
        sqlite_where=sa.text("cleared_at is null"),
        postgresql_where=sa.text("cleared_at is null"),
    )
    op.create_table(
        "tracking_alert_runs",
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_sha256", sa.String(length=64), nullable=False),
        sa.Column("assets", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("still_open", sa.Integer(), nullable=False),
        sa.Column("cleared", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_tracking_alert_runs_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint("lessor", "as_of", name=op.f("pk_tracking_alert_runs")),
    )


def downgrade() -> None:
    op.drop_table("tracking_alert_runs")
    op.drop_index("ux_tracking_alerts_open", table_name="tracking_alerts")
    op.drop_index("ix_tracking_alerts_lessor_cleared_at", table_name="tracking_alerts")
    op.drop_table("tracking_alerts")
