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

_decisions = sa.table(
    "funding_decisions",
    sa.column("id", sa.BigInteger()),
    sa.column("screen_asset_id", sa.BigInteger()),
    sa.column("pending", sa.Boolean()),
    sa.column("declined_by", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("funding_decisions") as batch:
        batch.add_column(sa.Column("declined_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("decline_evidence_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Under 0018 a decision that is neither pending nor approved is in effect: a declined decision that still
    # stands on its asset (the newest there) would be funding let through. It goes back to the checker instead,
    # pending as it was before the decline (which stays in the evidence log, kind funding-decline). A declined
    # decision a newer one replaced is superseded under 0018 as it is.
    other = _decisions.alias("newer")
    newest = ~sa.exists(
        sa.select(other.c.id).where(
            other.c.screen_asset_id == _decisions.c.screen_asset_id, other.c.id > _decisions.c.id
        )
    )
    op.execute(
        _decisions.update().where(_decisions.c.declined_by.is_not(None), newest).values(pending=sa.true())
    )
    with op.batch_alter_table("funding_decisions") as batch:
        for column in ("decline_evidence_index", "decline_reason", "declined_at", "declined_by"):
            batch.drop_column(column)
