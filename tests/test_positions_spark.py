"""The same positions job as one Ibis expression: on DuckDB and on PySpark (local mode) it gives exactly
what the Polars engine gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from book_reference import read_synth_book
from leaseguard.portfolio.columnar import book_tables, positions_expr
from leaseguard.portfolio.positions import CONTRACT_COLUMNS, POSITION_COLUMNS, BookPositions
from leaseguard.synth import generate_book

DAYS = (dt.date(2023, 6, 30), dt.date(2025, 6, 30))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BookPositions:
    folder: Path = tmp_path_factory.mktemp("spark") / "book"
    generate_book(folder, contracts=150, seed=31)
    contracts, payments = read_synth_book(folder)
    return BookPositions.from_frames(contracts.select(*CONTRACT_COLUMNS), payments)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .appName("leaseguard-test")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def _same(result: Any, expected: pl.DataFrame) -> None:
    frame = pl.from_pandas(result) if not isinstance(result, pl.DataFrame) else result
    ours = frame.with_columns(
        pl.col(c).cast(pl.Date) for c in ("as_of", "last_paid_date", "next_due_date")
    ).cast(POSITION_COLUMNS)  # type: ignore[arg-type]
    assert_frame_equal(ours.sort("contract_no"), expected.sort("contract_no"))


def test_positions_on_duckdb_equal_the_polars_engine(book: BookPositions) -> None:
    tables = book_tables(ibis.duckdb.connect(), book)
    for day in DAYS:
        _same(positions_expr(*tables, day).to_polars(), book.at(day))


@pytest.mark.slow
def test_positions_on_pyspark_equal_the_polars_engine(book: BookPositions, spark: Any) -> None:
    con = ibis.pyspark.connect(spark)
    tables = (
        con.create_table(name, frame.to_pandas(), overwrite=True)
        for name, frame in (
            ("lg_contracts", book.contracts.select("contract", "contract_no", "lessor", "lessee_id", "start_date",
                                                   "principal_fen", "frequency")),
            ("lg_instalments", book.instalments.drop("cumulative_paid_fen", strict=False)),
            ("lg_payments", book.payments.select("contract", "paid_date", "amount_fen")),
        )
    )  # fmt: skip
    contracts, instalments, payments = tables
    for day in DAYS:
        _same(positions_expr(contracts, instalments, payments, day).to_pandas(), book.at(day))
