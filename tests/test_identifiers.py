"""Identifier validity against published examples and single-character damage."""

from __future__ import annotations

import pytest

from leaseguard.registry.identifiers import (
    is_valid_lessee_id,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_vin,
    vin_check_digit,
)


def test_iso_3779_example_check_digit_is_x() -> None:
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert is_valid_vin("1M8GDM9AXKP042788")


@pytest.mark.parametrize("position", [p for p in range(17) if p != 8])
def test_any_changed_digit_breaks_the_check(position: int) -> None:
    vin = "1M8GDM9AXKP042788"
    replacement = "3" if vin[position] != "3" else "4"
    assert not is_valid_vin(vin[:position] + replacement + vin[position + 1 :])


@pytest.mark.parametrize(
    "vin", ["1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "1M8GDM9AXKO042788", "1m8gdm9axkp042788"]
)
def test_wrong_length_illegal_letters_and_lower_case_are_invalid(vin: str) -> None:
    assert not is_valid_vin(vin)


def test_check_digit_refuses_non_vins() -> None:
    with pytest.raises(ValueError, match="not 17 VIN characters"):
        vin_check_digit("ABC")


def test_published_uscc_and_resident_id() -> None:
    assert is_valid_uscc("91110000600037341L")
    assert not is_valid_uscc("91110000600037341M")
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")
    assert is_valid_lessee_id("91110000600037341L") and is_valid_lessee_id("11010519491231002X")
