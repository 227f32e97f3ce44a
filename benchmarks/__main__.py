"""`python -m benchmarks [NAME...]` runs every benchmark (or the named ones) with its default sizes."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    names = argv or sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_")
    )
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        module.main([])


if __name__ == "__main__":
    main(sys.argv[1:])
