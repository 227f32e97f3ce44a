"""The ownership screen on the labelled synthetic book: duplicates found, `block` only where it is true."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import register_files
from leaseguard.ingest import import_paths
from leaseguard.registry.register import Register
from leaseguard.registry.rules import load_rules
from leaseguard.registry.screen import screen_register
from leaseguard.synth import generate_book
from leaseguard.synth.fraud import HARD
from leaseguard.workspace import init_workspace


def _pair(a: tuple[str, str], b: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted([a, b]))


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    root = tmp_path_factory.mktemp("quality")
    generate_book(root / "book", contracts=30_000, seed=21)
    workspace = init_workspace(root / "ws")
    engine = workspace.engine()
    assert all(report.rejected == 0 for report in import_paths(engine, register_files(root / "book")))
    result = screen_register(Register.from_engine(engine, load_rules()))
    engine.dispose()
    return result.matches, pl.read_csv(root / "book" / "ground_truth.csv", infer_schema=False)


def test_duplicates_with_at_most_one_real_edit_are_all_found(
    screened: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    matches, truth = screened
    found = {
        _pair((r["lessor_a"], r["asset_id_a"]), (r["lessor_b"], r["asset_id_b"]))
        for r in matches.iter_rows(named=True)
    }
    duplicates = truth.filter(pl.col("kind") == "duplicate_financing")
    hard_edits = [
        sum(label.split(":")[0] in HARD for label in (alterations or "").split(";") if label)
        for alterations in duplicates["alterations"]
    ]
    pairs = [
        _pair((r["lessor"], r["asset_id"]), (r["other_lessor"], r["other_asset_id"]))
        for r in duplicates.iter_rows(named=True)
    ]
    easy = [pair for pair, edits in zip(pairs, hard_edits, strict=True) if edits <= 1]
    missed = [pair for pair in easy if pair not in found]
    assert len(easy) > 200
    assert len(missed) / len(easy) <= 0.01, missed
    reused = truth.filter(pl.col("kind") == "reused_invoice")
    assert all(
        _pair((r["lessor"], r["asset_id"]), (r["other_lessor"], r["other_asset_id"])) in found
        for r in reused.iter_rows(named=True)
    )


def test_block_verdicts_are_precise(screened: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    matches, truth = screened
    injected = {
        _pair((r["lessor"], r["asset_id"]), (r["other_lessor"], r["other_asset_id"]))
        for r in truth.filter(pl.col("other_lessor").is_not_null()).iter_rows(named=True)
    }
    blocks = matches.filter(pl.col("verdict") == "block")
    wrong = [
        r
        for r in blocks.iter_rows(named=True)
        if _pair((r["lessor_a"], r["asset_id_a"]), (r["lessor_b"], r["asset_id_b"])) not in injected
    ]
    assert blocks.height > 200
    assert len(wrong) / blocks.height <= 0.01, wrong[:5]
