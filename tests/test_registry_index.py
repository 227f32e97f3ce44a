"""The deletion index finds every identifier within one edit, whatever noise and OCR confusion it carries."""

from __future__ import annotations

import polars as pl

from leaseguard.registry.index import DeletionIndex, fold_column, name_column
from leaseguard.registry.normalize import normalize_name, ocr_fold, single_edit

REGISTERED = [
    "LFV2A21K0A3000001",
    "LFV2A21K0A3000002",
    "LFV2A21K0A3000123",
    "SY365C0012",
    "",
    "ＬＳＶ-ab2050d 1234567",
]


def _index() -> DeletionIndex:
    folded = pl.DataFrame({"raw": REGISTERED}).select(fold_column(pl.col("raw")))["raw"]
    return DeletionIndex(folded)


def test_vectorised_fold_agrees_with_the_scalar_fold() -> None:
    raw = [*REGISTERED, "Lfv2a2ik0a3oooOo1", "ｓｙ３６５ｃ－００１２", "8B 6G 5S"]
    folded = pl.DataFrame({"raw": raw}).select(fold_column(pl.col("raw")))["raw"].to_list()
    assert folded == [ocr_fold(value) for value in raw]


def test_every_single_edit_neighbour_is_a_candidate() -> None:
    index = _index()
    queries = {
        "LFV2A21K0A3000001": {0, 1},  # itself and the next vehicle off the line
        "LFV2A2IK0A3OOOOO1": {0, 1},  # OCR-altered
        "LFV2A21K0A300001": {0},  # a dropped character
        "LFV2A21K0A3000132": {2},  # swapped neighbours
        "LSVAB2050D12345677": {5},  # a doubled character against a noisy, full-width registration
        "SY365C0O12": {3},
    }
    for query, expected in queries.items():
        rows = set(index.candidates(ocr_fold(query)).tolist())
        truly_close = {row for row in rows if single_edit(REGISTERED[row], query) is not None}
        assert truly_close == expected, query


def test_unrelated_and_empty_queries_find_nothing() -> None:
    index = _index()
    assert index.candidates(ocr_fold("WDB1234567890XYZ1")).size == 0
    assert index.candidates("").size == 0
    assert len(index) == len(REGISTERED)


def test_vectorised_name_folding_agrees_with_the_scalar_one() -> None:
    names = ["一汽-大众", "ＸＣＭＧ 徐工", "Mindray/迈瑞", None]
    folded = pl.DataFrame({"n": names}).select(name_column(pl.col("n")))["n"].to_list()
    assert folded == [normalize_name(name) for name in names]
