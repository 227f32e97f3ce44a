"""The balance-sheet file of one reporting date: capital, liquidity, interbank and investment items, and the
shareholders with their paid-in contributions.

YAML, amounts in yuan with at most 2 decimals (written as numbers or strings), parsed to fen exactly:

    lessor: L001
    as_of: 2026-10-31
    items:
      total_assets: 1234567.89
      ...
    shareholders:
      - {id: 91310000MA1FL00001, name: 某控股, paid_in_contribution: 500000000.00, other_exposure: 0}

The item names are those of quantities.BALANCE_SHEET_ITEMS. A file is checked as a whole: unknown items,
bad amounts, parts of total_assets that do not add up, and net assets that disagree with assets minus
liabilities are refused with the file, the item and the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leaseguard.errors import InvalidInputError
from leaseguard.indicators.quantities import ITEMS, TOTAL_ASSETS_PARTS
from leaseguard.money import MoneyError, grouped_yuan, parse_fen, yuan_text


class BalanceSheetError(InvalidInputError):
    """A balance-sheet file that cannot be used; the message names the file, the item and the reason."""


@dataclass(frozen=True)
class Shareholder:
    id: str
    name: str
    paid_in_contribution_fen: int
    # Exposure to the shareholder outside the lease book (e.g. guarantees), added to its book exposure.
    other_exposure_fen: int = 0
    # Lessee ids of the shareholder's related parties, whose exposure counts as the shareholder's.
    related_parties: tuple[str, ...] = ()


@dataclass(frozen=True)
class BalanceSheet:
    lessor: str
    as_of: dt.date
    items: dict[str, int]  # fen; only the items the file gives
    shareholders: tuple[Shareholder, ...] = ()
    source: str = "balance sheet"
    digest: str = ""
    problems: tuple[str, ...] = field(default=())  # inconsistencies kept when read as a draft

    def as_json(self) -> dict[str, Any]:
        return {
            "lessor": self.lessor,
            "as_of": self.as_of.isoformat(),
            "items": dict(self.items),
            "shareholders": [
                {"id": s.id, "name": s.name, "paid_in_contribution_fen": s.paid_in_contribution_fen,
                 "other_exposure_fen": s.other_exposure_fen, "related_parties": list(s.related_parties)}
                for s in self.shareholders
            ],
            "source": self.source,
            "sha256": self.digest,
            "problems": list(self.problems),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BalanceSheet:
        return cls(
            data["lessor"],
            dt.date.fromisoformat(data["as_of"]),
            {k: int(v) for k, v in data["items"].items()},
            tuple(
                Shareholder(**{**s, "related_parties": tuple(s.get("related_parties", ()))})
                for s in data.get("shareholders", [])
            ),
            data.get("source", "balance sheet"),
            data.get("sha256", ""),
            tuple(data.get("problems", [])),
        )


def to_fen(value: Any, where: str) -> int:
    """Yuan with at most 2 decimals → fen, exactly; a float is read through its shortest decimal form."""
    try:
        return parse_fen(value, where=where, negative=True)
    except MoneyError as error:
        raise BalanceSheetError(str(error)) from None


def consistency_problems(items: dict[str, int]) -> list[str]:
    """Totals that disagree with their parts, named by item."""
    problems = []
    given = [p for p in TOTAL_ASSETS_PARTS if p in items]
    if given and "total_assets" in items:
        missing = [p for p in TOTAL_ASSETS_PARTS if p not in items and not ITEMS[p].default_zero]
        if missing:
            problems.append(
                f"total_assets is given with its parts, but part(s) {', '.join(missing)} are missing"
            )
        else:
            parts = sum(items.get(p, 0) for p in TOTAL_ASSETS_PARTS)
            if parts != items["total_assets"]:
                problems.append(
                    f"total_assets {grouped_yuan(items['total_assets'])} is not the sum of its parts "
                    f"{' + '.join(TOTAL_ASSETS_PARTS)} = {grouped_yuan(parts)}"
                )
    if {"total_assets", "total_liabilities", "net_assets"} <= items.keys():
        difference = items["total_assets"] - items["total_liabilities"]
        if difference != items["net_assets"]:
            problems.append(
                f"net_assets {grouped_yuan(items['net_assets'])} is not total_assets − total_liabilities "
                f"= {grouped_yuan(difference)}"
            )
    if "government_bonds" in items and items["government_bonds"] > items.get("other_assets", 0) + items.get(
        "fixed_income_investments", 0
    ):
        problems.append("government_bonds exceeds other_assets + fixed_income_investments, which hold it")
    return problems


def parse_balance_sheet(text: str, name: str, *, draft: bool = False) -> BalanceSheet:
    """Read a balance-sheet file; inconsistent totals are an error unless `draft`, which keeps them as problems."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BalanceSheetError(f"{name}: not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BalanceSheetError(f"{name}: must be a mapping with lessor, as_of, items, shareholders")
    unknown_keys = sorted(set(data) - {"lessor", "as_of", "items", "shareholders", "currency"})
    if unknown_keys:
        raise BalanceSheetError(f"{name}: unknown key(s) {', '.join(unknown_keys)}")
    if data.get("currency", "CNY") != "CNY":
        raise BalanceSheetError(f"{name}: currency: only CNY (amounts in yuan) is supported")
    lessor = data.get("lessor")
    if not isinstance(lessor, str) or not lessor.strip():
        raise BalanceSheetError(f"{name}: lessor: missing (the code of the lessor whose balance sheet it is)")
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise BalanceSheetError(f"{name}: as_of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(as_of, dt.date):
        raise BalanceSheetError(f"{name}: as_of: missing (the reporting date, YYYY-MM-DD)")
    raw_items = data.get("items")
    if not isinstance(raw_items, dict) or not raw_items:
        raise BalanceSheetError(f"{name}: items: missing (a mapping of item name to amount in yuan)")
    items: dict[str, int] = {}
    for key, value in raw_items.items():
        if key not in ITEMS:
            raise BalanceSheetError(f"{name}: item {key}: unknown item (see docs/indicators.md for the list)")
        if value is None:
            continue
        items[key] = to_fen(value, f"{name}: item {key}")
    shareholders = []
    for position, raw in enumerate(data.get("shareholders") or [], start=1):
        where = f"{name}: shareholder {position}"
        if not isinstance(raw, dict) or not str(raw.get("id", "")).strip():
            raise BalanceSheetError(f"{where}: needs id, name and paid_in_contribution")
        if "paid_in_contribution" not in raw:
            raise BalanceSheetError(f"{where} ({raw['id']}): paid_in_contribution: missing")
        shareholders.append(
            Shareholder(
                str(raw["id"]).strip(),
                str(raw.get("name", "")),
                to_fen(raw["paid_in_contribution"], f"{where} ({raw['id']}): paid_in_contribution"),
                to_fen(raw.get("other_exposure", 0), f"{where} ({raw['id']}): other_exposure"),
                _related_parties(raw.get("related_parties"), f"{where} ({raw['id']}): related_parties"),
            )
        )
    problems = consistency_problems(items)
    if problems and not draft:
        raise BalanceSheetError(f"{name}: {problems[0]}")
    return BalanceSheet(
        lessor.strip(),
        as_of,
        items,
        tuple(shareholders),
        name,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        tuple(problems),
    )


def _related_parties(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) and str(v).strip() for v in value):
        raise BalanceSheetError(f"{where}: a list of lessee ids")
    return tuple(str(v).strip() for v in value)


def read_balance_sheet(path: Path, *, draft: bool = False) -> BalanceSheet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BalanceSheetError(f"{path}: cannot read the balance sheet ({error.strerror})") from None
    return parse_balance_sheet(text, str(path), draft=draft)


def write_balance_sheet(sheet: BalanceSheet, path: Path) -> None:
    """Write `sheet` in the file format above (amounts as yuan strings with 2 decimals)."""

    data = {
        "lessor": sheet.lessor,
        "as_of": sheet.as_of.isoformat(),
        "currency": "CNY",
        "items": {k: yuan_text(v) for k, v in sheet.items.items()},
        "shareholders": [
            {"id": s.id, "name": s.name, "paid_in_contribution": yuan_text(s.paid_in_contribution_fen),
             "other_exposure": yuan_text(s.other_exposure_fen),
             **({"related_parties": list(s.related_parties)} if s.related_parties else {})}
            for s in sheet.shareholders
        ],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
