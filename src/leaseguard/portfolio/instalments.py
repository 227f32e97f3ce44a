"""Rent schedules of a whole book at once, in integer fen, agreeing to the fen with
`leaseguard.portfolio.schedule.build_schedule` (same conventions, computed column-wise)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from leaseguard.portfolio.schedule import annuity_payment_fen

RATE_SCALE = 10_000  # annual rates are held as integers of 0.01 %: 0.0655 -> 655


@dataclass(frozen=True)
class InstalmentColumns:
    """One entry per instalment, grouped by contract in contract order and numbered 1, 2, … within it."""

    contract: np.ndarray  # row of the contract
    number: np.ndarray
    due_date: np.ndarray  # datetime64[D]
    principal_fen: np.ndarray
    interest_fen: np.ndarray
    residual_fen: np.ndarray
    amount_fen: np.ndarray


def add_months(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Dates moved by whole months; a day the target month lacks becomes that month's last day."""
    start_month = start.astype("datetime64[M]")
    day = (start - start_month.astype("datetime64[D]")).astype(np.int64)
    target = start_month + months.astype("timedelta64[M]")
    days_in_month = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day, days_in_month - 1).astype("timedelta64[D]")


def _month_table(start: np.ndarray, widest: int) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of add_months(s, m) for every distinct start date s and m in 0..widest-1 (a row per start
    date), and each contract's row: a book has few distinct start dates, so its millions of due dates are
    looked up rather than computed one by one."""
    starts, start_index = np.unique(start, return_inverse=True)
    table = add_months(np.repeat(starts, widest), np.tile(np.arange(widest), len(starts)))
    return table.astype(np.int64), start_index.astype(np.int64) * widest


def instalments_due_by(
    start: np.ndarray, months_per_period: np.ndarray, periods: np.ndarray, through: np.datetime64
) -> np.ndarray:
    """How many instalments of each contract fall due on or before `through`."""
    months = (through.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)
    count = np.clip(months // months_per_period, 0, periods)
    too_late = add_months(start, count * months_per_period) > through
    return np.where(too_late & (count > 0), count - 1, count)


def annuity_payments(
    principal: np.ndarray,
    rate_e4: np.ndarray,
    months_per_period: np.ndarray,
    periods: np.ndarray,
    residual: np.ndarray,
) -> np.ndarray:
    """The level instalment of each contract as an annuity, rounded half up to the fen exactly.

    Floating point decides every contract whose exact value is not within a hair of half a fen; those few
    are recomputed with exact fractions, so the result never depends on binary rounding.
    """
    rate = rate_e4 * months_per_period / (12 * RATE_SCALE)
    growth = (1 + rate) ** periods
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(
            rate > 0, (principal * growth - residual) * rate / (growth - 1), (principal - residual) / periods
        )
    payment = np.floor(exact + 0.5).astype(np.int64)
    doubtful = np.abs(exact - np.floor(exact) - 0.5) <= 1e-12 * np.abs(exact) + 1e-6
    for row in np.flatnonzero(doubtful).tolist():
        periodic = Fraction(int(rate_e4[row]) * int(months_per_period[row]), 12 * RATE_SCALE)
        payment[row] = annuity_payment_fen(
            int(principal[row]), periodic, int(periods[row]), int(residual[row])
        )
    return payment


def schedules(
    start: np.ndarray,
    term_months: np.ndarray,
    months_per_period: np.ndarray,
    equal_principal: np.ndarray,
    principal_fen: np.ndarray,
    rate_e4: np.ndarray,
    residual_fen: np.ndarray,
    through: np.datetime64 | None = None,
    first_due: np.ndarray | None = None,
) -> InstalmentColumns:
    """The instalments of every contract, or only those due on or before `through`.

    `first_due` (datetime64[D], NaT where none) gives a first-period stub: the first instalment falls due then
    and charges interest for the stub's actual days / 360; see `portfolio.schedule`. Its numerator is held in
    64-bit integers, so a stub's principal must stay below 10^12 fen."""
    stub = np.zeros(len(start), dtype=bool) if first_due is None else ~np.isnat(first_due)
    if np.any(stub & (principal_fen >= 10**12)):
        raise ValueError("a first-period stub on a principal of 10^12 fen or more: use build_schedule")
    periods = term_months // months_per_period
    wanted = periods if through is None else instalments_due_by(start, months_per_period, periods, through)
    if through is not None and stub.any():
        # Instalment k of a stubbed contract falls due k - 1 periods after its first due date.
        first = first_due[stub]  # type: ignore[index]
        later = instalments_due_by(first, months_per_period[stub], periods[stub] - 1, through)
        wanted = wanted.copy()
        wanted[stub] = np.where(first <= through, 1 + later, 0)
    level = annuity_payments(principal_fen, rate_e4, months_per_period, periods, residual_fen)
    equal_part = (2 * (principal_fen - residual_fen) + periods) // (2 * periods)
    offset = np.cumsum(wanted) - wanted
    total = int(wanted.sum())
    contract = np.empty(total, dtype=np.int64)
    number = np.empty(total, dtype=np.int64)
    due_day = np.empty(total, dtype=np.int64)
    widest = int((wanted * months_per_period).max(initial=0)) + 1
    month_table, table_row = _month_table(start, widest)
    principal_part = np.zeros(total, dtype=np.int64)
    interest = np.zeros(total, dtype=np.int64)
    residual = np.zeros(total, dtype=np.int64)
    first_interest = np.full(len(start), -1, dtype=np.int64)  # -1: a regular first period
    if stub.any():
        rows = np.flatnonzero(stub)
        days = (first_due[rows] - start[rows]).astype(np.int64)  # type: ignore[index]
        stub_denominator = 360 * RATE_SCALE
        first_interest[rows] = (
            2 * principal_fen[rows].astype(np.int64) * rate_e4[rows] * days + stub_denominator
        ) // (2 * stub_denominator)
    from leaseguard.portfolio.compiled import fill_amounts

    fill_amounts(
        principal_fen.astype(np.int64),
        (rate_e4 * months_per_period).astype(np.int64),
        periods.astype(np.int64),
        residual_fen.astype(np.int64),
        np.where(equal_principal, equal_part, level).astype(np.int64),
        equal_principal.astype(np.bool_),
        first_interest,
        offset.astype(np.int64),
        wanted.astype(np.int64),
        months_per_period.astype(np.int64),
        month_table,
        table_row,
        contract,
        number,
        due_day,
        principal_part,
        interest,
        residual,
    )
    due_date = due_day.astype("datetime64[D]")
    if stub.any():
        stubbed_rows = stub[contract]
        due_date[stubbed_rows] = add_months(
            first_due[contract][stubbed_rows],  # type: ignore[index]
            (number[stubbed_rows] - 1) * months_per_period[contract][stubbed_rows],
        )
    return InstalmentColumns(
        contract=contract,
        number=number,
        due_date=due_date,
        principal_fen=principal_part,
        interest_fen=interest,
        residual_fen=residual,
        amount_fen=principal_part + interest + residual,
    )
