"""The same positions job as one Ibis expression: on DuckDB and on PySpark (local mode) it gives exactly
what the Polars engine gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ibis", reason="the distributed path is the optional extra leaseguard[spark]")

import ibis
import polars as pl
from polars.testing import assert_frame_equal

from book_reference import read_synth_book
from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.columnar import (
    CONTRACT_FIELDS,
    INSTALMENT_FIELDS,
    PAYMENT_FIELDS,
    book_tables,
    positions_expr,
)
from leaseguard.portfolio.positions import CONTRACT_COLUMNS, POSITION_COLUMNS, BookPositions
from leaseguard.portfolio.spark import spark_book_tables
from leaseguard.synth import generate_book

DAYS = (dt.date(2023, 6, 30), dt.date(2025, 6, 30))


ALLOCATIONS = {
    "penalty first, interest first": Allocation(penalty_daily_rate=Decimal("0.0005")),
    "principal first, penalty last": Allocation(("principal", "interest", "penalty"), Decimal("0.001")),
}


@pytest.fixture(scope="module", params=list(ALLOCATIONS))
def book(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> BookPositions:
    folder: Path = tmp_path_factory.mktemp("spark") / "book"
    generate_book(folder, contracts=150, seed=31)
    contracts, payments = read_synth_book(folder)
    # Every seventh payment is reversed a week later, so reversals are part of what must agree.
    reversals = payments.gather_every(7).with_columns(
        pl.col("paid_date") + dt.timedelta(days=7), -pl.col("amount_fen")
    )
    book = BookPositions.from_frames(
        contracts.select(*CONTRACT_COLUMNS, "first_due_date"),
        pl.concat([payments, reversals]),
        None,
        ALLOCATIONS[request.param],
    )
    assert book.payments["penalty_paid_fen"].sum() > 0  # penalty is really charged and paid
    return book


def _same(result: Any, expected: pl.DataFrame) -> None:
    frame = pl.from_pandas(result) if not isinstance(result, pl.DataFrame) else result
    ours = frame.with_columns(
        pl.col(c).cast(pl.Date) for c in ("as_of", "last_paid_date", "next_due_date")
    ).cast(POSITION_COLUMNS)  # type: ignore[arg-type]
    assert_frame_equal(ours.sort("contract_no"), expected.sort("contract_no"))


def test_positions_on_duckdb_equal_the_polars_engine(book: BookPositions) -> None:
    tables = book_tables(ibis.duckdb.connect(), book)
    for day in DAYS:
        expected = book.at(day)
        _same(positions_expr(*tables, day, book.allocation).to_polars(), expected)
    assert expected["penalty_due_fen"].sum() > 0


@pytest.mark.slow
def test_positions_on_pyspark_equal_the_polars_engine(book: BookPositions, spark: Any) -> None:
    con = ibis.pyspark.connect(spark)
    tables = (
        con.create_table(name, frame.to_pandas(), overwrite=True)
        for name, frame in (
            ("lg_contracts", book.contracts.select(CONTRACT_FIELDS)),
            ("lg_instalments", book.instalments.select(INSTALMENT_FIELDS)),
            ("lg_payments", book.payments.select(PAYMENT_FIELDS)),
        )
    )
    contracts, instalments, payments = tables
    for day in DAYS:
        _same(
            positions_expr(contracts, instalments, payments, day, book.allocation).to_pandas(), book.at(day)
        )


@pytest.mark.slow
def test_the_whole_positions_job_on_pyspark_equals_the_embedded_engine(
    book: BookPositions, spark: Any
) -> None:
    """Instalments built per partition and payments allocated per contract on Spark, with the embedded
    engine's own functions, then positions as the Ibis expression on Spark: the embedded engine's rows."""
    contracts = spark.createDataFrame(book.contracts.drop("lessee_type", "industry", "lease_type",
                                                          strict=False).to_pandas())  # fmt: skip
    payments = spark.createDataFrame(book.payments.select("contract", "paid_date", "amount_fen").to_pandas())
    spark_contracts, instalments, allocated = spark_book_tables(
        contracts.repartition(3), payments, book.allocation
    )
    con = ibis.pyspark.connect(spark)
    named = (("sp_contracts", spark_contracts), ("sp_instalments", instalments), ("sp_payments", allocated))
    for name, frame in named:
        frame.createOrReplaceTempView(name)
    tables = [con.table(name) for name, _ in named]
    for day in DAYS:
        _same(positions_expr(*tables, day, book.allocation).to_pandas(), book.at(day))
