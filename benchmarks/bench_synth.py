"""Synthetic book generation speed: N contracts with their assets, payments, valuations and labels."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.report import publish
from leaseguard.synth import generate_book


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_synth")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="lg-bench-synth-"))
    stage_seconds: dict[str, float] = {}
    current: list[tuple[str, float]] = []

    def progress(stage: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        if current:
            name, since = current.pop()
            stage_seconds[name] = now - since
        current.append((stage, now))

    started = time.perf_counter()
    book = generate_book(out, contracts=args.contracts, seed=args.seed, progress=progress)
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in book.files.values())
    rows = [
        {
            "measure": "whole book (s)",
            "value": round(seconds, 1),
            "detail": f"{book.contracts:,} contracts, {book.payments:,} payments, {size / 1e6:,.0f} MB",
        },
        *(
            {"measure": f"stage: {stage} (s)", "value": round(spent, 1), "detail": ""}
            for stage, spent in stage_seconds.items()
        ),
        {
            "measure": "frauds injected",
            "value": sum(book.frauds.values()),
            "detail": ", ".join(f"{kind} {count:,}" for kind, count in book.frauds.items()),
        },
        {"measure": "defaulted contracts", "value": book.defaulted, "detail": ""},
        {"measure": "valuations", "value": book.valuations, "detail": ""},
    ]
    publish("synth", f"Synthetic book of {args.contracts:,} contracts", rows)
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
