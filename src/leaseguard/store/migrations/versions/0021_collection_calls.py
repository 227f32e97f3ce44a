"""collectors' calls on contracts and their outcomes, promises to pay among them (the console's /collections)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "collection_calls",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("promise_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_role", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_collection_calls_lessor_lessors")
        ),
        sa.ForeignKeyConstraint(
            ["contract_no"],
            ["contracts.contract_no"],
            name=op.f("fk_collection_calls_contract_no_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_calls")),
    )
    op.create_index(
        "ix_collection_calls_lessor_contract_no_id", "collection_calls", ["lessor", "contract_no", "id"]
    )
    op.create_index("ix_collection_calls_lessor_promise_date", "collection_calls", ["lessor", "promise_date"])


def downgrade() -> None:
    op.drop_index("ix_collection_calls_lessor_promise_date", table_name="collection_calls")
    op.drop_index("ix_collection_calls_lessor_contract_no_id", table_name="collection_calls")
    op.drop_table("collection_calls")
