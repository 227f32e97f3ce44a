"""an index of each lessor's evidence records in log order, so the console's /evidence lists a lessor's newest
records by reading them, not by scanning the shared log backwards past every other lessor's

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_evidence_records_lessor_index", "evidence_records", ["lessor", "leaf_index"])


def downgrade() -> None:
    op.drop_index("ix_evidence_records_lessor_index", table_name="evidence_records")
