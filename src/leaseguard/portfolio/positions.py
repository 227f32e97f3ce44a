"""Where every contract stands on a day: what is due, paid, overdue and outstanding, for the whole book at once.

Conventions (those of the shared positions schema, docs/book.md):
- instalments come from the contract terms (`portfolio.schedule`, computed column-wise and exact to the fen);
- payments fill instalments oldest first and, within one, interest before principal (the residual value counts
  as principal); no penalty interest is charged;
- days past due count from the due date of the oldest instalment not fully paid by `as_of`;
- an instalment was paid on time when the payments had covered it by its due date.

The schedule of the book is built once (`BookPositions`), then positions for as many days as wanted are cheap
column operations over it, so history can be rebuilt day by day.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.feather as feather
from sqlalchemy import Engine

from leaseguard.portfolio.schedule import MONTHS_PER_PERIOD, build_schedule
from leaseguard.synth.instalments import RATE_SCALE, schedules

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


def _dates(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    # SQLite hands dates back as ISO text, PostgreSQL as dates.
    return frame.with_columns(
        pl.col(c).str.to_date("%Y-%m-%d") if frame.schema[c] == pl.String else pl.col(c).cast(pl.Date)
        for c in columns
    )


_CONTRACTS_QUERY = (
    f"select {', '.join(CONTRACT_COLUMNS)}, cast(annual_rate as text) as rate_text "
    "from contracts order by contract_no"
)
_PAYMENTS_QUERY = "select contract_no, paid_date, amount_fen from payments"


def _read_sqlite(path: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    # Through ADBC in a process of its own: see portfolio/sqlite_export.py for why.
    with tempfile.TemporaryDirectory(prefix="lg-book-") as folder:
        done = subprocess.run(
            [
                sys.executable,
                *("-m", "leaseguard.portfolio.sqlite_export", path, folder),
                f"contracts={_CONTRACTS_QUERY}",
                f"payments={_PAYMENTS_QUERY}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"{path}: reading the book failed: {last}")
        frames = [
            pl.from_arrow(feather.read_table(f"{folder}/{name}.arrow")) for name in ("contracts", "payments")
        ]
    contracts, payments = frames
    assert isinstance(contracts, pl.DataFrame) and isinstance(payments, pl.DataFrame)
    return contracts, payments


def read_book(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The store's contracts (CONTRACT_COLUMNS) and payments (contract_no, paid_date, amount_fen)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        contracts, payments = _read_sqlite(database)
    else:
        with engine.connect() as connection:
            contracts = pl.read_database(_CONTRACTS_QUERY, connection, infer_schema_length=None)
            payments = pl.read_database(
                _PAYMENTS_QUERY,
                connection,
                schema_overrides={"amount_fen": pl.Int64},
                infer_schema_length=None,
            )
    contracts = contracts.with_columns(pl.col("rate_text").alias("annual_rate")).drop("rate_text")
    contracts = _dates(contracts, "start_date").with_columns(
        pl.col("residual_value_fen").fill_null(0).cast(pl.Int64),
        pl.col("principal_fen").cast(pl.Int64),
        pl.col("term_months").cast(pl.Int64),
    )
    return contracts, _dates(payments, "paid_date")


def _instalments(contracts: pl.DataFrame) -> pl.DataFrame:
    """Every contract's instalments: contract (row), number, due_date, principal_fen (residual included),
    interest_fen, amount_fen — column-wise where the rate is a whole number of 0.01 %, else one by one."""
    rates = [Decimal(rate) for rate in contracts["annual_rate"].to_list()]
    scaled = [rate * RATE_SCALE for rate in rates]
    columnar = np.array([value == value.to_integral_value() for value in scaled], dtype=bool)
    months = np.array([MONTHS_PER_PERIOD[f] for f in contracts["frequency"].to_list()], dtype=np.int64)
    rows = np.flatnonzero(columnar)
    built = schedules(
        start=contracts["start_date"].to_numpy()[rows].astype("datetime64[D]"),
        term_months=contracts["term_months"].to_numpy()[rows],
        months_per_period=months[rows],
        equal_principal=(contracts["method"] == "equal_principal").to_numpy()[rows],
        principal_fen=contracts["principal_fen"].to_numpy()[rows],
        rate_e4=np.array([int(scaled[r]) for r in rows], dtype=np.int64),
        residual_fen=contracts["residual_value_fen"].to_numpy()[rows],
    )
    frames = [
        pl.DataFrame(
            {
                "contract": rows[built.contract].astype(np.int64),
                "number": built.number.astype(np.int32),
                "due_date": built.due_date,
                "principal_fen": built.principal_fen + built.residual_fen,
                "interest_fen": built.interest_fen,
            }
        ).with_columns(pl.col("due_date").cast(pl.Date))
    ]
    for row in np.flatnonzero(~columnar):
        terms = contracts.row(int(row), named=True)
        schedule = build_schedule(
            terms["principal_fen"],
            rates[row],
            terms["term_months"],
            terms["method"],
            terms["frequency"],
            terms["start_date"],
            terms["residual_value_fen"],
        )
        frames.append(
            pl.DataFrame(
                {
                    "contract": [int(row)] * len(schedule),
                    "number": [i.number for i in schedule],
                    "due_date": [i.due_date for i in schedule],
                    "principal_fen": [i.principal_fen + i.residual_fen for i in schedule],
                    "interest_fen": [i.interest_fen for i in schedule],
                },
                schema={
                    "contract": pl.Int64,
                    "number": pl.Int32,
                    "due_date": pl.Date,
                    "principal_fen": pl.Int64,
                    "interest_fen": pl.Int64,
                },
            )
        )
    return (
        pl.concat(frames)
        .sort("contract", "number")
        .with_columns((pl.col("principal_fen") + pl.col("interest_fen")).alias("amount_fen"))
        .with_columns(pl.col("amount_fen").cum_sum().over("contract").alias("cumulative_due_fen"))
    )


@dataclass
class BookPositions:
    """A book's schedule and payments, ready to say where every contract stands on any day."""

    contracts: pl.DataFrame
    instalments: pl.DataFrame
    payments: (
        pl.DataFrame
    )  # contract (row), paid_date, amount_fen, cumulative_paid_fen; by contract then date

    @classmethod
    def from_frames(cls, contracts: pl.DataFrame, payments: pl.DataFrame) -> BookPositions:
        contracts = contracts.with_row_index("contract").with_columns(pl.col("contract").cast(pl.Int64))
        numbered = (
            payments.join(contracts.select("contract_no", "contract"), on="contract_no", how="inner")
            .sort("contract", "paid_date")
            .with_columns(pl.col("amount_fen").cum_sum().over("contract").alias("cumulative_paid_fen"))
            .select("contract", "paid_date", "amount_fen", "cumulative_paid_fen")
        )
        instalments = _instalments(contracts)
        # When each instalment was fully paid: the first payment that brings the running total to its
        # cumulative amount due (payments fill instalments oldest first).
        instalments = instalments.join_asof(
            numbered.select("contract", "cumulative_paid_fen", pl.col("paid_date").alias("paid_in_full_on")),
            left_on="cumulative_due_fen",
            right_on="cumulative_paid_fen",
            by="contract",
            strategy="forward",
            check_sortedness=False,
        ).drop("cumulative_paid_fen")
        return cls(contracts, instalments, numbered)

    @classmethod
    def from_engine(cls, engine: Engine) -> BookPositions:
        return cls.from_frames(*read_book(engine))

    def at(self, as_of: dt.date) -> pl.DataFrame:
        """One row per contract, in POSITION_COLUMNS."""
        day = pl.lit(as_of, dtype=pl.Date)
        paid = (
            self.payments.filter(pl.col("paid_date") <= day)
            .group_by("contract")
            .agg(pl.col("amount_fen").sum().alias("paid"), pl.col("paid_date").max().alias("last_paid_date"))
        )
        covered = pl.min_horizontal(
            pl.max_horizontal(
                pl.col("paid") - (pl.col("cumulative_due_fen") - pl.col("amount_fen")), pl.lit(0)
            ),
            pl.col("amount_fen"),
        )
        interest_paid = pl.min_horizontal(covered, pl.col("interest_fen"))
        due = pl.col("due_date") <= day
        unpaid = due & (pl.col("cumulative_due_fen") > pl.col("paid"))
        late = due & (pl.col("paid_in_full_on").is_null() | (pl.col("paid_in_full_on") > pl.col("due_date")))
        per_contract = (
            self.instalments.join(paid, on="contract", how="left")
            .with_columns(pl.col("paid").fill_null(0))
            .with_columns(covered.alias("covered"), interest_paid.alias("interest_paid"))
            .group_by("contract")
            .agg(
                pl.col("paid").first(),
                pl.col("last_paid_date").first(),
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
            pl.col("paid").fill_null(0),
            *(
                pl.col(c).fill_null(0)
                for c in (
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
        status = (
            pl.when(day < pl.col("start_date"))
            .then(pl.lit("not_started"))
            .when(pl.col("paid") >= pl.col("total_due"))
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
            pl.max_horizontal(pl.col("due_amount") - pl.col("paid"), pl.lit(0)).alias("overdue_amount_fen"),
            pl.col("overdue_principal").alias("overdue_principal_fen"),
            pl.col("overdue_interest").alias("overdue_interest_fen"),
            pl.lit(0).alias("penalty_due_fen"),
            outstanding.alias("outstanding_principal_fen"),
            (outstanding + pl.col("overdue_interest")).alias("claim_balance_fen"),
            pl.col("paid").alias("paid_to_date_fen"),
            pl.max_horizontal(pl.col("paid") - pl.col("total_due"), pl.lit(0)).alias("overpaid_fen"),
            "instalments_due",
            "instalments_overdue",
            (pl.col("instalments_due") - pl.col("last_late")).alias("on_time_streak"),
            "last_paid_date",
            "next_due_date",
            pl.col("frequency").replace_strict({"monthly": 12, "quarterly": 4}).alias("periods_per_year"),
        ).cast(POSITION_COLUMNS)  # type: ignore[arg-type]


def compute_positions(engine: Engine, as_of: dt.date) -> pa.Table:
    """Where every contract of the store stands on `as_of` (POSITION_COLUMNS), as an Arrow table."""
    return BookPositions.from_engine(engine).at(as_of).to_arrow()
