"""The positions on Spark: the embedded engine's own functions run per contract group on PySpark (local
mode) give exactly the embedded engine's rows for the whole book."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from book_reference import read_synth_book
from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.positions import CONTRACT_COLUMNS, POSITION_COLUMNS, BookPositions
from leaseguard.portfolio.spark import spark_book_tables, spark_positions
from leaseguard.synth import generate_book

DAYS = (dt.date(2023, 6, 30), dt.date(2025, 6, 30))


ALLOCATIONS = {
    "penalty first, interest first": Allocation(penalty_daily_rate=Decimal("0.0005")),
    "principal first, penalty last": Allocation(("principal", "interest", "penalty"), Decimal("0.001")),
}


@pytest.fixture(scope="module", params=list(ALLOCATIONS))
def book(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> BookPositions:
    folder: Path = tmp_path_factory.mktemp("spark") / "book"
    generate_book(folder, contracts=60, seed=31)
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


def test_positions_per_group_of_contracts_equal_the_whole_books(book: BookPositions) -> None:
    """What lets Spark run the engine per contract: the positions of any split of the book into groups of
    whole contracts, put together, are the whole book's."""
    group = pl.col("contract") % 4
    for day in DAYS:
        parts = [
            BookPositions(
                book.contracts.filter(group == part),
                book.instalments.filter(group == part),
                book.payments.filter(group == part),
                book.allocation,
            ).at(day)
            for part in range(4)
        ]
        expected = book.at(day)
        assert min(part.height for part in parts) > 0
        _same(pl.concat(parts), expected)
    assert expected["penalty_due_fen"].sum() > 0


@pytest.mark.slow
def test_the_whole_positions_job_on_pyspark_equals_the_embedded_engine(
    book: BookPositions, spark: Any
) -> None:
    """Instalments built per partition, payments allocated per contract and positions per contract on
    Spark, all with the embedded engine's own functions: the embedded engine's rows."""
    contracts = spark.createDataFrame(book.contracts.drop("lessee_type", "industry", "lease_type",
                                                          strict=False).to_pandas())  # fmt: skip
    payments = spark.createDataFrame(book.payments.select("contract", "paid_date", "amount_fen").to_pandas())
    tables = spark_book_tables(contracts.repartition(3), payments, book.allocation)
    for day in DAYS:
        _same(spark_positions(*tables, day, book.allocation).toPandas(), book.at(day))
