"""How lessees pay: each contract's instalments due by the book date are paid on time, early, late, in two
parts, or stop at a default, as the contract's latent risk has it; the defaults become the outcome labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from leaseguard.portfolio.instalments import schedules
from leaseguard.synth.contracts import Book, days
from leaseguard.synth.parameters import SynthParameters


@dataclass(frozen=True)
class PaymentColumns:
    contract: np.ndarray  # row of the contract in the book
    paid_date: np.ndarray
    amount_fen: np.ndarray


@dataclass(frozen=True)
class Outcomes:
    latent_risk: np.ndarray  # probability of defaulting at some point of the lease
    defaulted: np.ndarray  # stopped paying on or before the book date
    first_missed_due_date: np.ndarray  # datetime64[D]; NaT where not defaulted
    restructured_date: np.ndarray  # datetime64[D]; NaT where not restructured


def simulate_payments(
    rng: np.random.Generator, book: Book, parameters: SynthParameters, as_of: dt.date
) -> tuple[PaymentColumns, Outcomes]:
    p = parameters
    book_date = np.datetime64(as_of, "D")
    latent_risk = 1 / (1 + np.exp(-book["risk_logit"]))
    count = len(latent_risk)
    periods = book["term_months"] // book["months_per_period"]
    due = schedules(
        book["start_date"],
        book["term_months"],
        book["months_per_period"],
        book["equal_principal"],
        book["principal_fen"],
        book["rate_e4"],
        book["residual_value_fen"],
        through=book_date,
        first_due=book.get("first_due_date"),
    )
    will_default = rng.random(count) < latent_risk
    # Defaults cluster in the first half of a lease, when the lessee's cash is tightest.
    default_at = np.where(
        will_default, 1 + np.floor(periods * rng.beta(1.3, 2.2, count)).astype(np.int64), periods + 1
    )

    contract = due.contract
    n = len(contract)
    risk = latent_risk[contract]
    stopped_at = default_at[contract]
    # Most defaulters are worked out: some months after the first missed rent they clear the arrears (a
    # restructuring, a guarantor, the asset's sale) and pay on; the rest stay in arrears. Drawn from a stream
    # of their own, so the rest of the book is the same with or without the work-out.
    workout = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # type: ignore[attr-defined]
    cures = will_default & (workout.random(count) < p.cure_share)
    low, high = p.cure_after_months
    cure_lag = workout.integers(low * 30, high * 30 + 1, count)
    first_missed_due = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    at_stop = due.number == stopped_at
    first_missed_due[contract[at_stop]] = due.due_date[at_stop]
    cure_on = np.where(cures, first_missed_due + days(cure_lag), np.datetime64("NaT"))
    cured_row = cures[contract]
    after_cure = cured_row & (due.due_date >= cure_on[contract])
    caught_up = cured_row & (due.number >= stopped_at) & (due.due_date < cure_on[contract])
    full = (due.number < stopped_at) | after_cure
    partial = (due.number == stopped_at) & (rng.random(n) < p.last_partial_share)
    late = rng.random(n) < p.late_share[0] + p.late_share[1] * risk
    delay = np.where(
        late,
        1 + rng.exponential(5 + 40 * risk),
        np.where(rng.random(n) < 0.6, 0, -rng.integers(1, 6, n)),
    ).astype(np.int64)
    paid_on = due.due_date + days(delay)
    split = full & (rng.random(n) < p.split_payment_share)
    # A first part in whole yuan, the rest a few days later; a defaulter's last payment is a part only.
    share = rng.uniform(0.2, 0.7, n)
    first_part = np.maximum(100, (due.amount_fen * share // 100).astype(np.int64) * 100)
    first_amount = np.where(split | partial, np.minimum(first_part, due.amount_fen), due.amount_fen)
    pays = full | partial
    second = split & (first_amount < due.amount_fen)
    rows = np.concatenate([np.flatnonzero(pays), np.flatnonzero(second)])
    dates = np.concatenate([paid_on[pays], paid_on[second] + days(rng.integers(3, 26, int(second.sum())))])
    amounts = np.concatenate([first_amount[pays], (due.amount_fen - first_amount)[second]])
    # The arrears of a worked-out default, paid on the day it is worked out (less what was paid in part).
    owed = np.where(partial & ~after_cure, due.amount_fen - first_amount, due.amount_fen)
    catch_up = caught_up & (owed > 0)
    rows = np.concatenate([rows, np.flatnonzero(catch_up)])
    dates = np.concatenate([dates, cure_on[contract][catch_up]])
    amounts = np.concatenate([amounts, owed[catch_up]])
    # A few payments bounce: reversed (a negative payment) a few days later, then paid again.
    bounced = rng.random(len(rows)) < p.reversal_share
    reversed_on = dates[bounced] + days(rng.integers(1, 6, int(bounced.sum())))
    repaid_on = reversed_on + days(rng.integers(3, 11, int(bounced.sum())))
    rows = np.concatenate([rows, rows[bounced], rows[bounced]])
    dates = np.concatenate([dates, reversed_on, repaid_on])
    amounts = np.concatenate([amounts, -amounts[bounced], amounts[bounced]])
    kept = dates <= book_date
    # By contract, then day, a payment before a reversal on the same day.
    order = np.lexsort((-amounts[kept], dates[kept], contract[rows[kept]]))
    payments = PaymentColumns(
        contract=contract[rows[kept]][order], paid_date=dates[kept][order], amount_fen=amounts[kept][order]
    )

    missed = due.number == stopped_at
    defaulted = np.zeros(count, dtype=bool)
    defaulted[contract[missed]] = True
    first_missed = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    first_missed[contract[missed]] = due.due_date[missed]
    restructured = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    chosen = defaulted & (rng.random(count) < p.restructured_share)
    restructured[chosen] = first_missed[chosen] + days(rng.integers(30, 151, int(chosen.sum())))
    restructured[restructured > book_date] = np.datetime64("NaT")
    return payments, Outcomes(latent_risk, defaulted, first_missed, restructured)
