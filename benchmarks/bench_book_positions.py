"""The book engine: read the store, build every instalment, say where every contract stands on a day; then
the whole daily run (positions, classes, provisions, stored in one transaction)."""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.report import publish
from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.book_store import read_book
from leaseguard.portfolio.positions import BookPositions
from leaseguard.store.db import upgrade_schema
from leaseguard.synth import generate_book
from leaseguard.workspace import find_workspace, init_workspace


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_book_positions")
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="reuse the book and store of an earlier run"
    )
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lg-bench-positions-"))
    rows: list[dict[str, Any]] = []
    if (workdir / "ws" / "leaseguard.yaml").exists():
        engine = find_workspace(workdir / "ws").engine()
    else:
        started = time.perf_counter()
        workspace = init_workspace(workdir / "ws")
        generate_book(workdir / "book", contracts=args.contracts, seed=1)
        engine = workspace.engine()
        kinds = ("lessors", "contracts", "assets", "payments", "valuations")
        import_paths(engine, [workdir / "book" / f"{n}.csv" for n in kinds])
        rows.append(
            {"measure": "synth + import (s)", "value": round(time.perf_counter() - started, 1), "n": 0}
        )

    started = time.perf_counter()
    contracts, payments, schedule_lines = read_book(engine)
    rows.append({"measure": "read contracts and payments (s)", "value": round(time.perf_counter() - started, 2),
                 "n": payments.height})  # fmt: skip
    started = time.perf_counter()
    book = BookPositions.from_frames(contracts, payments, schedule_lines)
    rows.append({"measure": "build instalments, allocate payments (s)",
                 "value": round(time.perf_counter() - started, 2), "n": book.instalments.height})  # fmt: skip
    started = time.perf_counter()
    positions = book.at(args.as_of)
    rows.append({"measure": f"positions on {args.as_of} (s)", "value": round(time.perf_counter() - started, 2),
                 "n": positions.height})  # fmt: skip
    total = sum(float(r["value"]) for r in rows if r["measure"] != "synth + import (s)")
    rows.append(
        {"measure": "store to positions, end to end (s)", "value": round(total, 2), "n": contracts.height}
    )
    penalty = Allocation(penalty_daily_rate=Decimal("0.0005"))
    started = time.perf_counter()
    charged = BookPositions.from_frames(contracts, payments, schedule_lines, penalty)
    rows.append({"measure": "build and allocate with penalty 0.05 %/day (s)",
                 "value": round(time.perf_counter() - started, 2), "n": charged.payments.height})  # fmt: skip
    started = time.perf_counter()
    owed = charged.at(args.as_of)["penalty_due_fen"]
    rows.append({"measure": "positions with penalty (s)", "value": round(time.perf_counter() - started, 2),
                 "n": int((owed > 0).sum())})  # fmt: skip
    del book, charged, payments
    upgrade_schema(engine)
    signer = log_settings(find_workspace(workdir / "ws")).signer
    for rules in ("leasing-indicators-trial", "cbirc-2023"):
        started = time.perf_counter()
        [result] = run_days(engine, [args.as_of], load_rule_set(rules), signer=signer)
        rows.append({"measure": f"daily run ({rules}): read, position, classify, provision, store, evidence (s)",
                     "value": round(time.perf_counter() - started, 2), "n": result.contracts})  # fmt: skip
    engine.dispose()
    publish("book_positions", f"Positions and the daily run of {contracts.height:,} contracts", rows)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
