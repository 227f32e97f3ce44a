"""lessors keep the extra columns of lessors.csv (and the party details `lessors add` records) as JSON

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lessors") as batch:
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lessors") as batch:
        batch.drop_column("extra")
