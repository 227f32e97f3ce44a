"""evidence log: state row, records (leaves), perfect-subtree nodes, signed checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evidence_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_log")),
    )
    op.create_table(
        "evidence_records",
        sa.Column("leaf_index", BigId, autoincrement=False, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lessor"], ["lessors.code"], name=op.f("fk_evidence_records_lessor_lessors")
        ),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_evidence_records")),
    )
    op.create_index("ix_evidence_records_lessor_ref", "evidence_records", ["lessor", "ref"], unique=False)
    op.create_table(
        "evidence_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name=op.f("pk_evidence_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "evidence_checkpoints",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_checkpoints")),
    )
    op.create_index(
        op.f("ix_evidence_checkpoints_tree_size"), "evidence_checkpoints", ["tree_size"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_checkpoints_tree_size"), table_name="evidence_checkpoints")
    op.drop_table("evidence_checkpoints")
    op.drop_table("evidence_nodes")
    op.drop_index("ix_evidence_records_lessor_ref", table_name="evidence_records")
    op.drop_table("evidence_records")
    op.drop_table("evidence_log")
