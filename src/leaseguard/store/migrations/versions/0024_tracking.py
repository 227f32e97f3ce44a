"""JT/T 808 tracking: terminals bound to assets (trackers.csv), registered terminals and their auth codes,
positions of bound terminals, the last position per asset and terminal, and the reports of unbound terminals

Positions are one plain table on both engines, pruned by day (`leaseguard tracking prune`), not a partitioned
one on PostgreSQL: see docs/tracking.md ("Terminals, bindings and positions") for why.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _report_columns() -> list[sa.Column[object]]:
    """The fields of one report, as tracking_positions and unbound_reports both keep them."""
    return [
        sa.Column("latitude_e6", sa.Integer(), nullable=False),
        sa.Column("longitude_e6", sa.Integer(), nullable=False),
        sa.Column("altitude_m", sa.Integer(), nullable=False),
        sa.Column("speed_dkmh", sa.Integer(), nullable=False),
        sa.Column("direction", sa.SmallInteger(), nullable=False),
        sa.Column("alarm_word", sa.BigInteger(), nullable=False),
        sa.Column("status_word", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "trackers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_phone", sa.String(length=20), nullable=False),
        sa.Column("terminal_id", sa.String(length=30), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_trackers_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trackers")),
        sa.UniqueConstraint(
            "lessor", "asset_id", "terminal_phone", name=op.f("uq_trackers_lessor_asset_id_terminal_phone")
        ),
    )
    op.create_index("ix_trackers_terminal_phone", "trackers", ["terminal_phone"])
    op.create_index(
        "ux_trackers_terminal_phone_bound",
        "trackers",
        ["terminal_phone"],
        unique=True,
        sqlite_where=sa.text("removed_on is null"),
        postgresql_where=sa.text("removed_on is null"),
    )
    op.create_table(
        "tracking_terminals",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("auth_code", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=30), nullable=True),
        sa.Column("manufacturer", sa.String(length=30), nullable=True),
        sa.Column("model", sa.String(length=30), nullable=True),
        sa.Column("plate", sa.String(length=32), nullable=True),
        sa.Column("version", sa.String(length=8), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_tracking_terminals")),
    )
    op.create_table(
        "tracking_positions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_phone", sa.String(length=20), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_report_columns(),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.Column("supplement", sa.Boolean(), nullable=False),
        sa.Column("msg_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_tracking_positions_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_positions")),
    )
    op.create_index(
        "ix_tracking_positions_lessor_asset_id_fix_time",
        "tracking_positions",
        ["lessor", "asset_id", "fix_time"],
    )
    op.create_index("ix_tracking_positions_day", "tracking_positions", ["day"])
    op.create_table(
        "tracking_last_positions",
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_phone", sa.String(length=20), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        *_report_columns(),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_tracking_last_positions_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint(
            "lessor", "asset_id", "terminal_phone", name=op.f("pk_tracking_last_positions")
        ),
    )
    op.create_table(
        "unbound_reports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_report_columns(),
        sa.Column("supplement", sa.Boolean(), nullable=False),
        sa.Column("msg_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unbound_reports")),
    )
    op.create_index("ix_unbound_reports_phone_received_at", "unbound_reports", ["phone", "received_at"])
    op.create_index("ix_unbound_reports_day", "unbound_reports", ["day"])


def downgrade() -> None:
    op.drop_index("ix_unbound_reports_day", table_name="unbound_reports")
    op.drop_index("ix_unbound_reports_phone_received_at", table_name="unbound_reports")
    op.drop_table("unbound_reports")
    op.drop_table("tracking_last_positions")
    op.drop_index("ix_tracking_positions_day", table_name="tracking_positions")
    op.drop_index("ix_tracking_positions_lessor_asset_id_fix_time", table_name="tracking_positions")
    op.drop_table("tracking_positions")
    op.drop_table("tracking_terminals")
    op.drop_index("ux_trackers_terminal_phone_bound", table_name="trackers")
    op.drop_index("ix_trackers_terminal_phone", table_name="trackers")
    op.drop_table("trackers")
