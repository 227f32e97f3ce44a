"""Portfolio analytics and early warning over a large book: N contracts × M month-ends of positions.

The positions are generated here (a random walk of arrears per contract, in the shared positions schema), so
the figures are those of the analytics and warning computations alone, not of the positions engine that
feeds them in production. Each month-end is handed over as a ready Polars frame, as the engine would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.report import publish
from leaseguard.analytics.calendar import month_ends
from leaseguard.analytics.classes import class_migration, npl_ratios
from leaseguard.analytics.report import write_report
from leaseguard.analytics.rules import load_analytics_rules
from leaseguard.analytics.service import compute_analytics
from leaseguard.warning.model import load_model
from leaseguard.warning.rules import load_warning_rules
from leaseguard.warning.service import compute_warnings

AS_OF = dt.date(2026, 10, 31)
INDUSTRIES = ("transport", "construction", "medical", "retail", "manufacturing", "mining", "agriculture")


def synthetic_history(
    contracts: int, months: int, seed: int
) -> tuple[pl.DataFrame, dict[dt.date, pl.DataFrame]]:
    rng = np.random.default_rng(seed)
    dates = month_ends(dt.date(AS_OF.year - (months // 12) - 1, 1, 1), AS_OF)[-months:]
    first = np.datetime64(dates[0], "D")
    start = first - rng.integers(0, 720, contracts).astype("timedelta64[D]")
    start = start + rng.integers(0, 30 * months, contracts).astype("timedelta64[D]") // 2
    numbers = np.char.add("C", np.char.zfill(np.arange(contracts).astype(str), 8))
    lessors = np.array(["L001", "L002", "L003", "L004", "L005"])[rng.integers(0, 5, contracts)]
    principal = rng.integers(50_000_00, 2_000_000_00, contracts)
    risk = rng.beta(1, 25, contracts)
    book = pl.DataFrame({
        "contract_no": numbers, "lessor": lessors,
        "lessee_id": np.char.add("P", rng.integers(0, int(contracts * 0.65), contracts).astype(str)),
        "lessee_type": np.where(rng.random(contracts) < 0.35, "individual", "enterprise"),
        "industry": np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), contracts)],
        "start_date": start, "principal_fen": principal, "annual_rate": rng.uniform(0.05, 0.09, contracts),
        "region": np.array(["31", "44", "33", "32", "11", "51"])[rng.integers(0, 6, contracts)],
        "asset_type": np.array(["vehicle", "machinery", "medical"])[rng.integers(0, 3, contracts)],
        "product": np.where(rng.random(contracts) < 0.7, "sale_leaseback", "direct"),
    })  # fmt: skip
    term_days = rng.choice([365, 730, 1095, 1460], contracts)
    dpd = np.zeros(contracts, dtype=np.int32)
    history: dict[dt.date, pl.DataFrame] = {}
    for day in dates:
        today = np.datetime64(day, "D")
        age = (today - start).astype(np.int64)
        started = age >= 0
        missed = started & (rng.random(contracts) < risk)
        cured = rng.random(contracts) < 0.5
        dpd = np.where(missed, dpd + 30, np.where(cured, 0, np.where(dpd > 0, dpd + 30, 0))).astype(np.int32)
        dpd = np.where(started, dpd, 0).astype(np.int32)
        left = np.clip(1 - age / term_days, 0, 1)
        outstanding = (principal * left).astype(np.int64)
        status = np.where(
            ~started,
            "not_started",
            np.where(left <= 0, np.where(dpd > 0, "matured_unpaid", "settled"), "active"),
        )
        overdue = (dpd // 30 * principal // 36).astype(np.int64)
        history[day] = pl.DataFrame({
            "contract_no": numbers, "lessor": lessors, "lessee_id": book["lessee_id"].to_numpy(), "as_of": day,
            "status": status, "dpd": dpd, "overdue_amount_fen": overdue, "outstanding_principal_fen": outstanding,
            "claim_balance_fen": outstanding + overdue // 10, "paid_to_date_fen": principal - outstanding,
            "instalments_due": np.clip(age // 30, 0, None).astype(np.int32),
            "instalments_overdue": (dpd // 30).astype(np.int32),
            "on_time_streak": np.where(dpd > 0, 0, np.clip(age // 30, 0, 12)).astype(np.int32),
        })  # fmt: skip
    return book, history


def classes_of(frame: pl.DataFrame) -> pl.DataFrame:
    dpd = pl.col("dpd")
    return frame.filter(pl.col("status").is_in(["active", "matured_unpaid"])).select(
        "contract_no",
        pl.when(dpd >= 360).then(pl.lit("loss")).when(dpd >= 180).then(pl.lit("doubtful"))
        .when(dpd >= 90).then(pl.lit("substandard")).when(dpd > 0).then(pl.lit("special_mention"))
        .otherwise(pl.lit("normal")).alias("class"),
    )  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_book_analytics")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rules, warning_rules, model = load_analytics_rules(), load_warning_rules(), load_model()
    started = time.perf_counter()
    book, history = synthetic_history(args.contracts, args.months, args.seed)
    generated = time.perf_counter() - started
    rows_total = sum(frame.height for frame in history.values())
    classes = {day: classes_of(frame) for day, frame in history.items()}
    dates = sorted(history)
    timings: list[dict[str, object]] = []

    def timed(measure: str, detail: str, work):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        result = work()
        timings.append(
            {"measure": measure, "seconds": round(time.perf_counter() - began, 2), "detail": detail}
        )
        return result

    first_day = book["start_date"].min()
    history_from = max(dates[0], first_day) if isinstance(first_day, dt.date) else dates[0]
    result = timed(
        "analytics: vintage + roll rates + migration + NPL",
        f"{args.contracts:,} contracts × {len(dates)} month-ends ({rows_total:,} position rows)",
        lambda: compute_analytics(
            AS_OF, book, history.__getitem__, classes.get, rules, history_from=history_from
        ),
    )
    timed("  NPL ratios alone (5 dimensions)", f"{classes[AS_OF].height:,} classified",
          lambda: npl_ratios(classes[AS_OF].join(history[AS_OF].select("contract_no", "claim_balance_fen"),
                                                 on="contract_no").join(book, on="contract_no"), rules))  # fmt: skip
    timed("  class migration alone", "previous month-end → as_of",
          lambda: class_migration(classes[dates[-2]], classes[AS_OF], rules))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lg-bench-analytics-") as out:
        written = timed("report: CSV + XLSX + PNG + HTML", "", lambda: write_report(result, rules, Path(out)))
        timings[-1]["detail"] = f"{len(written.tables)} tables, {len(written.charts)} charts"
    valuations = pl.DataFrame(
        schema={"contract_no": pl.String, "valuation_date": pl.Date, "disposal_value_fen": pl.Int64}
    )
    warnings = timed(
        "early warning: score + signals + tiers",
        f"{warning_rules.history_months} month-ends of history",
        lambda: compute_warnings(AS_OF, book, history.__getitem__, valuations, model, warning_rules, rules),
    )
    timings[-1]["detail"] = f"{warnings.height:,} live contracts, " + timings[-1]["detail"]  # type: ignore[operator]
    timings.insert(0, {"measure": "generate positions history (not counted)", "seconds": round(generated, 1),
                       "detail": f"{rows_total:,} rows"})  # fmt: skip
    publish("book_analytics", f"Book analytics and early warning, {args.contracts:,} contracts", timings)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
