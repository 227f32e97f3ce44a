"""the daily book: runs, each contract's class and provision per day, and changes of class

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "book_runs",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("rule_set_sha256", sa.String(length=64), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("provisions_fen", sa.BigInteger(), nullable=False),
        sa.Column("general_reserve_fen", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_book_runs")),
    )
    op.create_table(
        "contract_classes",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("outstanding_principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("overdue_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("claim_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.Column("deciding_rule", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("provision_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "contract_no", name=op.f("pk_contract_classes")),
    )
    op.create_table(
        "class_changes",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("from_class", sa.String(length=16), nullable=True),
        sa.Column("to_class", sa.String(length=16), nullable=False),
        sa.Column("deciding_rule", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "contract_no", name=op.f("pk_class_changes")),
    )


def downgrade() -> None:
    op.drop_table("class_changes")
    op.drop_table("contract_classes")
    op.drop_table("book_runs")
