"""Screen a whole book: every pair (and cluster) of registrations that are the same asset, in one pass.

Candidate pairs come from the indexes' shared keys (a self-join of sorted hashes, so sequential neighbours
that share no key are never compared); each candidate pair then goes through the same `compare` as a single
check, so a batch and a check never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from leaseguard.registry.check import AssetFacts, Match, Verdict, compare
from leaseguard.registry.register import Register

MATCH_COLUMNS = (
    "lessor_a",
    "asset_id_a",
    "lessor_b",
    "asset_id_b",
    "match_kind",
    "score",
    "verdict",
    "cluster_id",
    "reasons",
)


@dataclass(frozen=True)
class ScreenResult:
    matches: pl.DataFrame  # MATCH_COLUMNS, one row per pair with verdict review or block
    candidate_pairs: int
    assets: int


def _clusters(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Connected components over matched pairs (union-find): each row → its cluster's smallest row."""
    parent: dict[int, int] = {}

    def find(row: int) -> int:
        parent.setdefault(row, row)
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return {row: find(row) for row in parent}


def screen_register(
    register: Register,
    *,
    only_rows: set[int] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreenResult:
    """All matching pairs in `register`; with `only_rows`, only pairs touching those rows (a file being screened)."""
    lessees = register.assets["lessee_id"]
    indexes = register.indexes
    candidates = (
        pl.concat(
            [
                indexes["vin"].pairs(suspect_rows=register.invalid_vin_rows, groups=lessees),
                indexes["engine_no"].pairs(groups=lessees),
                indexes["serial_no"].pairs(groups=lessees),
                indexes["invoice"].pairs(),
                indexes["purchase_terms"].pairs(),
                indexes["purchase_contract"].pairs(),
            ]
        )
        .unique()
        .sort("row_a", "row_b")
    )
    if only_rows is not None:
        wanted = pl.Series(sorted(only_rows), dtype=candidates["row_a"].dtype).implode()
        candidates = candidates.filter(pl.col("row_a").is_in(wanted) | pl.col("row_b").is_in(wanted))
    total = candidates.height
    facts_cache: dict[int, AssetFacts] = {}

    def facts(row: int) -> AssetFacts:
        if row not in facts_cache:
            facts_cache[row] = register.facts(row)
        return facts_cache[row]

    found: list[tuple[int, int, Match]] = []
    for done, (row_a, row_b) in enumerate(candidates.iter_rows(), start=1):
        match = compare(facts(row_a), facts(row_b), register.rules)
        if match is not None and match.verdict is not Verdict.CLEAR:
            found.append((row_a, row_b, match))
        if progress and (done % 50_000 == 0 or done == total):
            progress("compare candidate pairs", done, total)
    clusters = _clusters([(a, b) for a, b, _ in found])
    matches = pl.DataFrame(
        {
            "lessor_a": [facts(a).lessor for a, _, _ in found],
            "asset_id_a": [facts(a).asset_id for a, _, _ in found],
            "lessor_b": [m.registration.lessor for _, _, m in found],
            "asset_id_b": [m.registration.asset_id for _, _, m in found],
            "match_kind": [m.match_kind for _, _, m in found],
            "score": [m.score for _, _, m in found],
            "verdict": [m.verdict.value for _, _, m in found],
            "cluster_id": [clusters[a] for a, _, _ in found],
            "reasons": ["; ".join(m.reasons) for _, _, m in found],
        },
        schema={
            "lessor_a": pl.String,
            "asset_id_a": pl.String,
            "lessor_b": pl.String,
            "asset_id_b": pl.String,
            "match_kind": pl.String,
            "score": pl.Float64,
            "verdict": pl.String,
            "cluster_id": pl.Int64,
            "reasons": pl.String,
        },
    )
    return ScreenResult(matches, total, len(register))


def write_summary(result: ScreenResult, path: Path) -> None:
    """A workbook a risk officer can read: counts by verdict and kind, then every pair, worst first."""
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = "summary"
    overview.append(["registrations screened", result.assets])
    overview.append(["candidate pairs compared", result.candidate_pairs])
    overview.append(["matching pairs", result.matches.height])
    overview.append(["clusters", result.matches["cluster_id"].n_unique()])
    overview.append([])
    overview.append(["verdict", "match kind", "pairs"])
    counts = result.matches.group_by("verdict", "match_kind").len().sort("verdict", "len", descending=True)
    for verdict, kind, count in counts.iter_rows():
        overview.append([verdict, kind, count])
    pairs = workbook.create_sheet("pairs")
    pairs.append(list(MATCH_COLUMNS))
    ordered = result.matches.with_columns((pl.col("verdict") == "block").alias("_block")).sort(
        "_block", "score", descending=True
    )
    for row in ordered.select(MATCH_COLUMNS).iter_rows():
        pairs.append(list(row))
    pairs.freeze_panes = "A2"
    pairs.auto_filter.ref = pairs.dimensions
    workbook.save(path)
