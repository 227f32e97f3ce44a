"""Identifiers as their issuers issue them, a whole column at a time: VINs with check digits in production
order, unified social credit codes, resident IDs, serial and engine numbers, and VAT invoice numbers."""

from __future__ import annotations

from functools import cache

import numpy as np
from stdnum.cn import ric

from leaseguard.registry.identifiers import ORGANIZATION_WEIGHTS, VIN_TRANSLITERATION, VIN_WEIGHTS

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))
_RIC_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)])
_RIC_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def ascii_codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def ascii_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Equal-width ASCII strings as an (n, width) matrix of character codes."""
    return np.frombuffer("".join(values.tolist()).encode("ascii"), dtype=np.uint8).reshape(len(values), width)


def strings(chars: np.ndarray) -> np.ndarray:
    """The rows of an (n, width) matrix of ASCII codes as n strings."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars, dtype=np.uint8).view(f"S{width}")[:, 0].astype(f"U{width}")


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) matrix of ASCII codes."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return _DIGITS[(np.asarray(values, dtype=np.int64)[:, None] // powers) % 10]


def _vin_values() -> np.ndarray:
    table = np.zeros(256, dtype=np.int64)
    for character, value in VIN_TRANSLITERATION.items():
        table[ord(character)] = value
    return table


_VIN_VALUES = _vin_values()


def vins(prefix8: str, plant: str, year_codes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """VINs of one model line: WMI + VDS, check digit, model-year code, plant, six-digit production serial."""
    n = len(serials)
    chars = np.empty((n, 17), dtype=np.uint8)
    chars[:, :8] = ascii_codes(prefix8)
    chars[:, 8] = ord("0")
    chars[:, 9] = ascii_matrix(year_codes, 1)[:, 0]
    chars[:, 10] = ord(plant)
    chars[:, 11:] = digit_matrix(serials % 1_000_000, 6)
    remainder = (_VIN_VALUES[chars] @ np.array(VIN_WEIGHTS)) % 11
    chars[:, 8] = np.where(remainder == 10, ord("X"), ord("0") + remainder)
    return strings(chars)


def model_year_codes(production: np.ndarray, codes: dict[int, str]) -> np.ndarray:
    """The VIN model-year letter of each unit: the production year, or the next one for units built from
    July on, as makers open a model year in the summer before it."""
    year = production.astype("datetime64[Y]").astype(np.int64) + 1970
    month = production.astype("datetime64[M]").astype(np.int64) % 12 + 1
    model_year = np.clip(year + (month >= 7), min(codes), max(codes))
    return np.array([codes[y] for y in range(min(codes), max(codes) + 1)])[model_year - min(codes)]


def usccs(registration: np.ndarray, regions: np.ndarray, unique_numbers: np.ndarray) -> np.ndarray:
    """Unified social credit codes (GB 32100): registering authority and type ("91" a company, "12" a public
    institution), county code, a GB 11714 organisation code with its own check character, and the check.

    `unique_numbers` (distinct, below 10**8) make the organisation codes: even ones the old all-digit codes,
    odd ones the "MA…" codes issued since the 2015 reform.
    """
    n = len(unique_numbers)
    alphabet = ascii_codes(_USCC_ALPHABET)
    body = np.empty((n, 8), dtype=np.int64)  # organisation-code body as indices into the USCC alphabet
    old = unique_numbers % 2 == 0
    body[old] = (unique_numbers[old, None] // 2 // 10 ** np.arange(7, -1, -1)) % 10
    body[~old, 0] = _USCC_ALPHABET.index("M")
    body[~old, 1] = _USCC_ALPHABET.index("A")
    body[~old, 2:] = (unique_numbers[~old, None] // 2 // 31 ** np.arange(5, -1, -1)) % 31
    # GB 11714 values letters A=10 … Z=35, not by their place in the USCC alphabet.
    organization_values = np.where(body < 10, body, alphabet[body].astype(np.int64) - ord("A") + 10)
    check = 11 - (organization_values @ np.array(ORGANIZATION_WEIGHTS)) % 11
    indices = np.empty((n, 18), dtype=np.int64)
    indices[:, :2] = ascii_matrix(registration, 2) - ord("0")
    indices[:, 2:8] = ascii_matrix(regions, 6) - ord("0")
    indices[:, 8:16] = body
    indices[:, 16] = np.where(check == 10, _USCC_ALPHABET.index("X"), np.where(check == 11, 0, check))
    indices[:, 17] = (31 - (indices[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    return strings(alphabet[indices])


@cache
def _region_in_use(region: str, year: int) -> bool:
    """Whether `region` was a county code in use in `year`, by stdnum's GB/T 2260 history."""
    body = f"{region}{year}0101001"
    return bool(ric.is_valid(body + ric.calc_check_digit(body + "0")))


def resident_ids(
    rng: np.random.Generator, regions: tuple[str, ...], birth_dates: np.ndarray, sequences: np.ndarray
) -> np.ndarray:
    """Resident IDs (GB 11643): a county code in use in the birth year, the birth date, a sequence number
    (odd for men, even for women) and the ISO 7064 MOD 11-2 check character."""
    n = len(birth_dates)
    birth_years = birth_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    region_codes = np.empty(n, dtype="U6")
    for year in np.unique(birth_years).tolist():
        usable = [region for region in regions if _region_in_use(region, year)]
        if not usable:
            raise ValueError(f"no region code in use for births in {year}")
        born = birth_years == year
        region_codes[born] = np.array(usable)[rng.integers(0, len(usable), int(born.sum()))]
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :6] = ascii_matrix(region_codes, 6)
    chars[:, 6:14] = ascii_matrix(np.char.replace(np.datetime_as_string(birth_dates, unit="D"), "-", ""), 8)
    chars[:, 14:17] = digit_matrix(sequences, 3)
    chars[:, 17] = _RIC_CHECK[((chars[:, :17].astype(np.int64) - ord("0")) @ _RIC_WEIGHTS) % 11]
    return strings(chars)


def serial_numbers(template: str, production: np.ndarray, counters: np.ndarray, digits: int) -> np.ndarray:
    """Serial numbers from a maker's template ("SY365H{yy}{seq}"): the production year where the template
    asks for it, then the production counter, zero-padded, last."""
    head, marker, tail = template.partition("{seq}")
    if not marker or tail:
        raise ValueError(f"serial template {template!r} must end with {{seq}}")
    years, which = np.unique(production.astype("datetime64[Y]").astype(np.int64) + 1970, return_inverse=True)
    heads = np.array([head.format(yyyy=f"{y}", yy=f"{y % 100:02d}") for y in years.tolist()])
    return np.char.add(heads[which], strings(digit_matrix(counters % 10**digits, digits)))


def engine_numbers(prefix: str, counters: np.ndarray) -> np.ndarray:
    """Engine numbers: the engine family's code and an eight-digit production counter."""
    return np.char.add(prefix, strings(digit_matrix(counters % 10**8, 8)))


def invoice_numbers(
    rng: np.random.Generator,
    invoice_years: np.ndarray,
    vehicle: np.ndarray,
    tax_regions: np.ndarray,
    digital_share_by_year: dict[int, float],
) -> tuple[np.ndarray, np.ndarray]:
    """(invoice_code, invoice_no) of each purchase. Paper invoices carry a 10-digit code (VAT special invoice)
    or a 12-digit one (motor-vehicle sales invoice) and an 8-digit number; fully digital invoices (数电票)
    carry a 20-digit number and no code. Code and number together are unique, as the tax system makes them."""
    n = len(invoice_years)
    first, last = min(digital_share_by_year), max(digital_share_by_year)
    share = np.array([digital_share_by_year[y] for y in range(first, last + 1)])
    digital = rng.random(n) < share[np.clip(invoice_years - first, 0, last - first)]
    sequence = rng.choice(10**8, size=n, replace=False)
    yy = digit_matrix(invoice_years % 100, 2)
    region4 = ascii_matrix(tax_regions, 6)[:, :4]
    batch = digit_matrix(rng.integers(1, 4, n), 1)

    def fixed(text: str) -> np.ndarray:
        return np.tile(ascii_codes(text), (n, 1))

    # Region, year, batch, then the form: Chinese text, three-part set, amount version.
    special = strings(np.concatenate([region4, yy, batch, fixed("131")], axis=1))
    motor = strings(np.concatenate([fixed("1"), region4, yy, fixed("00"), batch, fixed("01")], axis=1))
    paper_no = strings(digit_matrix(sequence, 8))
    # Year, province, issuing channel and a 15-digit sequence.
    digital_no = strings(np.concatenate([yy, region4[:, :2], fixed("2"), digit_matrix(sequence, 15)], axis=1))
    codes = np.where(digital, "", np.where(vehicle, motor, special))
    numbers = np.where(digital, digital_no, paper_no)
    return codes, numbers
