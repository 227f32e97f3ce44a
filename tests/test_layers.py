"""Layers hold: the regulated engines never depend on the synthetic-data generator (the first wave built the
book's schedules with `synth`), and domain logic does not import the edges (CLI, API)."""

from __future__ import annotations

import subprocess
import sys

ENGINES = (
    "leaseguard.portfolio.positions", "leaseguard.classification.daily", "leaseguard.indicators.engine",
    "leaseguard.enforcement.casefiles", "leaseguard.credit.decide", "leaseguard.registry.register",
    "leaseguard.warning.service", "leaseguard.ingest.service", "leaseguard.usecases.asset_check",
    "leaseguard.usecases.credit_decision",
)  # fmt: skip


def test_the_engines_load_without_the_generator_or_the_edges() -> None:
    probe = (
        "import importlib, sys\n"
        f"for name in {ENGINES!r}:\n"
        "    importlib.import_module(name)\n"
        "edges = ('leaseguard.synth', 'leaseguard.cli', 'leaseguard.api')\n"
        "print(sorted(m for m in sys.modules if m.startswith(edges)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
