"""Import speed: N payment rows (plus the lessor and contracts they need) into a fresh SQLite workspace and
into a fresh PostgreSQL schema, the first load and an unchanged reload."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, create_engine, text

from benchmarks.report import publish
from leaseguard.ingest import FileReport, import_paths
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.workspace import init_workspace

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def write_book(directory: Path, rows: int, contracts: int, seed: int = 5) -> Path:
    """lessors.csv, contracts.csv and a payments.csv of `rows` rows; returns the payments file."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"code": ["BENCH"], "name": ["基准融资租赁有限公司"]}).write_csv(directory / "lessors.csv")
    numbers = pl.Series([f"BC{n:08d}" for n in range(contracts)])
    pl.DataFrame(
        {
            "contract_no": numbers,
            "lessor": "BENCH",
            "lessee_id": "91110000600037341L",
            "lessee_name": "甲物流有限公司",
            "lessee_type": "enterprise",
            "start_date": "2024-01-15",
            "term_months": "36",
            "principal": "360000.00",
            "annual_rate": "0.0650",
            "method": "annuity",
            "frequency": "monthly",
        }
    ).write_csv(directory / "contracts.csv")
    fen = pl.Series(rng.integers(100_00, 20_000_00, rows))
    payments = pl.DataFrame(
        {
            "contract_no": numbers.gather(rng.integers(0, contracts, rows)),
            "paid_date": (pl.Series(rng.integers(0, 700, rows)).cast(pl.Duration("ms")) * 86_400_000).alias(
                "d"
            ),
            "fen": fen,
        }
    ).select(
        "contract_no",
        (pl.lit(np.datetime64("2024-02-01")).cast(pl.Date) + pl.col("paid_date"))
        .dt.to_string("%Y-%m-%d")
        .alias("paid_date"),
        pl.format(
            "{}.{}", pl.col("fen") // 100, (pl.col("fen") % 100).cast(pl.String).str.pad_start(2, "0")
        ).alias("amount"),
    )
    payments.write_csv(directory / "payments.csv")
    return directory / "payments.csv"


def _only(reports: list[FileReport]) -> FileReport:
    (report,) = reports
    if report.status != "loaded":
        raise RuntimeError(f"{report.file}: {report.status}: {report.message} {report.errors[:3]}")
    return report


def time_store(engine: Engine, book: Path) -> dict[str, Any]:
    for name in ("lessors.csv", "contracts.csv"):
        _only(import_paths(engine, [book / name]))
    started = time.perf_counter()
    first = _only(import_paths(engine, [book / "payments.csv"]))
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = _only(import_paths(engine, [book / "payments.csv"]))
    again_seconds = time.perf_counter() - started
    if first.inserted != first.rows_read or again.unchanged != first.rows_read or again.inserted:
        raise RuntimeError(f"unexpected counts: first {first}, again {again}")
    return {
        "rows": first.rows_read,
        "first load (s)": round(first_seconds, 2),
        "rows/s": round(first.rows_read / first_seconds),
        "reload, unchanged (s)": round(again_seconds, 2),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="payment rows")
    parser.add_argument("--contracts", type=int, default=50_000, help="contracts the payments spread over")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lg-bench-import-") as folder:
        work = Path(folder)
        started = time.perf_counter()
        write_book(work / "book", args.rows, args.contracts)
        print(f"wrote {args.rows:,} payment rows in {time.perf_counter() - started:.1f} s", flush=True)

        workspace = init_workspace(work / "ws")
        engine = workspace.engine()
        try:
            results.append(
                {"store": "SQLite (executemany into staging)", **time_store(engine, work / "book")}
            )
        finally:
            engine.dispose()

        schema = f"lg_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres_url)
        try:
            with admin.begin() as connection:
                connection.execute(text(f'create schema "{schema}"'))
            engine = create_store_engine(f"{args.postgres_url}?options=-csearch_path%3D{schema}")
            try:
                upgrade_schema(engine)
                results.append(
                    {"store": "PostgreSQL (COPY into staging)", **time_store(engine, work / "book")}
                )
            finally:
                engine.dispose()
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema if exists "{schema}" cascade'))
            admin.dispose()
    publish("import", f"Import of {args.rows:,} payment rows", results)


if __name__ == "__main__":
    main(sys.argv[1:])
