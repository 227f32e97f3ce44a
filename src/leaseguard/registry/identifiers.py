"""Validity of the identifiers a leased asset and a lessee carry: VIN (ISO 3779), USCC and resident ID."""

from __future__ import annotations

from stdnum.cn import ric, uscc

# ISO 3779 transliteration of letters to digits (I, O and Q never appear in a VIN).
_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) that `vin`'s other 16 characters call for: '0'-'9' or 'X'.

    Raises ValueError for a string that is not 17 VIN characters.
    """
    if len(vin) != 17 or any(character not in _VIN_VALUES for character in vin.upper()):
        raise ValueError(f"not 17 VIN characters: {vin!r}")
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    """17 characters without I, O or Q, and a check digit in position 9 that holds (as Chinese VINs carry it)."""
    if len(vin) != 17 or any(character not in _VIN_VALUES for character in vin):
        return False
    return vin[8] == vin_check_digit(vin)


def is_valid_uscc(code: str) -> bool:
    """An 18-character unified social credit code with a correct check character."""
    return bool(uscc.is_valid(code))


def is_valid_resident_id(number: str) -> bool:
    """An 18-character resident ID with a known region, a real birth date and a correct check character."""
    return bool(ric.is_valid(number))


def is_valid_lessee_id(identifier: str) -> bool:
    return is_valid_uscc(identifier) or is_valid_resident_id(identifier)
