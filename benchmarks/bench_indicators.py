"""Regulatory indicators over a large book: read one lessor's classified day from a SQLite store and compute
every indicator of a rule set (concentrations, RWA, provisions), for each shipped rule set.

The store is filled here directly (contracts and one day of contract_classes, seeded), so the figures are
those of reading and computing the indicators, not of the daily run that would store the classes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.report import publish
from leaseguard.indicators.engine import compute_report
from leaseguard.indicators.rules import SHIPPED, load_risk_weights, load_rule_set
from leaseguard.indicators.service import read_book
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.synth.balance_sheet import synthetic_balance_sheet

AS_OF = dt.date(2026, 10, 31)
CLASSES = np.array(["normal", "special_mention", "substandard", "doubtful", "loss"])


def fill_store(path: Path, contracts: int, seed: int) -> tuple[int, int]:
    """Write `contracts` contracts of lessor L001 and their classes on AS_OF; returns (receivables, provisions)."""
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    numbers = np.char.add("C", np.char.zfill(np.arange(contracts).astype(str), 8))
    lessees = rng.integers(0, int(contracts * 0.65), contracts)
    lessee_ids = np.char.add("P", lessees.astype(str))
    groups = np.where(lessees % 7 == 0, np.char.add("G", (lessees // 70).astype(str)), "")
    individual = (lessees % 3 == 0) & (groups == "")
    related = rng.random(contracts) < 0.02
    sizes = np.array(["", "sme", "small", "micro", "large"])[rng.integers(0, 5, contracts)]
    klass = CLASSES[np.searchsorted([0.9, 0.95, 0.97, 0.985], rng.random(contracts))]
    claim = rng.integers(0, 2_000_000_00, contracts)
    rates = {"normal": 0.0, "special_mention": 0.02, "substandard": 0.25, "doubtful": 0.5, "loss": 1.0}
    provision = (claim * np.vectorize(rates.get)(klass)).astype(np.int64)
    residual = rng.integers(0, 50_000_00, contracts)
    connection = sqlite3.connect(path)
    connection.execute("insert into lessors (code, name) values ('L001', 'Bench Leasing')")
    connection.executemany(
        "insert into contracts (contract_no, lessor, lessee_id, lessee_name, lessee_type, group_id, related_party, "
        "industry, start_date, term_months, principal_fen, annual_rate, method, frequency, residual_value_fen, "
        "deposit_fen, extra) values (?, 'L001', ?, ?, ?, ?, ?, 'transport', '2024-01-01', 36, ?, 0.06, 'annuity', "
        "'monthly', ?, 0, ?)",
        (
            (n, lid, f"Lessee {lid}", "individual" if ind else "enterprise", g or None, int(rel), int(c), int(r),
             json.dumps({"enterprise_size": s}) if s else None)
            for n, lid, ind, g, rel, c, r, s in zip(
                numbers.tolist(), lessee_ids.tolist(), individual.tolist(), groups.tolist(), related.tolist(),
                claim.tolist(), residual.tolist(), sizes.tolist(), strict=True,
            )
        ),
    )  # fmt: skip
    connection.executemany(
        "insert into contract_classes (as_of, contract_no, lessor, dpd, outstanding_principal_fen, "
        'overdue_amount_fen, claim_balance_fen, "class", deciding_rule, reasons, provision_fen) '
        "values (?, ?, 'L001', 0, ?, 0, ?, ?, 'bench', '', ?)",
        (
            (AS_OF.isoformat(), n, int(c), int(c), k, int(p))
            for n, c, k, p in zip(
                numbers.tolist(), claim.tolist(), klass.tolist(), provision.tolist(), strict=True
            )
        ),
    )
    connection.execute(
        "insert into book_runs (as_of, lessor, rule_set, rule_set_version, rule_set_sha256, contracts, changes, "
        "provisions_fen, general_reserve_fen, finished_at) "
        "values (?, 'L001', 'bench', 1, '', ?, 0, ?, 0, '2026-11-23T00:00:00+00:00')",
        (AS_OF.isoformat(), contracts, int(provision.sum())),
    )
    connection.commit()
    connection.close()
    return int(claim.sum()), int(provision.sum())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_indicators")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lg-bench-indicators-") as folder:
        path = Path(folder) / "store.db"
        started = time.perf_counter()
        receivables, provisions = fill_store(path, args.contracts, args.seed)
        filled = time.perf_counter() - started
        engine = create_store_engine(f"sqlite:///{path}")
        weights = load_risk_weights()
        sheet = synthetic_balance_sheet("L001", AS_OF, lease_receivables_fen=receivables,
                                        required_provisions_fen=provisions, shareholder_ids=("P0", "P1"))  # fmt: skip
        for name in SHIPPED:
            rule_set = load_rule_set(name)
            began = time.perf_counter()
            book = read_book(engine, "L001", AS_OF)
            read = time.perf_counter() - began
            report = compute_report(rule_set, sheet, book, weights, as_of=AS_OF)
            total = time.perf_counter() - began
            rows.append({
                "rule set": name, "indicators": len(report.results), "contracts": book.height,
                "read (s)": round(read, 2), "compute (s)": round(total - read, 2), "total (s)": round(total, 2),
                "alerts": len(report.alerts()),
            })  # fmt: skip
        engine.dispose()
    rows.append({"rule set": "(filling the store, not counted)", "indicators": 0, "contracts": args.contracts,
                 "read (s)": 0.0, "compute (s)": 0.0, "total (s)": round(filled, 1), "alerts": 0})  # fmt: skip
    publish("indicators", f"Regulatory indicators, {args.contracts:,} contracts, read + compute", rows)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
