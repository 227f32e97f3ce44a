"""Identifier folding: noise and OCR confusions meet, single edits are named, honest differences are not hidden."""

from __future__ import annotations

import pytest

from leaseguard.registry.normalize import (
    EditKind,
    deletion_keys,
    normalize_identifier,
    ocr_fold,
    single_edit,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lsvab2050d1234567", "LSVAB2050D1234567"),
        ("ＬＳＶＡＢ２０５０Ｄ１２３４５６７", "LSVAB2050D1234567"),
        ("LSV-AB20 50D-123 4567", "LSVAB2050D1234567"),
        (" SY.365/C-0012 ", "SY365C0012"),
        (None, ""),
        ("", ""),
    ],
)
def test_normalize_removes_noise(raw: str | None, expected: str) -> None:
    assert normalize_identifier(raw) == expected


def test_ocr_fold_joins_every_confusable_group() -> None:
    assert ocr_fold("0ODQ 1IL 2Z 5S 6G 8B") == "0000111225566" + "88"
    assert ocr_fold("LSVAB2O5D") == ocr_fold("1SVA82050")


@pytest.mark.parametrize(
    ("first", "second", "kind", "position"),
    [
        ("LFV2A21K0A3000001", "LFV2A21K0A3000001", EditKind.IDENTICAL, None),
        ("LFV2A21K0A3000001", "lfv2a21k0a3 000-001", EditKind.NOISE, None),
        ("LFV2A21K0A3000001", "LFV2A2IK0A3OOO0O1", EditKind.OCR, None),
        ("LFV2A21K0A3000001", "LFV2A21K0A3000007", EditKind.SUBSTITUTION, 16),
        ("LFV2A21K0A3000001", "LFV2A21K0A300001", EditKind.DELETION, 15),
        ("LFV2A21K0A3000001", "LFV2A21K0A30000001", EditKind.INSERTION, 16),
        ("LFV2A21K0A3000001", "LFV2A21K0A3000010", EditKind.TRANSPOSITION, 15),
    ],
)
def test_single_edit_names_the_difference(
    first: str, second: str, kind: EditKind, position: int | None
) -> None:
    edit = single_edit(first, second)
    assert edit is not None
    assert edit.kind is kind
    assert edit.position == position


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("LFV2A21K0A3000001", "LFV2A21K0A3000023"),
        ("LFV2A21K0A3000001", "LFV2A21K0A30000"),
        ("SY365C0012", "XCMG0012"),
    ],
)
def test_more_than_one_edit_is_not_a_single_edit(first: str, second: str) -> None:
    assert single_edit(first, second) is None


def test_strings_one_edit_apart_share_a_deletion_key() -> None:
    base = ocr_fold("LFV2A21K0A3000001")
    for other in ("LFV2A21K0A300001", "LFV2A21K0A3000007", "LFV2A21K0A3000010", "LFV2A21K0A30000001"):
        assert deletion_keys(base) & deletion_keys(ocr_fold(other)), other
    assert not deletion_keys(base) & deletion_keys(ocr_fold("LFV2A21K0A3000023"))
