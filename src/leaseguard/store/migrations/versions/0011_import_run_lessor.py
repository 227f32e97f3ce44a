"""import runs name the one lessor whose rows a file held, so a tenant sees only its own files' runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(sa.Column("lessor", sa.String(32), nullable=True))
        batch.create_index("ix_import_runs_lessor", ["lessor"])


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_index("ix_import_runs_lessor")
        batch.drop_column("lessor")
