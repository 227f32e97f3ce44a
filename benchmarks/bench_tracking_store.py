"""Tracking store speed (tracking.storage): `StoreTerminalKeeper.keep` throughput in reports per second for
batches of 100 and 1,000 reports, then the reads with about a million positions stored (a full day of
30-second reports of 350 terminals, each bound to its own asset): the last position of an asset, and one day's
track of an asset (a page of 500 points, and the whole day of 2,880), on SQLite and on PostgreSQL.

Standalone (the gateway's benchmark measures frames to stored end to end): `python -m benchmarks tracking_store`
or `python -m benchmarks.bench_tracking_store --positions 100000`."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from benchmarks.report import publish
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.tracking.jt808 import GMT8, Location
from leaseguard.tracking.ports import PositionReport
from leaseguard.tracking.storage import StoreTerminalKeeper, asset_track, last_positions

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = dt.date(2026, 12, 3)
PER_DAY = 2_880  # one report every 30 s
# A whole 0x0200 frame (2013 header; mileage, signal and satellites items): 57 bytes, kept with every report.
RAW = bytes.fromhex(
    "7e02000028013800138001000a000000000000000301dc9c8a073d9fa4000c016d005a26120308000001040000001230011f3101125c7e"
)


def _terminal(n: int) -> str:
    return f"1380{n:07d}"


def _seed(engine: Engine, terminals: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("insert into lessors (code, name) values ('L001', 'bench'), ('L002', 'other')")
        )
        connection.execute(
            text(
                "insert into assets (lessor, asset_id, asset_type, lessee_id, lessee_name) "
                "values (:lessor, :asset, 'vehicle', 'P', 'P')"
            ),
            [{"lessor": "L001", "asset": f"A-{n:05d}"} for n in range(terminals)],
        )
        connection.execute(
            text(
                "insert into trackers (lessor, asset_id, terminal_phone, terminal_id, installed_on, kind) "
                "values ('L001', :asset, :phone, 'T', '2026-01-01', 'wired')"
            ),
            [{"asset": f"A-{n:05d}", "phone": _terminal(n)} for n in range(terminals)],
        )


def _report(phone: str, at: dt.datetime, rng: random.Random) -> PositionReport:
    location = Location(
        alarm=[],
        status=["acc_on", "positioned"],
        latitude=31.0 + rng.random(),
        longitude=121.0 + rng.random(),
        altitude=12,
        speed_kmh=round(rng.random() * 800) / 10,
        direction=rng.randrange(360),
        time=at.isoformat(),
        extras={"mileage_km": 1.8, "signal": 31, "satellites": 18},
        alarm_word=0,
        status_word=3,
    )
    return PositionReport(phone, 0x0200, 1, (at + dt.timedelta(seconds=1)).astimezone(dt.UTC), location, RAW)


def _reports(terminals: int, slots: range, day: dt.date, seed: int) -> Iterator[PositionReport]:
    """Every terminal's report of each 30-second slot, slot after slot, as a gateway receives them."""
    rng = random.Random(seed)
    start = dt.datetime.combine(day, dt.time(), GMT8)
    for slot in slots:
        at = start + dt.timedelta(seconds=30 * slot)
        for n in range(terminals):
            yield _report(_terminal(n), at, rng)


def _batches(reports: Iterator[PositionReport], size: int) -> Iterator[list[PositionReport]]:
    batch: list[PositionReport] = []
    for report in reports:
        batch.append(report)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _throughput(keeper: StoreTerminalKeeper, batches: list[list[PositionReport]]) -> dict[str, Any]:
    samples = []
    for batch in batches:
        started = time.perf_counter()
        keeper.keep(batch)
        samples.append(time.perf_counter() - started)
    reports = sum(len(batch) for batch in batches)
    ordered = sorted(samples)
    return {
        "reports": reports,
        "reports_per_s": reports / sum(samples),
        "median_batch_ms": statistics.median(samples) * 1000,
        "p99_batch_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
    }


def _latency(call: Callable[[], Any], repeat: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)
    return {"median_ms": statistics.median(samples), "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)]}


def measure(engine: Engine, store: str, positions: int) -> list[dict[str, Any]]:
    terminals = max(1, positions // PER_DAY)
    _seed(engine, max(terminals, 1_000))
    keeper = StoreTerminalKeeper(engine)
    rows: list[dict[str, Any]] = []
    warm_day = DAY - dt.timedelta(days=1)
    # Throughput: 1,000 terminals reporting, on the day before the read benchmark's day.
    for size, count in ((100, 100), (1_000, 20)):
        slots = range(0, size * count // 1_000 + 1)
        batches = list(_batches(_reports(1_000, slots, warm_day, size), size))[:count]
        rows.append({"store": store, "case": f"keep(), batches of {size:,}", **_throughput(keeper, batches)})
    # A day of 30-second reports of `terminals` terminals, kept in batches of 1,000 (also timed).
    started = time.perf_counter()
    filled = 0
    for batch in _batches(_reports(terminals, range(PER_DAY), DAY, 1), 1_000):
        keeper.keep(batch)
        filled += len(batch)
        if filled % 200_000 < 1_000:
            print(f"  {store}: {filled:>9,} positions  {time.perf_counter() - started:6.1f} s", flush=True)
    seconds = time.perf_counter() - started
    rows.append(
        {
            "store": store,
            "case": f"fill {filled:,} positions, batches of 1,000",
            "reports": filled,
            "reports_per_s": filled / seconds,
            "median_batch_ms": 0.0,
            "p99_batch_ms": 0.0,
        }
    )
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("analyze"))
        stored = connection.execute(text("select count(*) from tracking_positions")).scalar_one()
        rng = random.Random(2)
        assets = [f"A-{n:05d}" for n in range(terminals)]

        def last() -> None:
            assert last_positions(connection, "L001", rng.choice(assets))

        def page() -> None:
            assert len(asset_track(connection, "L001", rng.choice(assets), DAY, limit=500)) == 500

        def whole_day() -> None:
            assert len(asset_track(connection, "L001", rng.choice(assets), DAY, limit=3_000)) == PER_DAY

        for case, call, repeat in (
            ("last position of an asset", last, 500),
            ("one day's track, a page of 500", page, 100),
            (f"one day's track, all {PER_DAY:,} points", whole_day, 30),
        ):
            rows.append({"store": store, "case": f"{case} ({stored:,} stored)", **_latency(call, repeat)})
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tracking_store", description=__doc__)
    parser.add_argument("--positions", type=int, default=1_000_000, help="positions stored before the reads")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    keeps: list[dict[str, Any]] = []
    reads: list[dict[str, Any]] = []

    def split(rows: list[dict[str, Any]]) -> None:
        keeps.extend(row for row in rows if "reports" in row)
        reads.extend(row for row in rows if "median_ms" in row)

    with tempfile.TemporaryDirectory(prefix="lg-bench-tracking-") as folder:
        engine = create_store_engine(f"sqlite:///{Path(folder) / 'store.db'}")
        try:
            upgrade_schema(engine)
            split(measure(engine, "SQLite", args.positions))
        finally:
            engine.dispose()
    if not args.skip_postgres:
        schema = f"lg_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres_url)
        try:
            with admin.begin() as connection:
                connection.execute(text(f'create schema "{schema}"'))
            engine = create_store_engine(f"{args.postgres_url}?options=-csearch_path%3D{schema}")
            try:
                upgrade_schema(engine)
                split(measure(engine, "PostgreSQL", args.positions))
            finally:
                engine.dispose()
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema if exists "{schema}" cascade'))
            admin.dispose()
    publish("tracking_store_keep", "Tracking store: keep() throughput", keeps)
    publish("tracking_store_reads", f"Tracking store: reads with ~{args.positions:,} positions", reads)


if __name__ == "__main__":
    main(sys.argv[1:])
