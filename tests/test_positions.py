"""The book engine's positions against the slow, obviously-correct reference, on a synthetic book."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from book_reference import read_synth_book, reference_positions
from conftest import migrated_store
from leaseguard.ingest import import_paths
from leaseguard.portfolio.book_store import compute_positions
from leaseguard.portfolio.positions import (
    CONTRACT_COLUMNS,
    POSITION_COLUMNS,
    BookPositions,
)
from leaseguard.store.db import create_store_engine
from leaseguard.synth import generate_book

DAYS = [dt.date(2022, 1, 31), dt.date(2023, 6, 30), dt.date(2024, 12, 31), dt.date(2026, 11, 23)]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("positions") / "book"
    generate_book(folder, contracts=400, seed=17)
    return folder


def test_columnar_positions_equal_the_reference_on_every_day(book: Path) -> None:
    contracts, payments = read_synth_book(book)
    engine = BookPositions.from_frames(contracts.select(*CONTRACT_COLUMNS, "first_due_date"), payments)
    reference = reference_positions(contracts, payments)
    for day in DAYS:
        ours = engine.at(day).sort("contract_no")
        theirs = reference(day).sort("contract_no").cast(POSITION_COLUMNS)  # type: ignore[arg-type]
        assert_frame_equal(ours, theirs)
    # The book is not trivial on these days: arrears, settlements and on-time streaks all occur.
    late = engine.at(DAYS[2])
    assert late.filter(pl.col("dpd") > 90).height > 0
    assert late.filter(pl.col("status") == "active")["on_time_streak"].max() > 3  # type: ignore[operator]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, book: Path) -> str:
    url = migrated_store(request, tmp_path)
    engine = create_store_engine(url)
    names = ("lessors", "contracts", "payments")
    assert all(r.rejected == 0 for r in import_paths(engine, [book / f"{n}.csv" for n in names]))
    engine.dispose()
    return url


def test_positions_from_the_store_equal_those_from_the_files(store_url: str, book: Path) -> None:
    contracts, payments = read_synth_book(book)
    reference = reference_positions(contracts, payments)
    engine = create_store_engine(store_url)
    stored = pl.from_arrow(compute_positions(engine, DAYS[1]))
    engine.dispose()
    assert isinstance(stored, pl.DataFrame)
    assert_frame_equal(
        stored.sort("contract_no"),
        reference(DAYS[1]).sort("contract_no").cast(POSITION_COLUMNS),  # type: ignore[arg-type]
    )


def test_one_lessors_book_is_read_by_the_lessor_and_gives_its_positions_of_the_whole_book(
    store_url: str,
) -> None:
    from leaseguard.portfolio.book_store import read_book

    engine = create_store_engine(store_url)
    try:
        whole = read_book(engine)
        lessors = whole[0]["lessor"].unique().sort().to_list()
        assert len(lessors) > 1
        lessor = lessors[0]
        own = read_book(engine, lessor=lessor)
        mine = whole[0].filter(pl.col("lessor") == lessor)["contract_no"]
        assert own[0]["lessor"].unique().to_list() == [lessor]
        assert set(own[1]["contract_no"].unique().to_list()) <= set(mine.to_list())
        assert own[1].height == whole[1].filter(pl.col("contract_no").is_in(mine.implode())).height
        for day in DAYS[1:3]:
            everyone = BookPositions.from_engine(engine).at(day)
            assert_frame_equal(
                BookPositions.from_engine(engine, lessor=lessor).at(day).sort("contract_no"),
                everyone.filter(pl.col("contract_no").is_in(mine.implode())).sort("contract_no"),
            )
        assert read_book(engine, lessor="NO-SUCH-LESSOR")[0].is_empty()
    finally:
        engine.dispose()


def test_warming_runs_each_compiled_loop_of_the_book_engine() -> None:
    """`make setup` warms numba's cache with `leaseguard.portfolio.warm`: in a process that has computed no book,
    the warm-up gives each compiled loop a compiled signature (from the cache or compiled then, and written)."""
    import json
    import subprocess
    import sys

    probe = (
        "import json\n"
        "from leaseguard.portfolio import compiled\n"
        "loops = (compiled.fill_amounts, compiled.allocate_all, compiled.allocate_contract)\n"
        "before = [len(loop.signatures) for loop in loops]\n"
        "from leaseguard.portfolio.warm import warm_compiled_loops\n"
        "warm_compiled_loops()\n"
        "print(json.dumps([before, [len(loop.signatures) for loop in loops]]))\n"
    )
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, after = json.loads(answer.stdout)
    assert before == [0, 0, 0] and all(count >= 1 for count in after), answer.stdout
