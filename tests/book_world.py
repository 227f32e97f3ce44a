"""A synthetic book (leaseguard.synth, seeded) of the console world's two lessors, for /book and the daily-run
jobs: 300 contracts, the synth's lessors L001 and L002 renamed ALPHA and BETA, imported as files and classified on
two run days (so there are moves of class between them).

The lessors ALPHA and BETA are expected in the store already (console_world.served_console adds them)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.ingest import import_paths
from leaseguard.synth import generate_book

RUN_DAYS = (dt.date(2026, 9, 30), dt.date(2026, 10, 31))
CONTRACTS = 300
CODES = {"L001": "ALPHA", "L002": "BETA"}


def synth_files(folder: Path) -> Path:
    """The synthetic book's files with the console world's lessor codes, in `folder`/book."""
    generated = folder / "synth"
    generate_book(generated, contracts=CONTRACTS, seed=7, lessors=2)
    out = folder / "book"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("contracts", "assets", "valuations"):
        frame = pl.read_csv(generated / f"{name}.csv", infer_schema=False)
        frame.with_columns(pl.col("lessor").replace(CODES)).write_csv(out / f"{name}.csv")
    shutil.copy(generated / "payments.csv", out / "payments.csv")
    return out


def seed_synth_book(engine: Engine, folder: Path) -> None:
    """Import the book into the store behind `engine` and run the two days."""
    runs = import_paths(engine, [synth_files(folder)])
    assert all(run.rejected == 0 for run in runs), runs
    run_days(engine, list(RUN_DAYS), load_rule_set("cbirc-2023"))
