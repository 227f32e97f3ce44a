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
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="lg-bench-synth-"))
    started = time.perf_counter()
    book = generate_book(out, contracts=args.contracts, seed=1)
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in book.files.values())
    publish(
        "synth",
        f"Synthetic book of {args.contracts:,} contracts",
        [
            {
                "contracts": book.contracts,
                "assets": book.assets,
                "payments": book.payments,
                "frauds": sum(book.frauds.values()),
                "seconds": round(seconds, 1),
                "MB written": round(size / 1e6, 1),
            }
        ],
    )
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
