"""The JT/T 808 gateway (issue 20): (a) how many location frames one core decodes a second (target 100,000), and
(b) the gateway under simulated terminals — the gateway in a process of its own with an in-memory keeper or
(`--store sqlite|postgresql`) the store's keeper on a new store, the terminals (`tracking.simulate`) in this one
— reporting sent, answered, lost, positions stored, the p50/p99 from send to reply as the terminals see it, the
p50/p99 from frame received to stored as the gateway measures it, and the machine's load average before and
after. Issue 20's full run is 10,000 terminals every 30 s for 10 minutes, on each store:
`python -m benchmarks.bench_tracking --terminals 10000 --interval 30 --duration 600 --store sqlite`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import publish


def _location_frames(count: int, seed: int = 20) -> list[bytes]:
    """`count` distinct location frames (positions, times, phones and extras vary), as terminals send them."""
    import datetime as dt

    from leaseguard.tracking.simulate import _Walk
    from leaseguard.tracking.terminal import Terminal

    rng = random.Random(seed)
    start = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    frames = []
    for index in range(count):
        walk = _Walk(rng)
        walk.step(30)
        # a different second each: the decoder's time reading gets no help from repeated times
        fix = dataclasses.replace(walk.fix(0), time=start + dt.timedelta(seconds=index))
        version = 2019 if index % 2 else 2013
        frames.append(Terminal(f"139{index:08d}", version).location(fix))
    return frames


def _decode_rate(frames: list[bytes], passes: int) -> dict[str, Any]:
    from leaseguard.tracking.jt808 import FrameSplitter, decode

    best = 0.0
    for _ in range(passes):
        started = time.perf_counter()
        for frame in frames:
            decode(frame)
        best = max(best, len(frames) / (time.perf_counter() - started))
    stream = b"".join(frames)
    split_best = 0.0
    for _ in range(passes):
        splitter = FrameSplitter()
        started = time.perf_counter()
        for frame in splitter.feed(stream):
            decode(frame)
        split_best = max(split_best, len(frames) / (time.perf_counter() - started))
    return {"decode_per_s": round(best), "split_and_decode_per_s": round(split_best)}


def _serve(port_out: Any, stop: Any, stats_out: Any, store_url: str | None) -> None:
    """The gateway's process: an in-memory keeper, or the store at `store_url`; sends its port, then its stats
    once told to stop."""
    from sqlalchemy import func, select

    from leaseguard.store.db import create_store_engine
    from leaseguard.store.models import TrackingPosition, UnboundReport
    from leaseguard.tracking.gateway import Gateway
    from leaseguard.tracking.memory import MemoryKeeper
    from leaseguard.tracking.simulate import raise_open_files_limit
    from leaseguard.tracking.storage import StoreTerminalKeeper

    raise_open_files_limit(65536)

    async def main() -> None:
        engine = create_store_engine(store_url) if store_url else None
        keeper = StoreTerminalKeeper(engine) if engine is not None else MemoryKeeper()
        gateway = Gateway(keeper)
        port_out.send(await gateway.start("127.0.0.1", 0))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, stop.wait)
        await gateway.stop()
        snapshot = gateway.stats.snapshot()
        if isinstance(keeper, MemoryKeeper):
            snapshot["kept"] = len(keeper.reports)
            snapshot["batches"] = keeper.batches
        elif engine is not None:
            with engine.connect() as connection:
                snapshot["kept"] = sum(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                    for table in (TrackingPosition, UnboundReport)
                )
            snapshot["batches"] = None
            engine.dispose()
        stats_out.send(snapshot)

    asyncio.run(main())


def _postgres_server() -> tuple[str, str]:
    """The PostgreSQL server at LEASEGUARD_BENCH_POSTGRES_URL (default the local test database), and the schema
    this run makes there."""
    server = os.environ.get(
        "LEASEGUARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    return server, f"lg_bench_tracking_{os.getpid()}"


def _drop_schema() -> None:
    from sqlalchemy import create_engine, text

    server, schema = _postgres_server()
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'drop schema if exists "{schema}" cascade'))
    admin.dispose()


def _store_url(store: str, folder: Path) -> str | None:
    """A new, migrated store for the run: a SQLite file in `folder`, or a fresh schema of the PostgreSQL
    server (`_postgres_server`; dropped after the run)."""
    from sqlalchemy import create_engine, text

    from leaseguard.store.db import create_store_engine, upgrade_schema

    if store == "memory":
        return None
    if store == "sqlite":
        url = f"sqlite:///{folder / 'tracking.db'}"
    else:
        server, schema = _postgres_server()
        admin = create_engine(server)
        with admin.begin() as connection:
            connection.execute(text(f'drop schema if exists "{schema}" cascade'))
            connection.execute(text(f'create schema "{schema}"'))
        admin.dispose()
        url = f"{server}?options=-csearch_path%3D{schema}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    return url


def _gateway_run(
    terminals: int, interval: float, duration: float, seed: int, store_url: str | None = None
) -> dict[str, Any]:
    from leaseguard.tracking.simulate import Simulation, raise_open_files_limit, simulate

    raise_open_files_limit(terminals + 1024)
    context = multiprocessing.get_context("spawn")
    port_in, port_out = context.Pipe(duplex=False)
    stats_in, stats_out = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=_serve, args=(port_out, stop, stats_out, store_url), daemon=True)
    server.start()
    try:
        port = port_in.recv()
        plan = Simulation(terminals, interval, duration, port=port, seed=seed)
        result = asyncio.run(simulate(plan))
    finally:
        stop.set()
    gateway = stats_in.recv()
    server.join(30)
    summary = result.summary()
    return {
        "terminals": terminals,
        "interval_s": interval,
        "duration_s": duration,
        "authenticated": summary["authenticated"],
        "sent": summary["sent"],
        "positions_sent": summary["positions"],
        "answered": summary["answered"],
        "lost": summary["lost"],
        "refused": summary["refused"],
        "positions_stored": gateway["kept"],
        "dropped": gateway["dropped_total"],
        "store_batches": gateway["batches"],
        "reply_p50_ms": summary["latency_p50_ms"],
        "reply_p99_ms": summary["latency_p99_ms"],
        "stored_p50_ms": gateway["store_latency_p50_ms"],
        "stored_p99_ms": gateway["store_latency_p99_ms"],
        "failures": len(result.failures),
    }


def _load() -> str:
    """The machine's load average (1, 5, 15 minutes): the runs share a 2-core machine."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "—"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tracking")
    parser.add_argument("--frames", type=int, default=20_000, help="distinct location frames to decode")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--terminals", type=int, default=1_000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--skip-gateway", action="store_true", help="measure decoding only")
    parser.add_argument(
        "--store",
        choices=("memory", "sqlite", "postgresql"),
        default="memory",
        help="where the gateway keeps the positions: in memory, a new SQLite file, or a new PostgreSQL schema",
    )
    args = parser.parse_args(argv)

    frames = _location_frames(args.frames, args.seed)
    rate = _decode_rate(frames, args.passes)
    rows: list[dict[str, Any]] = [
        {"measure": "location frames decoded per second, one core", "value": rate["decode_per_s"]},
        {"measure": "  cut from one stream and decoded per second", "value": rate["split_and_decode_per_s"]},
    ]
    if not args.skip_gateway:
        with tempfile.TemporaryDirectory() as folder:
            store_url = _store_url(args.store, Path(folder))
            load_before = _load()
            try:
                run = _gateway_run(args.terminals, args.interval, args.duration, args.seed, store_url)
            finally:
                if args.store == "postgresql":
                    _drop_schema()
            run["load_average_before"], run["load_average_after"] = load_before, _load()
        rows += [{"measure": f"gateway: {key}", "value": value} for key, value in run.items()]
    name = "tracking" if args.store == "memory" else f"tracking_{args.store}"
    publish(name, f"JT/T 808 decoding and gateway ({args.store} keeper)", rows)


if __name__ == "__main__":
    main(sys.argv[1:])
