"""Where every contract stands on a day: what is due, paid, overdue and outstanding, for the whole book at once.

Conventions (those of the shared positions schema, docs/book.md):
- instalments come from the contract terms (`portfolio.schedule`, computed column-wise and exact to the fen,
  one by one for a first-period stub), or from an irregular schedule imported as given (`schedule_lines`);
- payments pay penalty, interest and principal in the order `portfolio.allocation` is set to, instalments
  oldest first (the residual value counts as principal); penalty interest accrues daily on overdue rent when a
  rate is set; a negative payment reverses rent paid;
- days past due count from the due date of the oldest instalment not fully paid by `as_of`;
- an instalment was paid on time when the payments had covered it by its due date and no later reversal took
  that back.

The schedule of the book is built once (`BookPositions`), then positions for as many days as wanted are cheap
column operations over it, so history can be rebuilt day by day. Pure: frames in, frames out; the store's reads
of the book are `portfolio.book_store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from leaseguard.portfolio.allocation import (
    MICRO,
    NEVER,
    Allocation,
    ContractState,
    allocate_payments,
    contract_state,
)
from leaseguard.portfolio.instalments import RATE_SCALE, schedules
from leaseguard.portfolio.schedule import MONTHS_PER_PERIOD, build_schedule

if TYPE_CHECKING:
    from sqlalchemy import Engine

POSITION_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
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

CONTRACT_COLUMNS = (
    "contract_no",
    "lessor",
    "lessee_id",
    "start_date",
    "term_months",
    "principal_fen",
    "annual_rate",
    "method",
    "frequency",
    "residual_value_fen",
)
# Read when present; a frame without them has no stub and no deposit.
OPTIONAL_CONTRACT_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "first_due_date": pl.Date,
    "deposit_fen": pl.Int64,
}
SCHEDULE_LINE_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "contract_no": pl.String,
    "number": pl.Int32,
    "due_date": pl.Date,
    "principal_fen": pl.Int64,
    "interest_fen": pl.Int64,
}


_INSTALMENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "contract": pl.Int64,
    "number": pl.Int32,
    "due_date": pl.Date,
    "principal_fen": pl.Int64,
    "interest_fen": pl.Int64,
}


def contract_instalments(contracts: pl.DataFrame, schedule_lines: pl.DataFrame) -> pl.DataFrame:
    """Every contract's instalments: contract (the contracts' `contract` id), number, due_date, principal_fen
    (residual included), interest_fen, amount_fen, cumulative_due_fen — imported lines where a contract has
    them, else from its terms: column-wise where the rate is a whole number of 0.01 %, else one by one."""
    imported = (
        schedule_lines.join(contracts.select("contract_no", "contract"), on="contract_no", how="inner")
        .select(*_INSTALMENT_SCHEMA)
        .cast(_INSTALMENT_SCHEMA)  # type: ignore[arg-type]
    )
    has_lines = contracts["contract"].is_in(imported["contract"].unique().implode()).to_numpy()
    first_due = (
        contracts["first_due_date"].is_not_null().to_numpy()
        if "first_due_date" in contracts.columns
        else np.zeros(contracts.height, dtype=bool)
    )
    rates = [Decimal(rate) for rate in contracts["annual_rate"].to_list()]
    scaled = [rate * RATE_SCALE for rate in rates]
    whole_rate = np.array([value == value.to_integral_value() for value in scaled], dtype=bool)
    first_due_dates = (
        contracts["first_due_date"].to_numpy().astype("datetime64[D]")
        if "first_due_date" in contracts.columns
        else np.full(contracts.height, np.datetime64("NaT"), dtype="datetime64[D]")
    )
    huge_stub = first_due & (contracts["principal_fen"].to_numpy() >= 10**12)
    columnar = whole_rate & ~huge_stub & ~has_lines
    months = np.array([MONTHS_PER_PERIOD[f] for f in contracts["frequency"].to_list()], dtype=np.int64)
    ids = contracts["contract"].to_numpy()
    rows = np.flatnonzero(columnar)
    built = schedules(
        start=contracts["start_date"].to_numpy()[rows].astype("datetime64[D]"),
        term_months=contracts["term_months"].to_numpy()[rows],
        months_per_period=months[rows],
        equal_principal=(contracts["method"] == "equal_principal").to_numpy()[rows],
        principal_fen=contracts["principal_fen"].to_numpy()[rows],
        rate_e4=np.array([int(scaled[r]) for r in rows], dtype=np.int64),
        residual_fen=contracts["residual_value_fen"].to_numpy()[rows],
        first_due=first_due_dates[rows],
    )
    frames = [
        pl.DataFrame(
            {
                "contract": ids[rows[built.contract]].astype(np.int64),
                "number": built.number.astype(np.int32),
                "due_date": built.due_date,
                "principal_fen": built.principal_fen + built.residual_fen,
                "interest_fen": built.interest_fen,
            }
        ).with_columns(pl.col("due_date").cast(pl.Date)),
        imported,
    ]
    for row in np.flatnonzero(~columnar & ~has_lines):
        terms = contracts.row(int(row), named=True)
        schedule = build_schedule(
            terms["principal_fen"],
            rates[row],
            terms["term_months"],
            terms["method"],
            terms["frequency"],
            terms["start_date"],
            terms["residual_value_fen"],
            terms.get("first_due_date"),
        )
        frames.append(
            pl.DataFrame(
                {
                    "contract": [int(ids[row])] * len(schedule),
                    "number": [i.number for i in schedule],
                    "due_date": [i.due_date for i in schedule],
                    "principal_fen": [i.principal_fen + i.residual_fen for i in schedule],
                    "interest_fen": [i.interest_fen for i in schedule],
                },
                schema=_INSTALMENT_SCHEMA,
            )
        )
    return (
        pl.concat(frames)
        .sort("contract", "number")
        .with_columns((pl.col("principal_fen") + pl.col("interest_fen")).alias("amount_fen"))
        .with_columns(pl.col("amount_fen").cum_sum().over("contract").alias("cumulative_due_fen"))
    )


def _day_numbers(column: pl.Series) -> np.ndarray:
    return column.cast(pl.Int32).to_numpy().astype(np.int64)


def allocate(
    instalments: pl.DataFrame, payments: pl.DataFrame, allocation: Allocation
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Payments (contract, paid_date, amount_fen) applied to instalments (`contract_instalments`) under
    `allocation`: the instalments gain `paid_in_full_on`, the payments their rent/penalty split (see
    `BookPositions.payments`). Works on any subset of whole contracts, so a distributed engine can run it
    per partition of contracts."""
    instalments = instalments.sort("contract", "number")
    # A payment before a reversal on the same day: the reversal takes back what was paid.
    numbered = payments.sort("contract", "paid_date", pl.col("amount_fen"), descending=[False, False, True])
    allocated = allocate_payments(
        instalments["contract"].to_numpy(),
        _day_numbers(instalments["due_date"]),
        instalments["amount_fen"].to_numpy(),
        instalments["cumulative_due_fen"].to_numpy(),
        numbered["contract"].to_numpy(),
        _day_numbers(numbered["paid_date"]),
        numbered["amount_fen"].to_numpy(),
        allocation,
    )
    numbered = numbered.with_columns(
        pl.Series("rent_fen", allocated.rent, dtype=pl.Int64),
        pl.Series("penalty_paid_fen", allocated.penalty_paid, dtype=pl.Int64),
        pl.Series("penalty_owed_micro", allocated.penalty_owed_micro, dtype=pl.Int64),
        pl.Series("cumulative_rent_fen", allocated.cumulative_rent, dtype=pl.Int64),
        pl.Series("seq", allocated.seq, dtype=pl.Int64),
    )
    paid_in_full = pl.Series("paid_in_full_on", allocated.paid_in_full_day, dtype=pl.Int64)
    instalments = instalments.with_columns(
        pl.when(paid_in_full != NEVER)
        .then(paid_in_full)
        .cast(pl.Int32)
        .cast(pl.Date)
        .alias("paid_in_full_on")
    )
    return instalments, numbered


_EPOCH = dt.date(1970, 1, 1)


def contract_on_day(
    instalments: Sequence[tuple[int, dt.date, int, int]],
    payments: Sequence[tuple[dt.date, int]],
    deposit_fen: int,
    allocation: Allocation,
    day: dt.date,
) -> tuple[list[tuple[int, dt.date, int, int]], ContractState]:
    """One contract (instalments: number, due date, principal with residual, interest; payments: day, amount,
    negative for a reversal) on `day`, applied as `BookPositions` applies the whole book: payments by day, a
    payment before a reversal, and under `deposit: offset_at_maturity` the deposit paid on the last due date.
    The instalments by number, and the contract's state (`allocation.contract_state`)."""
    ordered = sorted(instalments)
    paid = list(payments)
    if allocation.deposit == "offset_at_maturity" and deposit_fen > 0 and ordered:
        paid.append((max(due for _, due, _, _ in ordered), deposit_fen))
    paid.sort(key=lambda payment: (payment[0], -payment[1]))
    amounts = np.array([p + i for _, _, p, i in ordered], dtype=np.int64)
    state = contract_state(
        np.array([(due - _EPOCH).days for _, due, _, _ in ordered], dtype=np.int64),
        amounts,
        np.cumsum(amounts),
        np.array([(on - _EPOCH).days for on, _ in paid], dtype=np.int64),
        np.array([value for _, value in paid], dtype=np.int64),
        allocation,
        (day - _EPOCH).days,
    )
    return ordered, state


@dataclass
class BookPositions:
    """A book's schedule and payments, ready to say where every contract stands on any day."""

    contracts: pl.DataFrame
    instalments: pl.DataFrame
    # contract (row), paid_date, amount_fen, rent_fen (the part that paid rent), penalty_paid_fen,
    # penalty_owed_micro (penalty still owed after the payment, millionths of a fen), cumulative_rent_fen,
    # seq (the payment's place in its contract's order); by contract then date.
    payments: pl.DataFrame
    allocation: Allocation

    @classmethod
    def from_frames(
        cls,
        contracts: pl.DataFrame,
        payments: pl.DataFrame,
        schedule_lines: pl.DataFrame | None = None,
        allocation: Allocation | None = None,
    ) -> BookPositions:
        allocation = allocation or Allocation()
        contracts = contracts.with_row_index("contract").with_columns(pl.col("contract").cast(pl.Int64))
        for column, dtype in OPTIONAL_CONTRACT_COLUMNS.items():
            if column not in contracts.columns:
                contracts = contracts.with_columns(pl.lit(None, dtype).alias(column))
        contracts = contracts.with_columns(pl.col("deposit_fen").fill_null(0))
        lines = schedule_lines if schedule_lines is not None else pl.DataFrame(schema=SCHEDULE_LINE_COLUMNS)
        instalments = contract_instalments(contracts, lines)
        numbered = payments.join(
            contracts.select("contract_no", "contract"), on="contract_no", how="inner"
        ).select("contract", "paid_date", pl.col("amount_fen").cast(pl.Int64))
        if allocation.deposit == "offset_at_maturity":
            maturity = instalments.group_by("contract").agg(pl.col("due_date").max().alias("paid_date"))
            deposits = (
                contracts.filter(pl.col("deposit_fen") > 0)
                .join(maturity, on="contract")
                .select("contract", "paid_date", pl.col("deposit_fen").alias("amount_fen"))
            )
            numbered = pl.concat([numbered, deposits])
        instalments, numbered = allocate(instalments, numbered, allocation)
        return cls(contracts, instalments, numbered, allocation)

    def over_reversed(self, as_of: dt.date) -> pl.DataFrame:
        """Contracts where, by `as_of`, reversals took back more than had been paid before them: contract_no,
        the day it first happened and by how much (fen) the paid total went below zero."""
        cumulative = self.payments.filter(pl.col("paid_date") <= as_of).with_columns(
            pl.col("amount_fen").cum_sum().over("contract").alias("_paid_so_far")
        )
        below = cumulative.filter(pl.col("_paid_so_far") < 0)
        return (
            below.group_by("contract")
            .agg(
                pl.col("paid_date").min().alias("first_on"),
                (-pl.col("_paid_so_far")).max().alias("excess_fen"),
            )
            .join(self.contracts.select("contract", "contract_no"), on="contract")
            .select("contract_no", "first_on", "excess_fen")
            .sort("contract_no")
        )

    def contract_state(self, contract_no: str, day: dt.date) -> ContractState:
        """One contract of the book on `day`, per instalment (by number), from the same pass and the same
        payments (the deposit included where it is offset) as `at`."""
        found = self.contracts.filter(pl.col("contract_no") == contract_no)["contract"]
        if found.is_empty():
            raise KeyError(contract_no)
        instalments = self.instalments.filter(pl.col("contract") == found[0]).sort("number")
        payments = self.payments.filter(pl.col("contract") == found[0])  # already in the order applied
        return contract_state(
            _day_numbers(instalments["due_date"]),
            instalments["amount_fen"].to_numpy(),
            instalments["cumulative_due_fen"].to_numpy(),
            _day_numbers(payments["paid_date"]),
            payments["amount_fen"].to_numpy(),
            self.allocation,
            (day - _EPOCH).days,
        )

    @classmethod
    def from_engine(
        cls, engine: Engine, allocation: Allocation | None = None, *, lessor: str | None = None
    ) -> BookPositions:
        """The store's whole book (of `lessor` only, when given), read by `portfolio.book_store.read_book`."""
        from leaseguard.portfolio.book_store import read_book

        contracts, payments, schedule_lines = read_book(engine, lessor=lessor)
        return cls.from_frames(contracts, payments, schedule_lines, allocation)

    def at(self, as_of: dt.date) -> pl.DataFrame:
        """One row per contract, in POSITION_COLUMNS."""
        day = pl.lit(as_of, dtype=pl.Date)
        paid = (
            self.payments.filter(pl.col("paid_date") <= day)
            .group_by("contract")
            .agg(
                pl.col("amount_fen").sum().alias("paid"),
                # Reversals beyond what was paid are set against later payments, never below nothing paid.
                pl.col("rent_fen").sum().clip(lower_bound=0).alias("rent"),
                pl.col("paid_date").filter(pl.col("amount_fen") > 0).max().alias("last_paid_date"),
                pl.col("paid_date").last().alias("_last_event"),
                pl.col("penalty_owed_micro").last().alias("_penalty_owed"),
            )
        )
        covered = pl.min_horizontal(
            pl.max_horizontal(
                pl.col("rent") - (pl.col("cumulative_due_fen") - pl.col("amount_fen")), pl.lit(0)
            ),
            pl.col("amount_fen"),
        )
        if self.allocation.interest_first:
            interest_paid = pl.min_horizontal(covered, pl.col("interest_fen"))
        else:
            interest_paid = pl.max_horizontal(covered - pl.col("principal_fen"), pl.lit(0))
        due = pl.col("due_date") <= day
        unpaid = due & (pl.col("cumulative_due_fen") > pl.col("rent"))
        late = due & (pl.col("paid_in_full_on").is_null() | (pl.col("paid_in_full_on") > pl.col("due_date")))
        # Penalty accrued since the last payment: overdue rent has not changed since then.
        accrual_days = (
            day - pl.max_horizontal(pl.col("due_date"), pl.col("_last_event").fill_null(pl.col("due_date")))
        ).dt.total_days()
        accrued = (
            pl.when(pl.col("due_date") < day)
            .then((pl.col("amount_fen") - covered) * accrual_days * self.allocation.penalty_rate_micro)
            .otherwise(0)
        )
        per_contract = (
            self.instalments.join(paid, on="contract", how="left")
            .with_columns(pl.col("paid").fill_null(0), pl.col("rent").fill_null(0))
            .with_columns(covered.alias("covered"), interest_paid.alias("interest_paid"))
            .group_by("contract")
            .agg(
                pl.col("paid").first(),
                pl.col("rent").first(),
                pl.col("last_paid_date").first(),
                pl.col("_penalty_owed").first().fill_null(0),
                accrued.sum().alias("_penalty_accrued"),
                pl.col("amount_fen").sum().alias("total_due"),
                pl.len().alias("instalments"),
                due.sum().alias("instalments_due"),
                unpaid.sum().alias("instalments_overdue"),
                pl.col("amount_fen").filter(due).sum().alias("due_amount"),
                pl.col("due_date").filter(unpaid).min().alias("oldest_unpaid"),
                pl.col("due_date").filter(~due).min().alias("next_due_date"),
                (pl.col("covered") - pl.col("interest_paid")).sum().alias("principal_repaid"),
                (pl.col("interest_fen") - pl.col("interest_paid"))
                .filter(due)
                .sum()
                .alias("overdue_interest"),
                (pl.col("principal_fen") - (pl.col("covered") - pl.col("interest_paid")))
                .filter(due)
                .sum()
                .alias("overdue_principal"),
                pl.col("number").filter(late).max().fill_null(0).alias("last_late"),
            )
        )
        frame = self.contracts.join(per_contract, on="contract", how="left").with_columns(
            *(
                pl.col(c).fill_null(0)
                for c in (
                    "paid",
                    "rent",
                    "_penalty_owed",
                    "_penalty_accrued",
                    "total_due",
                    "instalments",
                    "instalments_due",
                    "instalments_overdue",
                    "due_amount",
                    "principal_repaid",
                    "overdue_interest",
                    "overdue_principal",
                    "last_late",
                )
            ),
        )
        outstanding = pl.col("principal_fen") - pl.col("principal_repaid")
        penalty_due = (pl.col("_penalty_owed") + pl.col("_penalty_accrued") + MICRO // 2) // MICRO
        status = (
            pl.when(day < pl.col("start_date"))
            .then(pl.lit("not_started"))
            .when((pl.col("rent") >= pl.col("total_due")) & (penalty_due == 0))
            .then(pl.lit("settled"))
            .when(pl.col("instalments_due") == pl.col("instalments"))
            .then(pl.lit("matured_unpaid"))
            .otherwise(pl.lit("active"))
        )
        return frame.select(
            "contract_no",
            "lessor",
            "lessee_id",
            day.alias("as_of"),
            status.alias("status"),
            (day - pl.col("oldest_unpaid")).dt.total_days().fill_null(0).alias("dpd"),
            pl.max_horizontal(pl.col("due_amount") - pl.col("rent"), pl.lit(0)).alias("overdue_amount_fen"),
            pl.col("overdue_principal").alias("overdue_principal_fen"),
            pl.col("overdue_interest").alias("overdue_interest_fen"),
            penalty_due.alias("penalty_due_fen"),
            outstanding.alias("outstanding_principal_fen"),
            (outstanding + pl.col("overdue_interest")).alias("claim_balance_fen"),
            pl.col("paid").alias("paid_to_date_fen"),
            pl.max_horizontal(pl.col("rent") - pl.col("total_due"), pl.lit(0)).alias("overpaid_fen"),
            "instalments_due",
            "instalments_overdue",
            (pl.col("instalments_due") - pl.col("last_late")).alias("on_time_streak"),
            "last_paid_date",
            "next_due_date",
            pl.col("frequency").replace_strict({"monthly": 12, "quarterly": 4}).alias("periods_per_year"),
        ).cast(POSITION_COLUMNS)  # type: ignore[arg-type]
