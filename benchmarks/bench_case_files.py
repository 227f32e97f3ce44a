"""Court-ready case files in batch: a synthetic book is loaded into a SQLite workspace and classified, then
`generate_case_files` writes N complete case files (complaint and preservation application as DOCX + PDF,
claim, exhibit list, evidence bundle) for its non-performing contracts, each with a delivered demand on record.
Only the generation is timed; the issue asks 1,000 in under 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.report import publish
from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.enforcement.casefiles import generate_case_files, select_contracts
from leaseguard.enforcement.records import record_notice
from leaseguard.enforcement.rules import load_claim_rules
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.synth import generate_book
from leaseguard.workspace import init_workspace

AS_OF = dt.date(2026, 10, 31)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_case_files")
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--contracts", type=int, default=40_000, help="size of the synthetic book")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="lg-bench-cases-"))
    try:
        workspace = init_workspace(folder / "ws")
        engine = workspace.engine()
        started = time.perf_counter()
        generate_book(folder / "book", contracts=args.contracts, seed=args.seed, as_of=AS_OF)
        import_paths(engine, [folder / "book"])
        run_days(engine, [AS_OF], load_rule_set("cbirc-2023"))
        prepared = time.perf_counter() - started
        with (
            engine.connect() as connection
        ):  # contagion makes some contracts non-performing with nothing overdue
            overdue = set(
                connection.execute(text("select contract_no from contract_classes where dpd > 0")).scalars()
            )
        chosen = [no for no, _, _ in select_contracts(engine, AS_OF) if no in overdue][: args.cases]
        for contract_no in chosen:  # a complaint rests on a delivered demand whose period is over
            record_notice(engine, None, contract_no=contract_no, lessor=None, sent_on=AS_OF - dt.timedelta(days=30),
                          delivered_on=AS_OF - dt.timedelta(days=28), method="ems", deadline_days=15)  # fmt: skip
        prepared = time.perf_counter() - started
        started = time.perf_counter()
        summary = generate_case_files(
            engine, AS_OF, folder / "cases", load_claim_rules(None), log_settings(workspace).signer,
            contracts=chosen,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        engine.dispose()
        size = sum(p.stat().st_size for p in (folder / "cases").rglob("*") if p.is_file())
        rows = [
            {"measure": "book prepared (synth, import, daily run)", "value": round(prepared, 1),
             "detail": f"{args.contracts:,} contracts"},
            {"measure": "case files generated", "value": summary.generated,
             "detail": f"{summary.skipped:,} skipped with a reason, of {len(chosen):,} non-performing in arrears"},
            {"measure": "generation (s)", "value": round(seconds, 1),
             "detail": f"{size / 1e6:,.0f} MB written; target < 60 s for 1,000"},
            {"measure": "per case file (ms)", "value": round(seconds * 1000 / max(summary.generated, 1), 1),
             "detail": "complaint and preservation DOCX + PDF, claim, exhibits, evidence bundle"},
        ]  # fmt: skip
        publish("case_files", f"Case files: {summary.generated:,} on {AS_OF}", rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
