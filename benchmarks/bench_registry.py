"""Ownership check: latency of one check (in process and over HTTP), screening a whole book, quality on the
labelled synthetic book (recall per alteration, precision of `block`), and splink on the same file."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from benchmarks.report import publish
from benchmarks.serving import serve
from leaseguard.ingest import import_paths
from leaseguard.registry.check import AssetFacts
from leaseguard.registry.register import Register
from leaseguard.registry.rules import load_rules
from leaseguard.registry.screen import screen_register
from leaseguard.store.db import session_factory
from leaseguard.synth import generate_book
from leaseguard.tenancy import create_key
from leaseguard.workspace import find_workspace, init_workspace

# Independent HTTP clients the load is spread over.
CLIENTS = 16
# Seconds of load at the full rate before the measured requests.
WARM_UP_SECONDS = 5


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _facts(row: dict[str, Any], lessor: str) -> AssetFacts:
    amount = row.get("invoice_amount")
    return AssetFacts(
        lessor=lessor,
        asset_type=row.get("asset_type"),
        vin=row.get("vin"),
        serial_no=row.get("serial_no"),
        engine_no=row.get("engine_no"),
        manufacturer=row.get("manufacturer"),
        model=row.get("model"),
        invoice_code=row.get("invoice_code"),
        invoice_no=row.get("invoice_no"),
        invoice_amount_fen=None if amount in (None, "") else round(float(amount) * 100),
        lessee_id=row.get("lessee_id"),
    )


def measure_checks(register: Register, assets: pl.DataFrame, count: int) -> dict[str, float]:
    sample = assets.sample(n=min(count, assets.height), seed=7).iter_rows(named=True)
    timings: list[float] = []
    for row in sample:
        asked = _facts(row, "ZZZ")
        started = time.perf_counter()
        register.check(asked)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": statistics.median(timings),
        "p99_ms": _percentile(timings, 0.99),
        "checks": len(timings),
    }


def _serve(workspace_root: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`leaseguard serve` with `workers` processes, ready when /v1/health answers."""
    return serve(workspace_root, port, workers, ready_path="/v1/health", wait_seconds=120, poll=0.2)


async def _load(
    base: str, key: str, bodies: list[dict[str, Any]], rate: float, clients: int = CLIENTS
) -> list[float]:
    """Send `bodies` at `rate` per second on a fixed schedule (open loop: a slow answer does not slow the
    arrivals), spread over `clients` independent clients with their own connections, as the lessors of a
    consortium would; latency i, of request i, runs from its scheduled send to its answer."""
    latencies = [float("inf")] * len(bodies)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    # Without TCP_NODELAY a request sent as headers then body waits for the server's delayed ACK.
    transports = [
        httpx.AsyncHTTPTransport(limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        for _ in range(clients)
    ]
    pool = [
        httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=120, transport=transport)
        for transport in transports
    ]

    async def one(client: httpx.AsyncClient, index: int, body: dict[str, Any], scheduled: float) -> None:
        try:
            response = await client.post("/v1/assets/check", json=body)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        # A failed request counts as the slowest possible answer, so it cannot flatter the percentiles.
        latencies[index] = (time.perf_counter() - scheduled) * 1000 if ok else float("inf")

    tasks = []
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(pool[i % clients], i, body, scheduled)))
    await asyncio.gather(*tasks)
    for client in pool:
        await client.aclose()
    return latencies


def _http_load_process(base: str, key: str, bodies: list[dict[str, Any]], rate: float, out: Any) -> None:
    out.put(asyncio.run(_load(base, key, bodies, rate)))


def measure_http(
    workspace_root: Path, key: str, assets: pl.DataFrame, rate: float, seconds: float, workers: int
) -> dict[str, float]:
    server = _serve(workspace_root, 8765, workers)
    fields = (
        "asset_type",
        "vin",
        "serial_no",
        "engine_no",
        "manufacturer",
        "model",
        "invoice_code",
        "invoice_no",
    )
    bodies = [
        {k: row[k] for k in fields if row.get(k)}
        for row in assets.sample(n=int(rate * seconds), seed=11, with_replacement=True).iter_rows(named=True)
    ]
    try:
        # Wait until every worker has built its register, as a server does once after start-up: a worker that
        # answers a check in under a second has its register (the first check of a cold one waits for the build).
        warm_deadline = time.monotonic() + 900
        fast_answers = 0
        while fast_answers < 4 * workers and time.monotonic() < warm_deadline:
            started = time.perf_counter()
            httpx.post(
                "http://127.0.0.1:8765/v1/assets/check",
                json=bodies[0],
                headers={"X-API-Key": key},
                timeout=900,
            ).raise_for_status()
            fast_answers = fast_answers + 1 if time.perf_counter() - started < 1 else 0
        # The load comes from another process, so the client's own work does not slow the server it measures.
        queue: Any = multiprocessing.get_context("spawn").Queue()
        # The first seconds at full rate (new connections, cold caches) are run but not measured.
        warm_up = bodies[: int(rate * WARM_UP_SECONDS)]
        process = multiprocessing.get_context("spawn").Process(
            target=_http_load_process, args=("http://127.0.0.1:8765", key, warm_up + bodies, rate, queue)
        )
        process.start()
        latencies: list[float] = queue.get()[len(warm_up) :]
        process.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "requests": len(latencies),
        "failed": sum(latency == float("inf") for latency in latencies),
    }


def measure_quality(result_matches: pl.DataFrame, truth: pl.DataFrame) -> list[dict[str, Any]]:
    """Recall of injected duplicates per alteration count/kind, and precision of `block` pairs."""

    def key(a_l: str, a_id: str, b_l: str, b_id: str) -> tuple[tuple[str, str], tuple[str, str]]:
        first, second = sorted([(a_l, a_id), (b_l, b_id)])
        return first, second

    found = {
        key(r["lessor_a"], r["asset_id_a"], r["lessor_b"], r["asset_id_b"]): r["verdict"]
        for r in result_matches.iter_rows(named=True)
    }
    injected = {
        key(r["lessor"], r["asset_id"], r["other_lessor"], r["other_asset_id"]): r
        for r in truth.iter_rows(named=True)
        if r["other_lessor"] and r["other_asset_id"]
    }
    rows: list[dict[str, Any]] = []
    by_group: dict[str, list[bool]] = {}
    for pair, truth_row in injected.items():
        alterations = [a for a in (truth_row.get("alterations") or "").split(";") if a]
        hard = [a for a in alterations if a.split(":")[0] in {"drop", "double", "change", "swap"}]
        groups = [
            f"kind={truth_row['kind']}",
            f"alterations={min(len(alterations), 3)}{'+' if len(alterations) >= 3 else ''}",
        ]
        if len(alterations) <= 2:
            groups.append("alterations<=2 (the target: recall >= 99%)")
        groups += [f"alteration={a.split(':')[0]}" for a in alterations] or ["alteration=none"]
        groups.append(f"hard_edits={len(hard)}")
        for group in groups:
            by_group.setdefault(group, []).append(pair in found)
    for group, hits in sorted(by_group.items()):
        rows.append(
            {"measure": f"recall {group}", "value": round(100 * sum(hits) / len(hits), 2), "n": len(hits)}
        )
    blocks = [pair for pair, verdict in found.items() if verdict == "block"]
    true_blocks = [pair for pair in blocks if pair in injected]
    rows.append(
        {
            "measure": "precision of block",
            "value": round(100 * len(true_blocks) / max(1, len(blocks)), 2),
            "n": len(blocks),
        }
    )
    return rows


def run_splink(assets_csv: Path, *, block_at: float = 0.99, review_at: float = 0.9) -> pl.DataFrame:
    """splink 5 (DuckDB backend) deduplicating the same assets file: Fellegi-Sunter with Damerau-Levenshtein
    on the identifiers, trained unsupervised (u by random sampling, m by EM). It gets the same noise folding we
    do (case, width, spaces, hyphens) so the comparison is about matching, not cleaning. Pairs at or above
    `block_at` are called block, at or above `review_at` review."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def clean(column: str) -> pl.Expr:
        folded = pl.col(column).str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
        return pl.when(folded == "").then(None).otherwise(folded).alias(column)

    frame = (
        pl.read_csv(assets_csv, infer_schema=False)
        .with_row_index("unique_id")
        .with_columns(
            clean("vin"),
            clean("engine_no"),
            clean("serial_no"),
            pl.concat_str(clean("invoice_code"), clean("invoice_no"), separator="/").alias("invoice"),
        )
        .select("unique_id", "lessor", "asset_id", "vin", "engine_no", "serial_no", "invoice", "manufacturer")
    )
    db_api = DuckDBAPI(connection=duckdb.connect())
    table = db_api.register(frame.to_arrow())
    identifiers = ("vin", "engine_no", "serial_no")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            *(cl.DamerauLevenshteinAtThresholds(name, [1, 2]) for name in identifiers),
            cl.ExactMatch("invoice"),
            cl.ExactMatch("manufacturer"),
        ],
        # Exact identifiers, and the tail of each: an edit in the head leaves the tail intact. Blocking on
        # the head would pair every unit of a production series with every other (millions of pairs per
        # model), so an edit in the tail is found only when the invoice agrees: what blocking cannot reach,
        # splink cannot score.
        blocking_rules_to_generate_predictions=[
            *(block_on(name) for name in identifiers),
            block_on("invoice"),
            block_on("substr(vin, 10, 8)"),
            block_on("substr(engine_no, length(engine_no) - 5, 6)"),
            block_on("substr(serial_no, length(serial_no) - 5, 6)"),
        ],
        retain_matching_columns=False,
        additional_columns_to_retain=["lessor", "asset_id"],
    )
    linker = Linker(table, settings, log_level="ERROR")
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000)
    for rule in ("vin", "engine_no", "serial_no"):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
    predictions = linker.inference.predict(threshold_match_probability=review_at)
    pairs = pl.from_arrow(predictions.as_duckdbpyrelation().arrow())
    assert isinstance(pairs, pl.DataFrame)
    return pairs.select(
        pl.col("lessor_l").alias("lessor_a"),
        pl.col("asset_id_l").alias("asset_id_a"),
        pl.col("lessor_r").alias("lessor_b"),
        pl.col("asset_id_r").alias("asset_id_b"),
        pl.when(pl.col("match_probability") >= block_at)
        .then(pl.lit("block"))
        .otherwise(pl.lit("review"))
        .alias("verdict"),
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_registry")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2, help="processes of `leaseguard serve`")
    parser.add_argument("--skip-splink", action="store_true", help="do not run splink on the same file")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lg-bench-registry-"))
    rows: list[dict[str, Any]] = []

    started = time.perf_counter()
    if (workdir / "ws" / "leaseguard.yaml").exists():
        # A workdir of an earlier run: same book, same store (its recorded checks only grow).
        workspace = find_workspace(workdir / "ws")
        engine = workspace.engine()
    else:
        workspace = init_workspace(workdir / "ws")
        book = generate_book(workdir / "book", contracts=args.contracts, seed=1)
        engine = workspace.engine()
        # The check reads the register only; payments are not needed here (bench_import measures them).
        import_paths(
            engine, [workdir / "book" / f"{name}.csv" for name in ("lessors", "contracts", "assets")]
        )
        rows.append(
            {
                "measure": "synth + import (s)",
                "value": round(time.perf_counter() - started, 1),
                "n": book.assets,
            }
        )

    started = time.perf_counter()
    register = Register.from_engine(engine, load_rules())
    load_seconds = time.perf_counter() - started
    rows.append(
        {
            "measure": "load + index register (s)",
            "value": round(load_seconds, 1),
            "n": len(register),
        }
    )

    assets = pl.read_csv(workdir / "book" / "assets.csv", infer_schema=False)
    checks = measure_checks(register, assets, args.checks)
    rows.append(
        {
            "measure": "one check in process p50 (ms)",
            "value": round(checks["p50_ms"], 2),
            "n": int(checks["checks"]),
        }
    )
    rows.append(
        {
            "measure": "one check in process p99 (ms)",
            "value": round(checks["p99_ms"], 2),
            "n": int(checks["checks"]),
        }
    )

    with session_factory(engine)() as session, session.begin():
        key = create_key(session, lessor=str(assets["lessor"][0]), role="analyst", label="bench").key
    http = measure_http(workspace.root, key, assets, args.rate, args.seconds, args.workers)
    rows.append(
        {
            "measure": f"HTTP check at {args.rate:.0f} req/s, {args.workers} workers, p50 (ms)",
            "value": round(http["p50_ms"], 2),
            "n": int(http["requests"]),
        }
    )
    rows.append(
        {
            "measure": f"HTTP check at {args.rate:.0f} req/s, {args.workers} workers, p99 (ms)",
            "value": round(http["p99_ms"], 2),
            "n": int(http["requests"]),
        }
    )
    rows.append({"measure": "HTTP requests failed", "value": int(http["failed"]), "n": int(http["requests"])})

    started = time.perf_counter()
    result = screen_register(register)
    screen_seconds = time.perf_counter() - started
    rows.append(
        {
            "measure": "screen whole book (s)",
            "value": round(screen_seconds, 1),
            "n": result.candidate_pairs,
        }
    )
    truth = pl.read_csv(workdir / "book" / "ground_truth.csv", infer_schema=False)
    ours = measure_quality(result.matches, truth)
    rows.extend(ours)
    engine.dispose()
    publish("registry", f"Ownership check on {len(register):,} registered assets", rows)
    if args.skip_splink:
        return

    started = time.perf_counter()
    splink_matches = run_splink(workdir / "book" / "assets.csv")
    splink_seconds = time.perf_counter() - started
    theirs = {row["measure"]: row for row in measure_quality(splink_matches, truth)}
    side_by_side: list[dict[str, Any]] = [
        {
            "measure": "screen whole book end to end (s)",
            "leaseguard": round(load_seconds + screen_seconds, 1),
            "splink": round(splink_seconds, 1),
            "n": len(register),
        }
    ]
    side_by_side += [
        {
            "measure": r["measure"],
            "leaseguard": r["value"],
            "splink": theirs[r["measure"]]["value"],
            "n": r["n"],
        }
        for r in ours
        if r["measure"] != "precision of block"
    ]
    side_by_side.append(
        {
            "measure": "precision of block (pairs called block)",
            "leaseguard": ours[-1]["value"],
            "splink": theirs["precision of block"]["value"],
            "n": f"{ours[-1]['n']} / {theirs['precision of block']['n']}",
        }
    )
    publish(
        "registry_vs_splink",
        f"leaseguard screen and splink 5 (DuckDB) on {len(register):,} assets",
        side_by_side,
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
