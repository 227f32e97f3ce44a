"""the daily book's terms: a first-period stub, the restructuring date, irregular schedules imported as given

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("first_due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("restructured_date", sa.Date(), nullable=True))
    op.create_table(
        "schedule_lines",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_no"], ["contracts.contract_no"], name=op.f("fk_schedule_lines_contract_no_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_lines")),
        sa.UniqueConstraint("contract_no", "number", name=op.f("uq_schedule_lines_contract_no_number")),
    )


def downgrade() -> None:
    op.drop_table("schedule_lines")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("restructured_date")
        batch.drop_column("first_due_date")
