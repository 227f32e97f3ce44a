"""Positions frames in the shared schema of issue 5, built by hand for the analytics and warning tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

POSITIONS_SCHEMA: dict[str, Any] = {
    "contract_no": pl.String,
    "lessor": pl.String,
    "lessee_id": pl.String,
    "as_of": pl.Date,
    "status": pl.String,
    "dpd": pl.Int32,
    "overdue_amount_fen": pl.Int64,
    "overdue_principal_fen": pl.Int64,
    "overdue_interest_fen": pl.Int64,
    "penalty_due_fen": pl.Int64,
    "outstanding_principal_fen": pl.Int64,
    "claim_balance_fen": pl.Int64,
    "paid_to_date_fen": pl.Int64,
    "overpaid_fen": pl.Int64,
    "instalments_due": pl.Int32,
    "instalments_overdue": pl.Int32,
    "on_time_streak": pl.Int32,
    "last_paid_date": pl.Date,
    "next_due_date": pl.Date,
    "periods_per_year": pl.Int32,
}

DEFAULTS: dict[str, Any] = {
    "lessor": "L001",
    "status": "active",
    "dpd": 0,
    "overdue_amount_fen": 0,
    "overdue_principal_fen": 0,
    "overdue_interest_fen": 0,
    "penalty_due_fen": 0,
    "outstanding_principal_fen": 100_000,
    "paid_to_date_fen": 0,
    "overpaid_fen": 0,
    "instalments_due": 1,
    "instalments_overdue": 0,
    "on_time_streak": 1,
    "last_paid_date": None,
    "next_due_date": None,
    "periods_per_year": 12,
}


def positions(as_of: dt.date, *rows: dict[str, Any]) -> pl.DataFrame:
    """One as_of of positions; each row names contract_no and what differs from DEFAULTS. lessee_id
    defaults to "P-" + contract_no, claim_balance_fen to outstanding principal + overdue interest + penalty."""
    filled = []
    for row in rows:
        values = {**DEFAULTS, "lessee_id": "P-" + row["contract_no"], **row, "as_of": as_of}
        values.setdefault(
            "claim_balance_fen",
            values["outstanding_principal_fen"] + values["overdue_interest_fen"] + values["penalty_due_fen"],
        )
        filled.append(values)
    return pl.DataFrame(filled, schema=POSITIONS_SCHEMA)
