"""Screen a whole book: every pair (and cluster) of registrations that are the same asset, in one pass.

Candidate pairs come from the indexes' shared keys (a self-join of sorted hashes, so sequential neighbours
that share no key are never compared); each candidate pair then goes through the same `compare` as a single
check, so a batch and a check never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from leaseguard.registry.check import AssetFacts, Match, Verdict, compare
from leaseguard.registry.register import Register
from leaseguard.registry.rules import RegistryRules

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


def screen_file(
    registered: pl.DataFrame,
    file_rows: pl.DataFrame,
    rules: RegistryRules,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreenResult:
    """Every pair that involves a row of `file_rows` (assets in store columns, not yet loaded): the same asset
    twice within the file, or a file row that is an asset already registered in the store.

    The result has two more columns, `source_a` and `source_b` (`file` or `store`)."""
    aligned = _aligned(file_rows, registered)
    combined = pl.concat([registered, aligned], how="vertical")
    first_file_row = registered.height
    register = Register(combined, rules)
    result = screen_register(
        register, only_rows=set(range(first_file_row, combined.height)), progress=progress, with_rows=True
    )

    def source(row: str) -> pl.Expr:
        return pl.when(pl.col(row) >= first_file_row).then(pl.lit("file")).otherwise(pl.lit("store"))

    matches = result.matches.with_columns(
        source("_row_a").alias("source_a"), source("_row_b").alias("source_b")
    ).drop("_row_a", "_row_b")
    return ScreenResult(matches, result.candidate_pairs, file_rows.height)


def _aligned(file_rows: pl.DataFrame, registered: pl.DataFrame) -> pl.DataFrame:
    """`file_rows` with exactly the registered frame's columns and types; a file row's financing is unknown."""
    columns = []
    for name, dtype in registered.schema.items():
        if name in file_rows.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return file_rows.select(columns)


def screen_register(
    register: Register,
    *,
    only_rows: set[int] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    with_rows: bool = False,
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
            "_row_a": [a for a, _, _ in found],
            "_row_b": [b for _, b, _ in found],
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
            "_row_a": pl.Int64,
            "_row_b": pl.Int64,
        },
    )
    if not with_rows:
        matches = matches.drop("_row_a", "_row_b")
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


HTML_PAIRS_SHOWN = 5_000


def write_html_summary(result: ScreenResult, path: Path, *, title: str) -> None:
    """One self-contained page a risk officer can open in a browser: the counts, then the pairs, worst first
    (the first HTML_PAIRS_SHOWN; matches.csv has them all)."""
    matches = result.matches
    counts = matches.group_by("verdict", "match_kind").len().sort("verdict", "len", descending=True)
    ordered = matches.with_columns((pl.col("verdict") == "block").alias("_block")).sort(
        "_block", "score", descending=True
    )
    columns = [c for c in (*MATCH_COLUMNS, "source_a", "source_b") if c in matches.columns]

    def cells(values: Iterable[object], tag: str = "td") -> str:
        return "".join(f"<{tag}>{escape('' if v is None else str(v))}</{tag}>" for v in values)

    overview = [
        ("registrations screened", f"{result.assets:,}"),
        ("candidate pairs compared", f"{result.candidate_pairs:,}"),
        ("matching pairs", f"{matches.height:,}"),
        ("clusters", f"{matches['cluster_id'].n_unique():,}"),
    ]
    shown = ordered.head(HTML_PAIRS_SHOWN)
    pairs_rows = "".join(
        f'<tr class="{escape(str(row[columns.index("verdict")]))}">{cells(row)}</tr>'
        for row in shown.select(columns).iter_rows()
    )
    more = (
        f"<p>Showing the first {HTML_PAIRS_SHOWN:,} of {matches.height:,} pairs; the CSV holds them all.</p>"
        if matches.height > HTML_PAIRS_SHOWN
        else ""
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}} table{{border-collapse:collapse;margin:1rem 0}}
th,td{{border:1px solid #ccc;padding:.25rem .5rem;font-size:.9rem;text-align:left}} th{{background:#f3f3f3}}
tr.block td{{background:#fde8e8}} tr.review td{{background:#fff6dd}}
</style></head><body>
<h1>{escape(title)}</h1>
<table>{"".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in overview)}</table>
<h2>By verdict and kind of match</h2>
<table><tr>{cells(("verdict", "match kind", "pairs"), "th")}</tr>
{"".join(f"<tr>{cells(row)}</tr>" for row in counts.iter_rows())}</table>
<h2>Pairs, blocks first</h2>{more}
<table><tr>{cells(columns, "th")}</tr>
{pairs_rows}</table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
