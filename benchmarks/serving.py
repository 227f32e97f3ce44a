"""`leaseguard serve` started as a user starts it, in its own processes, for the benchmarks that measure what
ships over HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx


def serve(
    workspace_root: Path, port: int, workers: int, *, ready_path: str, wait_seconds: float, poll: float
) -> subprocess.Popen[bytes]:
    """The server, returned once `ready_path` answers 200; it is killed if it stops or is not ready in time."""
    process = subprocess.Popen(
        [sys.executable, "-m", "leaseguard.cli.main", "serve", "-w", str(workspace_root),
         "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("leaseguard serve did not start")
        time.sleep(poll)
