"""enforcement: cases opened on defaulted contracts and the events that move them to recovery

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "enforcement_cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("claim_fen", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_no"],
            ["contracts.contract_no"],
            name=op.f("fk_enforcement_cases_contract_no_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_enforcement_cases_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_cases")),
        sa.UniqueConstraint("contract_no", name=op.f("uq_enforcement_cases_contract_no")),
    )
    op.create_index(op.f("ix_enforcement_cases_lessor"), "enforcement_cases", ["lessor"])
    op.create_table(
        "case_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("recovered_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_cases.id"], name=op.f("fk_case_events_case_id_enforcement_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_events_case_id"), table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_enforcement_cases_lessor"), table_name="enforcement_cases")
    op.drop_table("enforcement_cases")
