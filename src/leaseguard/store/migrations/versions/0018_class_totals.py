"""each run day's totals per lessor and class (contracts, claim balance, provisions), written by the daily run
with its classes, so the console's overview reads a few rows on a book of a million contracts; the days already
run are summed from their classes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_totals",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("claim_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("provision_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "lessor", "class", name=op.f("pk_class_totals")),
    )
    op.execute(
        "insert into class_totals (as_of, lessor, class, contracts, claim_balance_fen, provision_fen) "
        "select as_of, lessor, class, count(*), coalesce(sum(claim_balance_fen), 0), "
        "coalesce(sum(provision_fen), 0) from contract_classes group by as_of, lessor, class"
    )


def downgrade() -> None:
    op.drop_table("class_totals")
