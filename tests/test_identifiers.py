"""Identifier validity against published examples and single-character damage."""

from __future__ import annotations

import pytest

from leaseguard.registry.identifiers import (
    is_valid_lessee_id,
    is_valid_organization_code,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_vin,
    organization_code_check_character,
    vin_check_digit,
)


@pytest.mark.parametrize(
    ("vin", "check"),
    [
        ("1M8GDM9AXKP042788", "X"),  # the worked example of the check-digit calculation
        ("1HGCM82633A004352", "3"),
        ("JH4KA7561PC008269", "1"),
        ("11111111111111111", "1"),
    ],
)
def test_published_vins_have_the_check_digit_they_carry(vin: str, check: str) -> None:
    assert vin_check_digit(vin) == check
    assert is_valid_vin(vin)


@pytest.mark.parametrize("position", [p for p in range(17) if p != 8])
def test_any_changed_character_breaks_the_check(position: int) -> None:
    vin = "1M8GDM9AXKP042788"
    replacement = "3" if vin[position] != "3" else "4"
    assert not is_valid_vin(vin[:position] + replacement + vin[position + 1 :])


def test_swapped_neighbours_break_the_check() -> None:
    vin = "1HGCM82633A004352"
    assert not is_valid_vin(vin[:12] + vin[13] + vin[12] + vin[14:])


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP04278",  # too short
        "1M8GDM9AXKP0427888",  # too long
        "1M8GDM9AXKO042788",  # O is never used
        "1m8gdm9axkp042788",  # lower case is not a VIN as written
        "WVWZZZ3CZWE689725",  # a European VIN: position 9 is no check digit
    ],
)
def test_wrong_length_illegal_letters_lower_case_and_unchecked_vins_are_invalid(vin: str) -> None:
    assert not is_valid_vin(vin)


def test_check_digit_refuses_non_vins() -> None:
    with pytest.raises(ValueError, match="not 17 VIN characters"):
        vin_check_digit("ABC")
    with pytest.raises(ValueError, match="not 17 VIN characters"):
        vin_check_digit("1M8GDM9AXKP04278Q")


def test_published_uscc_resident_id_and_organisation_code() -> None:
    assert is_valid_uscc("91110000600037341L")
    assert not is_valid_uscc("91110000600037341M")
    assert is_valid_organization_code("600037341")  # positions 9-17 of that USCC
    assert not is_valid_organization_code("600037342")
    assert not is_valid_organization_code("60003734")
    assert organization_code_check_character("60003734") == "1"
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("11010519491331002X")  # no 13th month
    assert is_valid_lessee_id("91110000600037341L") and is_valid_lessee_id("11010519491231002X")
    assert not is_valid_lessee_id("91110000600037341M")


def test_organisation_code_check_character_covers_x_and_zero() -> None:
    checks = {organization_code_check_character(f"{n:08d}") for n in range(0, 400)}
    assert {"X", "0"} <= checks
    with pytest.raises(ValueError, match="organisation-code body"):
        organization_code_check_character("6000373")
