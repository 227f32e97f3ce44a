"""The book's positions on Apache Spark, with the very functions the embedded engine runs.

Every step of the positions is a function of one contract's rows, so when a book outgrows one machine Spark
runs the embedded engine's own code per partition or per contract: `spark_book_tables` builds the contracts,
the instalments (`positions.contract_instalments`, per partition of contracts) with the day each was paid in
full and the payments with their rent/penalty split (`positions.allocate`, per contract), and
`spark_positions` says where each contract stands on a day (`BookPositions.at`, per contract). The
classification then runs as its Ibis expression on Spark (`classification.columnar`). A test runs the whole
job on PySpark in local mode and gets exactly the embedded engine's positions and classes.

Not on this path: irregular schedules imported as given (the embedded engine reads them; here every contract's
schedule comes from its terms).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa

from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.positions import (
    POSITION_COLUMNS,
    SCHEDULE_LINE_COLUMNS,
    BookPositions,
    allocate,
    contract_instalments,
)

INSTALMENTS_SCHEMA = (
    "contract long, number int, due_date date, principal_fen long, interest_fen long, amount_fen long, "
    "cumulative_due_fen long"
)
ALLOCATED_INSTALMENTS_SCHEMA = INSTALMENTS_SCHEMA + ", paid_in_full_on date"
PAYMENTS_SCHEMA = (
    "contract long, paid_date date, amount_fen long, rent_fen long, penalty_paid_fen long, "
    "penalty_owed_micro long, cumulative_rent_fen long, seq long"
)
# The contract's own columns that the positions carry or read (`BookPositions.at`), beside each instalment;
# the contract's principal renamed, as the instalment has one of its own.
_CONTRACT_PRINCIPAL = "contract_principal_fen"
_POSITION_TERMS = ("contract_no", "lessor", "lessee_id", "start_date", "frequency", _CONTRACT_PRINCIPAL)
_SPARK_TYPES = {pl.String: "string", pl.Date: "date", pl.Int32: "int", pl.Int64: "long"}
POSITIONS_SCHEMA = ", ".join(f"{name} {_SPARK_TYPES[dtype]}" for name, dtype in POSITION_COLUMNS.items())  # type: ignore[index]
_TERMS = (
    "contract", "contract_no", "start_date", "term_months", "principal_fen", "annual_rate", "method", "frequency",
    "residual_value_fen", "first_due_date",
)  # fmt: skip


def _instalment_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    no_lines = pl.DataFrame(schema=SCHEDULE_LINE_COLUMNS)
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        if frame.is_empty():
            continue
        built = contract_instalments(frame.with_columns(pl.col("annual_rate").cast(pl.String)), no_lines)
        yield from built.to_arrow().to_batches()


def _dates(frame: pd.DataFrame, *columns: str) -> pl.DataFrame:
    # Spark hands dates to pandas as datetime64 or as datetime.date objects, depending on its settings.
    return pl.from_pandas(frame).with_columns(pl.col(c).cast(pl.Date) for c in columns)


def _allocate_group(allocation: Allocation, part: str) -> Any:
    def apply(instalments: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
        if instalments.empty:
            return pd.DataFrame()
        built = _dates(instalments, "due_date").cast({"contract": pl.Int64, "number": pl.Int32})
        paid = (
            _dates(payments, "paid_date").cast({"contract": pl.Int64, "amount_fen": pl.Int64})
            if not payments.empty
            else pl.DataFrame(schema={"contract": pl.Int64, "paid_date": pl.Date, "amount_fen": pl.Int64})
        )
        settled, split = allocate(built, paid, allocation)
        return (settled if part == "instalments" else split).to_pandas()

    return apply


def _positions_of_group(allocation: Allocation, as_of: dt.date) -> Any:
    def apply(instalments: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
        if instalments.empty:
            return pd.DataFrame()
        rows = _dates(instalments, "due_date", "paid_in_full_on", "start_date").cast(
            {"contract": pl.Int64, "number": pl.Int32}
        )
        paid = (
            _dates(payments, "paid_date").cast({"contract": pl.Int64}).sort("seq")
            if not payments.empty
            else pl.DataFrame(
                schema=dict.fromkeys(
                    ("contract", "amount_fen", "rent_fen", "penalty_owed_micro", "seq"), pl.Int64
                )
                | {"paid_date": pl.Date}
            )
        )
        book = BookPositions(
            contracts=rows.select("contract", *_POSITION_TERMS)
            .unique("contract")
            .rename({_CONTRACT_PRINCIPAL: "principal_fen"}),
            instalments=rows.drop(_POSITION_TERMS),
            payments=paid,
            allocation=allocation,
        )
        return book.at(as_of).to_pandas()

    return apply


def spark_positions(
    contracts: Any, instalments: Any, payments: Any, as_of: dt.date, allocation: Allocation | None = None
) -> Any:
    """Where every contract stands on `as_of` (POSITION_COLUMNS), as a Spark DataFrame: `BookPositions.at`
    per contract, over `spark_book_tables`' three tables."""
    terms = contracts.withColumnRenamed("principal_fen", _CONTRACT_PRINCIPAL).select(
        "contract", *_POSITION_TERMS
    )
    grouped = instalments.join(terms, "contract").groupBy("contract").cogroup(payments.groupBy("contract"))
    return grouped.applyInPandas(_positions_of_group(allocation or Allocation(), as_of), POSITIONS_SCHEMA)


def spark_book_tables(
    contracts: Any, payments: Any, allocation: Allocation | None = None
) -> tuple[Any, Any, Any]:
    """(contracts, instalments, payments) as Spark DataFrames for `spark_positions`.

    `contracts`: a Spark DataFrame with a unique long `contract` id and the contract columns
    (`positions.CONTRACT_COLUMNS`, plus `first_due_date` and `deposit_fen`); `payments`: contract (the same
    id), paid_date, amount_fen."""
    from pyspark.sql import functions as spark_functions

    allocation = allocation or Allocation()
    terms = contracts.select(*_TERMS).withColumn(
        "annual_rate", spark_functions.col("annual_rate").cast("string")
    )
    instalments = terms.mapInArrow(_instalment_batches, INSTALMENTS_SCHEMA)
    paid = payments.select("contract", "paid_date", "amount_fen")
    if allocation.deposit == "offset_at_maturity":
        maturity = instalments.groupBy("contract").agg(spark_functions.max("due_date").alias("paid_date"))
        deposits = (
            contracts.where(spark_functions.col("deposit_fen") > 0)
            .join(maturity, "contract")
            .select("contract", "paid_date", spark_functions.col("deposit_fen").alias("amount_fen"))
        )
        paid = paid.unionByName(deposits)
    grouped = instalments.groupBy("contract").cogroup(paid.groupBy("contract"))
    settled = grouped.applyInPandas(_allocate_group(allocation, "instalments"), ALLOCATED_INSTALMENTS_SCHEMA)
    split = instalments.groupBy("contract").cogroup(paid.groupBy("contract"))
    allocated = split.applyInPandas(_allocate_group(allocation, "payments"), PAYMENTS_SCHEMA)
    return contracts, settled, allocated
