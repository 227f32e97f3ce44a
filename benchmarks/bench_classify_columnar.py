"""Classification of one day's positions: the one classification expression (`classify_expr`), run as the
daily run runs it (`collateral_on` then `classify`: Polars frames in, DuckDB in process, a Polars frame out)
and over tables already loaded into DuckDB (as a book held in a database would be).

The positions (1,000,000 rows by default), lessee types, appraisals, the previous run's classes and the
restructured contracts are generated here with NumPy in the book engine's schema, so the figures are those of
the classification step alone. Both ways are checked to give the same rows before the figures are published.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import ibis
import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from benchmarks.report import publish
from leaseguard.classification.classify import classify, collateral_on
from leaseguard.classification.columnar import classify_expr, collateral_expr
from leaseguard.classification.rules import SHIPPED, load_rule_set
from leaseguard.vocabulary import CLASSES

AS_OF = dt.date(2026, 10, 31)


def synthetic_inputs(rows: int, seed: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    numbers = np.char.add("C", np.char.zfill(np.arange(rows).astype(str), 8))
    day = np.datetime64(AS_OF, "D")
    risk = rng.beta(1, 12, rows)
    dpd = np.where(rng.random(rows) < risk, rng.integers(1, 500, rows), 0).astype(np.int32)
    outstanding = rng.integers(0, 2_000_000_00, rows)
    overdue_interest = np.where(dpd > 0, outstanding // 200, 0)
    status = np.array(["active", "matured_unpaid", "settled", "not_started"])[
        rng.choice(4, rows, p=[0.8, 0.03, 0.15, 0.02])
    ]
    quarterly = rng.random(rows) < 0.2
    positions = pl.DataFrame({
        "contract_no": numbers, "lessor": np.array(["L001", "L002", "L003", "L004", "L005"])[rng.integers(0, 5, rows)],
        "lessee_id": np.char.add("P", rng.integers(0, int(rows * 0.65), rows).astype(str)),
        "as_of": np.full(rows, day), "status": status, "dpd": dpd,
        "overdue_amount_fen": np.where(dpd > 0, outstanding // 30, 0), "overdue_principal_fen": outstanding // 40,
        "overdue_interest_fen": overdue_interest, "penalty_due_fen": np.zeros(rows, dtype=np.int64),
        "outstanding_principal_fen": outstanding, "claim_balance_fen": outstanding + overdue_interest,
        "paid_to_date_fen": rng.integers(0, 1_000_000_00, rows), "overpaid_fen": np.zeros(rows, dtype=np.int64),
        "instalments_due": rng.integers(0, 60, rows).astype(np.int32),
        "instalments_overdue": (dpd // 30).astype(np.int32),
        "on_time_streak": np.where(dpd > 0, 0, rng.integers(0, 12, rows)).astype(np.int32),
        "last_paid_date": day - rng.integers(0, 60, rows).astype("timedelta64[D]"),
        "next_due_date": day + rng.integers(1, 90, rows).astype("timedelta64[D]"),
        "periods_per_year": np.where(quarterly, 4, 12).astype(np.int32),
    })  # fmt: skip
    appraised = rng.random(rows) < 0.7
    twice = appraised & (rng.random(rows) < 0.5)
    value = (outstanding * rng.uniform(0.3, 1.6, rows)).astype(np.int64)
    valued = day - rng.integers(0, 500, rows).astype("timedelta64[D]")
    latest = pl.DataFrame({"contract_no": numbers, "asset_id": np.char.add("A", numbers),
                           "valuation_date": valued, "disposal_value_fen": value}).filter(appraised)  # fmt: skip
    earlier = pl.DataFrame({
        "contract_no": numbers, "asset_id": np.char.add("A", numbers),
        "valuation_date": valued - np.timedelta64(365, "D"),
        "disposal_value_fen": (value * rng.uniform(0.9, 1.5, rows)).astype(np.int64),
    }).filter(twice)  # fmt: skip
    had_class = rng.random(rows) < 0.9
    from_class = np.array(CLASSES)[rng.choice(5, rows, p=[0.85, 0.07, 0.04, 0.02, 0.02])]
    previous = pl.DataFrame({"contract_no": numbers, "from_class": from_class})
    restructured = rng.random(rows) < 0.01
    return {
        "positions": positions.with_columns(pl.col("as_of", "last_paid_date", "next_due_date").cast(pl.Date)),
        "lessee_types": pl.DataFrame({"contract_no": numbers,
                                      "lessee_type": np.where(rng.random(rows) < 0.35, "individual", "enterprise")}),
        "valuations": pl.concat([latest, earlier]).with_columns(pl.col("valuation_date").cast(pl.Date)),
        "previous": previous.filter(had_class),
        "restructured": pl.DataFrame({"contract_no": numbers,
                                      "restructured_date": day - rng.integers(0, 800, rows).astype("timedelta64[D]")})
        .filter(restructured).with_columns(pl.col("restructured_date").cast(pl.Date)),
    }  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_classify_columnar")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the best is reported")
    args = parser.parse_args(argv)
    timings: list[dict[str, object]] = []

    def timed(work: Callable[[], Any]) -> tuple[float, Any]:
        best, result = float("inf"), None
        for _ in range(args.repeat):
            began = time.perf_counter()
            result = work()
            best = min(best, time.perf_counter() - began)
        return best, result

    began = time.perf_counter()
    data = synthetic_inputs(args.rows, args.seed)
    timings.append({"measure": "generate inputs (not counted)", "seconds": round(time.perf_counter() - began, 2),
                    "detail": f"{args.rows:,} positions, {data['valuations'].height:,} appraisals"})  # fmt: skip
    con = ibis.duckdb.connect()
    began = time.perf_counter()
    tables = {
        name: con.create_table(f"lg_{name}", frame.to_arrow(), overwrite=True) for name, frame in data.items()
    }
    timings.append({"measure": "load inputs into DuckDB tables (not counted)",
                    "seconds": round(time.perf_counter() - began, 2), "detail": "create_table from Arrow"})  # fmt: skip
    for rule_set in SHIPPED:
        rules = load_rule_set(rule_set)

        def embedded(rules: Any = rules) -> pl.DataFrame:
            return classify(
                data["positions"], rules, lessee_types=data["lessee_types"],
                collateral=collateral_on(data["valuations"], AS_OF), previous=data["previous"],
                restructured=data["restructured"],
            )  # fmt: skip

        embedded_seconds, expected = timed(embedded)
        expr = classify_expr(
            tables["positions"], rules, lessee_types=tables["lessee_types"],
            collateral=collateral_expr(tables["valuations"], AS_OF), previous=tables["previous"],
            restructured=tables["restructured"],
        )  # fmt: skip
        loaded_seconds, arrow = timed(expr.to_pyarrow)
        ours = pl.from_arrow(arrow).cast(expected.schema)  # type: ignore[union-attr]
        assert_frame_equal(ours.sort("contract_no"), expected.sort("contract_no"))
        assert expected["contract_no"].equals(data["positions"]["contract_no"])  # the positions' row order
        non_performing = expected.filter(pl.col("class").is_in(["substandard", "doubtful", "loss"])).height
        detail = f"{args.rows:,} rows, {non_performing:,} non-performing, results equal"
        timings.append({"measure": f"{rule_set}: collateral_on + classify (Polars in, DuckDB, Polars out)",
                        "seconds": round(embedded_seconds, 2), "detail": detail})  # fmt: skip
        collateral_seconds, _ = timed(lambda: collateral_on(data["valuations"], AS_OF))
        timings.append({"measure": f"{rule_set}: of which collateral_on", "seconds": round(collateral_seconds, 2),
                        "detail": f"{data['valuations'].height:,} appraisals"})  # fmt: skip
        timings.append({"measure": f"{rule_set}: classify_expr on DuckDB tables, to Arrow",
                        "seconds": round(loaded_seconds, 2), "detail": "inputs already in DuckDB"})  # fmt: skip
        compile_seconds, _ = timed(lambda expr=expr: ibis.to_sql(expr, dialect="duckdb"))
        timings.append({"measure": f"{rule_set}: compiling the expression to SQL",
                        "seconds": round(compile_seconds, 2), "detail": "once per rule set and inputs"})  # fmt: skip
    publish("classify_columnar", f"Classification of {args.rows:,} positions on the embedded engine", timings)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
