"""`leaseguard serve --workers 2` as a user runs it: two processes answer checks concurrently, every check is
recorded once, and the evidence log they share stays one consistent tree."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from conftest import migrated_store, register_files
from leaseguard.evidence import merkle, service
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.store.models import AssetCheck, EvidenceRecord, Lessor
from leaseguard.synth import generate_book
from leaseguard.tenancy import create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

CHECKS = 48


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, str]]:
    """A workspace with a small synthetic book, served by two worker processes; yields (base, key, url)."""
    monkeypatch.delenv(HOME_ENV, raising=False)
    environment = {k: v for k, v in os.environ.items() if k not in (HOME_ENV, DATABASE_URL_ENV)}
    if request.param == "postgresql":
        url = migrated_store(request, tmp_path)
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        environment[DATABASE_URL_ENV] = url
    else:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    workspace = init_workspace(tmp_path / "ws")
    generate_book(tmp_path / "book", contracts=300, seed=5)
    engine = workspace.engine()
    import_paths(engine, register_files(tmp_path / "book"))
    with session_factory(engine)() as session, session.begin():
        first_lessor = session.execute(select(Lessor.code).order_by(Lessor.code)).scalars().first()
        assert first_lessor is not None
        key = create_key(session, lessor=first_lessor, role="analyst", label="workers").key
    engine.dispose()
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "leaseguard.cli.main", "serve", "--workers", "2"),
            *("--port", str(port), "-w", str(workspace.root)),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=1) as probe:
        while True:
            try:
                if probe.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"serve did not start: {process.stderr.read().decode() if process.stderr else ''}"
                )
            time.sleep(0.2)
    try:
        yield base, key, workspace.database_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_two_workers_answer_concurrent_checks_and_share_one_evidence_log(
    served: tuple[str, str, str],
) -> None:
    base, key, url = served
    bodies = [{"vin": f"LSVAB2BX0N{n:07d}"} for n in range(CHECKS)]

    # One client for every thread (it is thread-safe): a client each costs an SSL context, ~20 ms of CPU.
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(max_workers=12) as pool:

        def check(body: dict[str, str]) -> httpx.Response:
            return client.post(f"{base}/v1/assets/check", json=body, headers={"X-API-Key": key})

        responses = list(pool.map(check, bodies))
    assert [r.status_code for r in responses] == [200] * CHECKS, [
        r.text for r in responses if r.status_code != 200
    ]
    answered = [r.json() for r in responses]
    engine = create_store_engine(url)
    with session_factory(engine)() as session:
        checks = session.execute(select(AssetCheck.id, AssetCheck.evidence_index)).all()
        entries = (
            session.execute(select(EvidenceRecord.entry).order_by(EvidenceRecord.leaf_index)).scalars().all()
        )
    # Every answer is one stored check with its own leaf, and the leaves are 0..n-1 without a gap.
    assert sorted(a["check_id"] for a in answered) == sorted(row.id for row in checks)
    assert sorted(a["evidence_index"] for a in answered) == list(range(CHECKS))
    assert len(entries) == CHECKS
    # The tree both workers appended to is the tree of the stored entries, in order.
    assert service.tree_root(engine) == merkle.root_hash(merkle.leaf_hash(bytes(e)) for e in entries)
    engine.dispose()
