"""Shared output of the benchmarks: a Rich table on the console and a JSON file with the machine."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def publish(name: str, title: str, rows: list[dict[str, Any]]) -> Path:
    """Print `rows` as a table titled `title` and write them to benchmarks/results/<name>.json."""
    table = Table(title=title)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, justify="right" if isinstance(rows[0][column], int | float) else "left")
    for row in rows:
        table.add_row(*(f"{row[c]:,.2f}" if isinstance(row[c], float) else str(row[c]) for c in columns))
    Console().print(table)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).isoformat(),
        "machine": machine(),
        "rows": rows,
    }
    out.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    Console().print(f"wrote {out}")
    return out
