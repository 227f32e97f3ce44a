"""case ledgers take corrections: an entry may name the one it corrects (and why), and one that withdraws a
step records no stage

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("stage", existing_type=sa.String(length=16), nullable=True)
        batch.add_column(sa.Column("corrects", _ID, nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_case_events_corrects_case_events"), "case_events", ["corrects"], ["id"]
        )
        batch.create_unique_constraint(batch.f("uq_case_events_corrects"), ["corrects"])


def downgrade() -> None:
    # Without the links a corrected step would count again: going back is refused while any ledger has one.
    corrected = op.get_bind().execute(sa.text("select count(*) from case_events where corrects is not null"))
    if corrected.scalar_one():
        raise RuntimeError("case_events holds corrections: the schema cannot go back below 0013 without them")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_constraint(batch.f("uq_case_events_corrects"), type_="unique")
        batch.drop_constraint(batch.f("fk_case_events_corrects_case_events"), type_="foreignkey")
        batch.drop_column("reason")
        batch.drop_column("corrects")
        batch.alter_column("stage", existing_type=sa.String(length=16), nullable=False)
