"""a checker may decline (驳回) a pending funding decision with a reason: who, when, why and its evidence record

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("funding_decisions") as batch:
        batch.add_column(sa.Column("declined_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("decline_evidence_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("funding_decisions") as batch:
        for column in ("decline_evidence_index", "decline_reason", "declined_at", "declined_by"):
            batch.drop_column(column)
