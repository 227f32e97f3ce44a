"""The book engine's compiled loops (numba): each contract's instalments in turn (`instalments.schedules`) and one
pass over each contract's payments in order (`allocation`; penalty makes allocation depend on the path of
payments). Kept apart so that only a process that computes a book imports numba (about 0.3 s of start-up, which
every process serving the API paid); `instalments` and `allocation` import this module where they call it."""

from __future__ import annotations

import numba
import numpy as np

from leaseguard.portfolio.allocation import MICRO, NEVER
from leaseguard.portfolio.instalments import RATE_SCALE


# nogil: the compiled loops touch arrays only. Holding the interpreter lock, allocating a million contracts'
# payments stopped a server's pages and a daily-run job's heartbeat for about 3 s (bench_console).
@numba.njit(cache=True, nogil=True)
def allocate_contract(
    first: int,
    stop: int,
    payment_begin: int,
    payment_end: int,
    due_day: np.ndarray,
    amount: np.ndarray,
    cumulative_due: np.ndarray,
    paid_day: np.ndarray,
    paid_amount: np.ndarray,
    rate_micro: int,
    penalty_first: bool,
    rent: np.ndarray,
    penalty_paid: np.ndarray,
    balance_after: np.ndarray,
    cumulative_rent: np.ndarray,
    seq: np.ndarray,
    accrued: np.ndarray,
) -> None:
    """One contract's payments, in order. `accrued`, when not empty, gains the penalty accrued on each
    instalment (millionths of a fen); the book's pass leaves it empty and pays nothing for it."""
    track = accrued.size > 0
    rent_paid = 0
    balance = 0  # penalty owed, in millionths of a fen
    last_day = -(2**40)
    oldest = first  # the oldest instalment not fully paid
    for payment in range(payment_begin, payment_end):
        day = paid_day[payment]
        if rate_micro > 0:
            for i in range(oldest, stop):
                if due_day[i] >= day:
                    break
                unpaid = min(cumulative_due[i] - rent_paid, amount[i])
                if unpaid > 0:
                    part = unpaid * rate_micro * (day - max(due_day[i], last_day))
                    balance += part
                    if track:
                        accrued[i] += part
        owed_penalty = (balance + MICRO // 2) // MICRO
        value = paid_amount[payment]
        to_penalty = 0
        if value > 0:
            if penalty_first:
                to_penalty = min(value, owed_penalty)
            else:
                rent_due = 0
                for i in range(stop - 1, first - 1, -1):
                    if due_day[i] <= day:
                        rent_due = max(cumulative_due[i] - rent_paid, 0)
                        break
                to_penalty = min(value - min(value, rent_due), owed_penalty)
        balance = max(balance - to_penalty * MICRO, 0)
        rent_paid += value - to_penalty
        rent[payment] = value - to_penalty
        penalty_paid[payment] = to_penalty
        balance_after[payment] = balance
        last_day = day
        cumulative_rent[payment] = rent_paid
        seq[payment] = payment - payment_begin
        while oldest < stop and cumulative_due[oldest] <= rent_paid:
            oldest += 1
        if value < 0:
            oldest = first  # a reversal can reopen paid instalments
            while oldest < stop and cumulative_due[oldest] <= rent_paid:
                oldest += 1


@numba.njit(cache=True, nogil=True)
def allocate_all(
    instalment_start: np.ndarray,
    instalment_stop: np.ndarray,
    payment_start: np.ndarray,
    payment_stop: np.ndarray,
    due_day: np.ndarray,
    amount: np.ndarray,
    cumulative_due: np.ndarray,
    paid_day: np.ndarray,
    paid_amount: np.ndarray,
    rate_micro: int,
    penalty_first: bool,
    rent: np.ndarray,
    penalty_paid: np.ndarray,
    balance_after: np.ndarray,
    cumulative_rent: np.ndarray,
    seq: np.ndarray,
    paid_in_full_day: np.ndarray,
) -> None:
    scratch = np.empty(paid_amount.size, dtype=np.int64)
    untracked = np.empty(0, dtype=np.int64)
    for contract in range(instalment_start.size):
        first, stop = instalment_start[contract], instalment_stop[contract]
        begin, end = payment_start[contract], payment_stop[contract]
        allocate_contract(
            first, stop, begin, end, due_day, amount, cumulative_due, paid_day, paid_amount, rate_micro,
            penalty_first, rent, penalty_paid, balance_after, cumulative_rent, seq, untracked,
        )  # fmt: skip
        # An instalment is paid in full from the first payment after which rent paid never again falls
        # below its cumulative amount due (a later reversal takes an earlier "paid" back).
        kept = scratch[begin:end]
        kept[:] = cumulative_rent[begin:end]
        for j in range(kept.size - 2, -1, -1):
            kept[j] = min(kept[j], kept[j + 1])
        j = 0
        for i in range(first, stop):
            while j < kept.size and kept[j] < cumulative_due[i]:
                j += 1
            paid_in_full_day[i] = paid_day[begin + j] if j < kept.size else NEVER


# nogil: array work only; a server's other threads run meanwhile (a million contracts' amounts: about 3 s).
@numba.njit(cache=True, nogil=True)
def fill_amounts(
    principal: np.ndarray,
    rate_months: np.ndarray,
    periods: np.ndarray,
    residual_value: np.ndarray,
    regular: np.ndarray,
    equal_principal: np.ndarray,
    first_interest: np.ndarray,
    offset: np.ndarray,
    wanted: np.ndarray,
    months_per_period: np.ndarray,
    month_table: np.ndarray,
    table_row: np.ndarray,
    contract_of: np.ndarray,
    number: np.ndarray,
    due_day: np.ndarray,
    principal_part: np.ndarray,
    interest: np.ndarray,
    residual: np.ndarray,
) -> None:
    """Each contract's instalments in turn, as `portfolio.schedule.build_schedule` computes them."""
    denominator = 12 * RATE_SCALE
    for contract in range(principal.size):
        outstanding = principal[contract]
        for k in range(1, wanted[contract] + 1):
            at = offset[contract] + k - 1
            contract_of[at] = contract
            number[at] = k
            due_day[at] = month_table[table_row[contract] + k * months_per_period[contract]]
            # Interest = outstanding × annual rate × months / 12, rounded half up: exact in 64-bit integers.
            period_interest = (2 * outstanding * rate_months[contract] + denominator) // (2 * denominator)
            if k == periods[contract]:
                repaid, paid_residual = outstanding - residual_value[contract], residual_value[contract]
            elif equal_principal[contract]:
                repaid, paid_residual = regular[contract], 0
            else:
                repaid, paid_residual = regular[contract] - period_interest, 0
            if k == 1 and first_interest[contract] >= 0:
                period_interest = first_interest[contract]  # a stub: its own days' interest, same principal
            principal_part[at] = repaid
            interest[at] = period_interest
            residual[at] = paid_residual
            outstanding -= repaid + paid_residual
