"""background jobs (a lessor's daily runs started from the console or the API, with their progress), and the
indexes the console's /book pages through a lessor's classified day with (all, or one class, in contract order)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exclusive", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_jobs_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("exclusive", name=op.f("uq_jobs_exclusive")),
    )
    op.create_index("ix_jobs_lessor_id", "jobs", ["lessor", "id"])
    op.create_index(
        "ix_contract_classes_as_of_lessor_contract_no", "contract_classes", ["as_of", "lessor", "contract_no"]
    )
    op.create_index(
        "ix_contract_classes_as_of_lessor_class_contract_no",
        "contract_classes",
        ["as_of", "lessor", "class", "contract_no"],
    )


def downgrade() -> None:
    op.drop_index("ix_contract_classes_as_of_lessor_class_contract_no", table_name="contract_classes")
    op.drop_index("ix_contract_classes_as_of_lessor_contract_no", table_name="contract_classes")
    op.drop_index("ix_jobs_lessor_id", table_name="jobs")
    op.drop_table("jobs")
