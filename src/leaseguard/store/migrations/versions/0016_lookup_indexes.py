"""the console's look-ups by index: search by the start of a contract number, a lessee's name or id, a VIN,
serial or invoice number at one lessor; a contract's class changes; a lessee's asset checks (a column of its own)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-16 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# (index, table, columns, the searched column: text_pattern_ops on PostgreSQL so LIKE 'prefix%' uses it)
_SEARCH_INDEXES = (
    ("ix_contracts_lessor_contract_no", "contracts", ["lessor", "contract_no"], "contract_no"),
    ("ix_contracts_lessor_lessee_name", "contracts", ["lessor", "lessee_name", "lessee_id"], "lessee_name"),
    ("ix_contracts_lessor_lessee_id", "contracts", ["lessor", "lessee_id"], "lessee_id"),
    ("ix_assets_lessor_vin", "assets", ["lessor", "vin"], "vin"),
    ("ix_assets_lessor_serial_no", "assets", ["lessor", "serial_no"], "serial_no"),
    ("ix_assets_lessor_invoice_no", "assets", ["lessor", "invoice_no"], "invoice_no"),
)


def upgrade() -> None:
    for name, table, columns, searched in _SEARCH_INDEXES:
        op.create_index(name, table, columns, postgresql_ops={searched: "text_pattern_ops"})
    op.create_index("ix_class_changes_contract_no_as_of", "class_changes", ["contract_no", "as_of"])
    op.add_column("asset_checks", sa.Column("lessee_id", sa.String(64), nullable=True))
    checks = sa.table("asset_checks", sa.column("request", sa.JSON()), sa.column("lessee_id", sa.String(64)))
    # The checks kept so far named their lessee in the request only.
    named = checks.c.request["lessee_id"].as_string()
    op.execute(checks.update().values(lessee_id=sa.func.substr(named, 1, 64)).where(named.is_not(None)))
    op.create_index("ix_asset_checks_lessor_lessee_id", "asset_checks", ["lessor", "lessee_id"])


def downgrade() -> None:
    op.drop_index("ix_asset_checks_lessor_lessee_id", table_name="asset_checks")
    with op.batch_alter_table("asset_checks") as batch:
        batch.drop_column("lessee_id")
    op.drop_index("ix_class_changes_contract_no_as_of", table_name="class_changes")
    for name, table, _columns, _searched in reversed(_SEARCH_INDEXES):
        op.drop_index(name, table_name=table)
