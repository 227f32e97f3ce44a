"""demands (notices) and documents of contracts and assets, for the case files

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("addressee", sa.String(length=128), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_notices_lessor_lessors")),
        sa.ForeignKeyConstraint(
            ["contract_no"], ["contracts.contract_no"], name=op.f("fk_notices_contract_no_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint(
            "lessor",
            "contract_no",
            "kind",
            "addressee",
            "sent_on",
            name=op.f("uq_notices_lessor_contract_no_kind_addressee_sent_on"),
        ),
    )
    op.create_index(op.f("ix_notices_lessor"), "notices", ["lessor"])
    op.create_index(op.f("ix_notices_contract_no"), "notices", ["contract_no"])
    op.create_table(
        "documents",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lessor", sa.String(length=32), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("evidence_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["lessor"], ["lessors.code"], name=op.f("fk_documents_lessor_lessors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "lessor",
            "contract_no",
            "asset_id",
            "kind",
            "sha256",
            name=op.f("uq_documents_lessor_contract_no_asset_id_kind_sha256"),
        ),
    )
    op.create_index(op.f("ix_documents_lessor"), "documents", ["lessor"])
    op.create_index(op.f("ix_documents_contract_no"), "documents", ["contract_no"])


def downgrade() -> None:
    op.drop_table("documents")
    op.drop_table("notices")
