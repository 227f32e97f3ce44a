"""Population stability: how far recent applications have drifted from the training population, for the
score and for every feature; an alert when the PSI passes the threshold in defaults/credit/monitor.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# A share of zero would make the PSI infinite; a bin that empties is still counted as a large shift.
MIN_SHARE = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two vectors of bin shares."""
    e = np.clip(np.asarray(expected, dtype=np.float64), MIN_SHARE, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), MIN_SHARE, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class Baseline:
    """Bins of one variable and the training population's share in each (last bin: missing)."""

    kind: str  # numeric (edges) or categorical (categories)
    edges: list[float]
    categories: list[str]
    shares: list[float]

    def counts(self, column: np.ndarray) -> np.ndarray:
        if self.kind == "numeric":
            values = column.astype(np.float64)
            bins = np.searchsorted(np.asarray(self.edges), values, side="right")
            bins[np.isnan(values)] = len(self.edges) + 1
            return np.bincount(bins, minlength=len(self.edges) + 2)
        lookup = {c: i for i, c in enumerate(self.categories)}
        other = len(self.categories)
        bins = np.fromiter(
            (lookup.get(str(v), other) if v is not None else other for v in column), np.int64, len(column)
        )
        return np.bincount(bins, minlength=other + 1)

    def psi_of(self, column: np.ndarray) -> float:
        counts = self.counts(column)
        return psi(np.asarray(self.shares), counts / max(1, counts.sum()))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": self.edges, "categories": self.categories, "shares": self.shares}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(str(data["kind"]), list(data["edges"]), list(data["categories"]), list(data["shares"]))


def baseline_of(column: np.ndarray, kind: str, bins: int = 10) -> Baseline:
    """Quantile bins of a numeric column (or its categories plus "unseen or missing"), with their shares."""
    if kind == "numeric":
        values = column.astype(np.float64)
        present = values[~np.isnan(values)]
        quantiles = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]) if len(present) else np.array([])
        edges = sorted({float(q) for q in quantiles})
        draft = Baseline("numeric", edges, [], [])
    else:
        draft = Baseline("categorical", [], sorted({str(v) for v in column if v is not None}), [])
    counts = draft.counts(column)
    return Baseline(draft.kind, draft.edges, draft.categories, [float(c) for c in counts / counts.sum()])


@dataclass(frozen=True)
class Drift:
    variable: str
    psi: float
    alert: bool


def population_drift(
    baselines: Mapping[str, Baseline], columns: Mapping[str, np.ndarray], threshold: float
) -> list[Drift]:
    """PSI of every variable that has a baseline and a column, worst first."""
    out = [
        Drift(name, round(baseline.psi_of(columns[name]), 4), False)
        for name, baseline in baselines.items()
        if name in columns
    ]
    out = [Drift(d.variable, d.psi, d.psi > threshold) for d in out]
    return sorted(out, key=lambda d: -d.psi)
