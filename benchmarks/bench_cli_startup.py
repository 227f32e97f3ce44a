"""How long the command line takes to answer: `leaseguard --help` and a capability's `--help`, each run as a
fresh process (the best of five, so a cold disk cache does not count), and what one real command costs to
start. Target (issue 16): well under a second for help."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import publish

COMMANDS = (
    ("leaseguard --help", ["--help"]),
    ("leaseguard cases --help", ["cases", "--help"]),
    ("leaseguard cases generate --help", ["cases", "generate", "--help"]),
    ("leaseguard credit decide --help", ["credit", "decide", "--help"]),
    ("leaseguard book export --help", ["book", "export", "--help"]),
    ("leaseguard assets check --help", ["assets", "check", "--help"]),
)


def _best(arguments: list[str], runs: int) -> float:
    executable = shutil.which("leaseguard") or str(Path(sys.executable).with_name("leaseguard"))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([executable, *arguments], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cli_startup")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = [
        {"measure": f"{label} (s)", "value": round(_best(arguments, args.runs), 3), "runs": args.runs}
        for label, arguments in COMMANDS
    ]
    publish("cli_startup", "Command-line start-up", rows)


if __name__ == "__main__":
    main(sys.argv[1:])
