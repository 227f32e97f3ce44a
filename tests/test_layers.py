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


# Domain logic: frames and values in, frames and values out. The store's reads live in each capability's
# reader modules (portfolio.book_store, registry.register, enforcement.service, credit.service, …).
PURE = (
    "leaseguard.portfolio.positions", "leaseguard.portfolio.schedule", "leaseguard.portfolio.allocation",
    "leaseguard.classification.classify", "leaseguard.classification.reasons", "leaseguard.registry.check",
    "leaseguard.registry.normalize", "leaseguard.registry.identifiers", "leaseguard.enforcement.claims",
    "leaseguard.enforcement.courts", "leaseguard.enforcement.complaint", "leaseguard.enforcement.tracking",
    "leaseguard.credit.decide", "leaseguard.credit.scorecard", "leaseguard.credit.features",
    "leaseguard.indicators.engine", "leaseguard.indicators.quantities", "leaseguard.warning.signals",
    "leaseguard.warning.tiers", "leaseguard.analytics.vintage", "leaseguard.analytics.roll_rates",
    "leaseguard.analytics.classes", "leaseguard.analytics.summary",
)  # fmt: skip


def test_domain_logic_loads_without_the_store() -> None:
    probe = (
        "import importlib, sys\n"
        f"for name in {PURE!r}:\n"
        "    importlib.import_module(name)\n"
        "store = ('sqlalchemy', 'leaseguard.store', 'adbc_driver_sqlite', 'leaseguard.synth', 'leaseguard.cli',\n"
        "         'leaseguard.api')\n"
        "print(sorted({m.split('.')[0] if not m.startswith('leaseguard') else m for m in sys.modules\n"
        "              if m.startswith(store)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
