"""Evidence log speed: batched appends and proofs on SQLite against pymerkle on the same machine, and the
inclusion-proof time of a log of ten million leaves built through the real append path."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from benchmarks.report import publish
from leaseguard.evidence import merkle, service
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import NewRecord, Provenance
from leaseguard.store.db import create_store_engine, upgrade_schema

PROVENANCE = Provenance("bench", "leaseguard benchmark")


def _event(n: int) -> bytes:
    # About the size of an asset-check or payment event.
    return b'{"asset":"LSVAA%012d","check":"ownership","lessor":"ALPHA","verdict":"green","rules":7}' % n


def _store(folder: Path, name: str) -> Engine:
    engine = create_store_engine(f"sqlite:///{folder / name}")
    upgrade_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("insert into lessors (code, name) values ('ALPHA', 'Alpha')"))
    return engine


def _append(engine: Engine, signer: NoteSigner, total: int, batch: int, progress: bool = False) -> float:
    """Seconds to append `total` events in batches of `batch`, each batch one transaction and one checkpoint."""
    started = time.perf_counter()
    for start in range(0, total, batch):
        records = [
            NewRecord(_event(n), PROVENANCE, kind="asset-check")
            for n in range(start, min(total, start + batch))
        ]
        service.append_records(engine, records, lessor="ALPHA", signer=signer)
        if progress and (start // batch) % 20 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {start + len(records):>12,} leaves  {elapsed:7.1f} s", flush=True)
    return time.perf_counter() - started


def _timed(call: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _proof_row(name: str, size: int, samples: list[float]) -> dict[str, Any]:
    samples = sorted(samples)
    return {
        "case": name,
        "leaves": size,
        "per_second": 0.0,
        "median_ms": statistics.median(samples),
        "p99_ms": samples[int(len(samples) * 0.99) - 1] if len(samples) >= 100 else samples[-1],
    }


def compare_with_pymerkle(folder: Path, signer: NoteSigner, total: int, batch: int) -> list[dict[str, Any]]:
    import pymerkle

    rows: list[dict[str, Any]] = []
    engine = _store(folder, "compare.db")
    seconds = _append(engine, signer, total, batch)
    rows.append(
        {
            "case": f"leaseguard append, SQLite, batches of {batch:,}",
            "leaves": total,
            "per_second": total / seconds,
            "median_ms": 0.0,
            "p99_ms": 0.0,
        }
    )
    picks = [random.randrange(total) for _ in range(300)]
    with engine.connect() as connection:
        it = iter(picks * 2)
        samples = _timed(lambda: service.inclusion_proof(connection, next(it)), len(picks))
        root = service.tree_root(connection)
        proof = service.inclusion_proof(connection, picks[0])
        merkle.verify_inclusion(proof.leaf_hash, picks[0], total, proof.path, root)
    rows.append(_proof_row("leaseguard inclusion proof (store)", total, samples))
    engine.dispose()

    data = [_event(n) for n in range(total)]
    sqlite_tree = pymerkle.SqliteTree(str(folder / "pymerkle.db"))
    started = time.perf_counter()
    sqlite_tree.append_entries(data, chunksize=batch)
    seconds = time.perf_counter() - started
    rows.append(
        {
            "case": "pymerkle SqliteTree.append_entries",
            "leaves": total,
            "per_second": total / seconds,
            "median_ms": 0.0,
            "p99_ms": 0.0,
        }
    )
    assert sqlite_tree.get_root() == merkle.root_hash([merkle.leaf_hash(item) for item in data])
    it = iter(picks)
    samples = _timed(lambda: sqlite_tree.prove_inclusion(next(it) + 1), 30)
    rows.append(_proof_row("pymerkle SqliteTree.prove_inclusion", total, samples))
    sqlite_tree.close()

    memory_tree = pymerkle.InmemoryTree()
    started = time.perf_counter()
    for item in data:
        memory_tree.append_entry(item)
    seconds = time.perf_counter() - started
    rows.append(
        {
            "case": "pymerkle InmemoryTree.append_entry",
            "leaves": total,
            "per_second": total / seconds,
            "median_ms": 0.0,
            "p99_ms": 0.0,
        }
    )
    it = iter(picks)
    samples = _timed(lambda: memory_tree.prove_inclusion(next(it) + 1), len(picks))
    rows.append(_proof_row("pymerkle InmemoryTree.prove_inclusion", total, samples))
    return rows


def big_log(folder: Path, signer: NoteSigner, total: int, batch: int) -> list[dict[str, Any]]:
    engine = _store(folder, "big.db")
    print(f"building a log of {total:,} leaves in {folder / 'big.db'} …", flush=True)
    seconds = _append(engine, signer, total, batch, progress=True)
    rows: list[dict[str, Any]] = [
        {
            "case": f"build by append_records, batches of {batch:,}",
            "leaves": total,
            "per_second": total / seconds,
            "median_ms": 0.0,
            "p99_ms": 0.0,
        }
    ]
    picks = [random.randrange(total) for _ in range(1000)]
    with engine.connect() as connection:
        root = service.tree_root(connection)
        for index in picks[:20]:
            proof = service.inclusion_proof(connection, index)
            merkle.verify_inclusion(proof.leaf_hash, index, total, proof.path, root)
        it = iter(picks)
        rows.append(
            _proof_row(
                "inclusion proof", total, _timed(lambda: service.inclusion_proof(connection, next(it)), 1000)
            )
        )
        olds = iter(random.randrange(1, total) for _ in range(200))
        rows.append(
            _proof_row(
                "consistency proof to current",
                total,
                _timed(lambda: service.consistency_proof(connection, next(olds)), 200),
            )
        )
    size_mb = (folder / "big.db").stat().st_size / 1e6
    rows.append(
        {
            "case": f"SQLite file size (MB): {size_mb:,.0f}",
            "leaves": total,
            "per_second": 0.0,
            "median_ms": 0.0,
            "p99_ms": 0.0,
        }
    )
    engine.dispose()
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks evidence")
    parser.add_argument("--compare", type=int, default=100_000, help="leaves for the pymerkle comparison")
    parser.add_argument("--big", type=int, default=10_000_000, help="leaves of the big log (0: skip)")
    parser.add_argument("--batch", type=int, default=10_000, help="records per append batch")
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the databases (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    random.seed(20261123)
    signer = NoteSigner("leaseguard.bench/log", Ed25519PrivateKey.generate())
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        rows = compare_with_pymerkle(Path(folder), signer, args.compare, args.batch)
        if args.big:
            rows += big_log(Path(folder), signer, args.big, max(args.batch, 50_000))
    publish("evidence", "Evidence log: appends and proofs (SQLite) vs pymerkle", rows)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
