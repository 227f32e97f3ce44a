"""Identifiers as issuers make them: VINs with check digits, USCCs, resident IDs, serials, invoices."""

from __future__ import annotations

import numpy as np
from stdnum.cn import ric, uscc

_VIN_VALUE = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
MODEL_YEAR_CODE = {
    2018: "J",
    2019: "K",
    2020: "L",
    2021: "M",
    2022: "N",
    2023: "P",
    2024: "R",
    2025: "S",
    2026: "T",
}


def vins(prefix8: str, year_codes: np.ndarray, plant: str, serials: np.ndarray) -> list[str]:
    """VINs of one model: WMI+VDS, check digit, model year, plant, six-digit production serial."""
    fixed = sum(_VIN_VALUE[c] * w for c, w in zip(prefix8 + "0", _VIN_WEIGHTS[:9], strict=True))
    fixed += _VIN_VALUE[plant] * _VIN_WEIGHTS[10]
    year_part = np.array([_VIN_VALUE[c] for c in year_codes]) * _VIN_WEIGHTS[9]
    digits = np.stack([(serials // 10 ** (5 - i)) % 10 for i in range(6)], axis=1)
    serial_part = digits @ np.array(_VIN_WEIGHTS[11:])
    remainders = (fixed + year_part + serial_part) % 11
    checks = np.where(remainders == 10, "X", remainders.astype(str))
    return [
        f"{prefix8}{check}{year}{plant}{serial:06d}"
        for check, year, serial in zip(checks, year_codes, serials.tolist(), strict=True)
    ]


def resident_ids(rng: np.random.Generator, regions: tuple[str, ...], count: int) -> list[str]:
    """Resident IDs: a county code in use at the birth date, the birth date, a sequence and the check."""
    out: list[str] = []
    while len(out) < count:
        need = count - len(out)
        years = rng.integers(1965, 2001, need)
        days = rng.integers(0, 365, need)
        sequences = rng.integers(0, 1000, need)
        region_picks = rng.integers(0, len(regions), need)
        for year, day, sequence, region in zip(years, days, sequences, region_picks, strict=True):
            birth = np.datetime64(f"{year}-01-01") + np.timedelta64(int(day), "D")
            body = f"{regions[region]}{str(birth).replace('-', '')}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            # A county code counts only for births after it was created; redraw the rare misses.
            if ric.is_valid(number):
                out.append(number)
    return out


_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def usccs(rng: np.random.Generator, regions: tuple[str, ...], count: int) -> list[str]:
    """Unified social credit codes of enterprises (registration dept 9, type 1), unique within the call."""
    region_picks = rng.integers(0, len(regions), count)
    bodies = rng.integers(0, len(_USCC_BODY) - 10, (count, 9))  # digits and letters, like the GB 11714 body
    out: list[str] = []
    seen: set[str] = set()
    for region, body in zip(region_picks, bodies, strict=True):
        code = "91" + regions[region] + "".join(_USCC_BODY[i] for i in body)
        while code in seen:
            code = code[:-1] + _USCC_BODY[(_USCC_BODY.index(code[-1]) + 1) % 31]
        seen.add(code)
        out.append(code + uscc.calc_check_digit(code + "0"))
    return out
