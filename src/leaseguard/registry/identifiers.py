"""Validity of the identifiers a leased asset and a lessee carry: VIN (ISO 3779), USCC with its organisation code,
and resident ID. Pure functions; the synthetic book's tests and the ownership check both rely on them."""

from __future__ import annotations

from stdnum.cn import ric, uscc

# ISO 3779 transliteration of letters to digits (I, O and Q never appear in a VIN).
VIN_TRANSLITERATION: dict[str, int] = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
# Position weights; position 9, the check digit itself, weighs 0.
VIN_WEIGHTS: tuple[int, ...] = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# GB 11714 organisation code (USCC positions 9-17): eight body characters and a check character.
ORGANIZATION_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANIZATION_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # value = index: A = 10 … Z = 35


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) that `vin`'s other 16 characters call for: '0'-'9' or 'X'.

    Raises ValueError for a string that is not 17 VIN characters.
    """
    if len(vin) != 17 or any(character not in VIN_TRANSLITERATION for character in vin.upper()):
        raise ValueError(f"not 17 VIN characters: {vin!r}")
    total = sum(VIN_TRANSLITERATION[c] * w for c, w in zip(vin.upper(), VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def is_valid_vin(vin: str) -> bool:
    """17 characters without I, O or Q, and a check digit in position 9 that holds (as Chinese VINs carry it)."""
    if len(vin) != 17 or any(character not in VIN_TRANSLITERATION for character in vin):
        return False
    return vin[8] == vin_check_digit(vin)


def organization_code_check_character(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body: '0'-'9' or 'X'.

    Raises ValueError for a body that is not 8 digits or capital letters.
    """
    if len(body) != 8 or any(c not in _ORGANIZATION_CHARACTERS for c in body):
        raise ValueError(f"not an 8-character organisation-code body: {body!r}")
    total = sum(
        _ORGANIZATION_CHARACTERS.index(c) * w for c, w in zip(body, ORGANIZATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def is_valid_organization_code(code: str) -> bool:
    """A 9-character organisation code (as in USCC positions 9-17) whose check character holds."""
    if len(code) != 9 or any(c not in _ORGANIZATION_CHARACTERS for c in code[:8]):
        return False
    return code[8] == organization_code_check_character(code[:8])


def is_valid_uscc(code: str) -> bool:
    """An 18-character unified social credit code with a correct check character."""
    return bool(uscc.is_valid(code))


def is_valid_resident_id(number: str) -> bool:
    """An 18-character resident ID with a known region, a real birth date and a correct check character."""
    return bool(ric.is_valid(number))


def is_valid_lessee_id(identifier: str) -> bool:
    return is_valid_uscc(identifier) or is_valid_resident_id(identifier)
