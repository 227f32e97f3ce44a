"""A small, slow, obviously-correct positions function for the analytics and warning tests — a stand-in for
engineer A's `portfolio.positions.compute_positions` until it lands (the tests prefer A's when it exists).

Rules it follows (those of the shared positions schema): payments fill instalments oldest first, interest
before principal within an instalment; no penalty; DPD counts from the due date of the oldest instalment not
fully paid by as_of.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

import polars as pl

from book_frames import POSITIONS_SCHEMA
from leaseguard.portfolio.schedule import Instalment, build_schedule


@dataclass
class _Contract:
    contract_no: str
    lessor: str
    lessee_id: str
    start_date: dt.date
    principal_fen: int
    periods_per_year: int
    schedule: list[Instalment]
    cumulative_due: list[int]
    payment_dates: list[dt.date]
    cumulative_paid: list[int]
    paid_in_full_on: list[dt.date | None]
    last_positive: list[dt.date | None]  # per payment: the latest day a positive payment was made by then


def _prepare(row: dict[str, object], payments: list[tuple[dt.date, int]]) -> _Contract:
    schedule = build_schedule(
        int(row["principal_fen"]),  # type: ignore[call-overload]
        Decimal(str(row["annual_rate"])),
        int(row["term_months"]),  # type: ignore[call-overload]
        str(row["method"]),
        str(row["frequency"]),
        row["start_date"],  # type: ignore[arg-type]
        int(row["residual_value_fen"] or 0),  # type: ignore[call-overload]
        row.get("first_due_date"),  # type: ignore[arg-type]
    )
    payments.sort(key=lambda p: (p[0], -p[1]))  # a payment before a reversal on the same day
    dates = [day for day, _ in payments]
    paid = list(accumulate(amount for _, amount in payments))
    due = list(accumulate(i.amount_fen for i in schedule))
    # An instalment is paid in full from the first payment after which the running total never again falls
    # below what it needs (a later reversal can take an earlier "paid" back).
    kept = list(paid)
    for k in range(len(kept) - 2, -1, -1):
        kept[k] = min(kept[k], kept[k + 1])
    paid_in_full_on = []
    for needed in due:
        index = bisect.bisect_left(kept, needed)
        paid_in_full_on.append(dates[index] if index < len(kept) else None)
    return _Contract(
        str(row["contract_no"]), str(row["lessor"]), str(row["lessee_id"]), row["start_date"],  # type: ignore[arg-type]
        int(row["principal_fen"]), 12 if row["frequency"] == "monthly" else 4,  # type: ignore[call-overload]
        schedule, due, dates, paid, paid_in_full_on,
        list(accumulate(((d if a > 0 else None) for d, a in payments), lambda x, y: y or x)),
    )  # fmt: skip


def _position(c: _Contract, as_of: dt.date) -> dict[str, object]:
    count = bisect.bisect_right(c.payment_dates, as_of)
    paid_to_date = c.cumulative_paid[count - 1] if count else 0
    paid = max(paid_to_date, 0)
    due_count = sum(1 for i in c.schedule if i.due_date <= as_of)
    due_amount = c.cumulative_due[due_count - 1] if due_count else 0
    overdue = [
        k
        for k in range(due_count)
        if c.paid_in_full_on[k] is None or c.paid_in_full_on[k] > as_of  # type: ignore[operator]
    ]
    principal_repaid = interest_due_unpaid = principal_due_unpaid = 0
    left = paid
    for k, instalment in enumerate(c.schedule):
        interest = min(left, instalment.interest_fen)
        left -= interest
        principal = min(left, instalment.principal_fen + instalment.residual_fen)
        left -= principal
        principal_repaid += principal
        if k < due_count:
            interest_due_unpaid += instalment.interest_fen - interest
            principal_due_unpaid += instalment.principal_fen + instalment.residual_fen - principal
    streak = 0
    for k in range(due_count - 1, -1, -1):
        on = c.paid_in_full_on[k]
        if on is None or on > c.schedule[k].due_date:
            break
        streak += 1
    total = c.cumulative_due[-1]
    if as_of < c.start_date:
        status = "not_started"
    elif paid >= total:
        status = "settled"
    elif due_count == len(c.schedule):
        status = "matured_unpaid"
    else:
        status = "active"
    outstanding = c.principal_fen - principal_repaid
    upcoming = [i.due_date for i in c.schedule if i.due_date > as_of]
    return {
        "contract_no": c.contract_no, "lessor": c.lessor, "lessee_id": c.lessee_id, "as_of": as_of,
        "status": status,
        "dpd": (as_of - c.schedule[overdue[0]].due_date).days if overdue else 0,
        "overdue_amount_fen": max(0, due_amount - paid),
        "overdue_principal_fen": principal_due_unpaid, "overdue_interest_fen": interest_due_unpaid,
        "penalty_due_fen": 0, "outstanding_principal_fen": outstanding,
        "claim_balance_fen": outstanding + interest_due_unpaid, "paid_to_date_fen": paid_to_date,
        "overpaid_fen": max(0, paid - total), "instalments_due": due_count, "instalments_overdue": len(overdue),
        "on_time_streak": streak, "last_paid_date": c.last_positive[count - 1] if count else None,
        "next_due_date": upcoming[0] if upcoming else None, "periods_per_year": c.periods_per_year,
    }  # fmt: skip


def reference_positions(contracts: pl.DataFrame, payments: pl.DataFrame) -> Callable[[dt.date], pl.DataFrame]:
    """`contracts`: the store's contract columns (principal_fen, annual_rate, …); `payments`: contract_no,
    paid_date, amount_fen. Returns positions_at(as_of) in the shared schema."""
    by_contract: dict[str, list[tuple[dt.date, int]]] = {}
    for contract_no, day, amount in payments.select("contract_no", "paid_date", "amount_fen").iter_rows():
        by_contract.setdefault(contract_no, []).append((day, amount))
    prepared = [
        _prepare(row, by_contract.get(row["contract_no"], [])) for row in contracts.iter_rows(named=True)
    ]

    def positions_at(as_of: dt.date) -> pl.DataFrame:
        return pl.DataFrame([_position(c, as_of) for c in prepared], schema=POSITIONS_SCHEMA)

    return positions_at


def read_synth_book(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """contracts and payments of a `leaseguard synth` folder, in the store's column names (amounts in fen)."""

    def fen(column: str) -> pl.Expr:
        return (pl.col(column).cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)

    contracts = pl.read_csv(folder / "contracts.csv", infer_schema=False).select(
        "contract_no", "lessor", "lessee_id", "lessee_type", "industry", "lease_type",
        pl.col("start_date").str.to_date(), pl.col("term_months").cast(pl.Int32),
        fen("principal").alias("principal_fen"), "annual_rate", "method", "frequency",
        fen("residual_value").alias("residual_value_fen"), pl.col("first_due_date").str.to_date(),
    )  # fmt: skip
    payments = pl.read_csv(folder / "payments.csv", infer_schema=False).select(
        "contract_no", pl.col("paid_date").str.to_date(), fen("amount").alias("amount_fen")
    )
    return contracts, payments
