"""Which people's court a lessor files its complaint in: an arbitration clause, else the agreed court, else the
basic court of the place the leased asset is used or of the lessee's domicile, its level raised by the amount
claimed. Places are found through the administrative-division table python-stdnum ships (`stdnum/cn/loc.dat`);
thresholds and the courts the naming pattern does not give are data (`defaults/enforcement/courts.yaml`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator
from stdnum.cn import ric, uscc

from leaseguard.money import grouped_yuan
from leaseguard.rulefiles import (
    Item,
    PositiveYuanFen,
    RuleFile,
    RuleFileError,
    RuleProblem,
    parse_rule_text,
    read_rule_text,
    whole_number,
)
from leaseguard.vocabulary import Label

MUNICIPALITIES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆: districts directly under the province level
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


class CourtRulesError(RuleFileError):
    """A courts file that cannot be used."""


@dataclass(frozen=True)
class CourtRules:
    source: str
    intermediate_same_province_fen: int
    intermediate_one_outside_fen: int
    high_fen: int
    intermediate_overrides: dict[str, str] = field(default_factory=dict)
    basic_overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CourtChoice:
    court: str | None  # the court's full name; None when no complaint can go to a court
    basis: str  # agreed | arbitration | asset_location | lessee_domicile | none
    level: str | None  # basic | intermediate | high
    division_code: str | None
    reason: str  # Chinese: why this court, or why none
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Division:
    code: str
    name: str
    current: bool


@dataclass(frozen=True)
class _Table:
    provinces: dict[str, str]  # "32" → 江苏省
    prefectures: dict[str, _Division]  # "3205" → 苏州市
    counties: dict[str, _Division]  # "320506" → 吴中区


def _clean(raw: str) -> tuple[str, bool]:
    """A name without its validity bracket, and whether it is a current division ("[2000-]" or none); of
    several names over time ("[1983-1989]南头区办事处,[1990-]南山区") the last."""
    raw = raw.split(",")[-1]
    match = re.match(r"\[(\d*)-(\d*)\](.*)", raw)
    if not match:
        return raw, True
    return match.group(3), not match.group(2)


@cache
def _table() -> _Table:
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text("utf-8")
    provinces: dict[str, str] = {}
    prefectures: dict[str, _Division] = {}
    counties: dict[str, _Division] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        found = re.search(r'(\d+)\s+(\w+)="([^"]*)"', line)
        if not found:
            continue
        digits, _, raw = found.groups()
        if not line.startswith(" "):
            province = digits
            provinces[province] = _clean(raw)[0]
            continue
        code = province + digits
        name, current = _clean(raw)
        division = _Division(code, name, current)
        if code.endswith("00"):
            if current or code[:4] not in prefectures:  # the current name wins over an abolished one
                prefectures[code[:4]] = division
        elif name not in ("市辖区", "县", "郊区") and (current or code not in counties):
            counties[code] = division
    return _Table(provinces, prefectures, counties)


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@cache
def _current_counties(province: str) -> tuple[_Division, ...]:
    return tuple(d for code, d in _table().counties.items() if code.startswith(province) and d.current)


@cache
def division_of(text: str | None) -> str | None:
    """The six-digit county-level code of the current division an address names (province, then prefecture,
    then district or county), or None."""
    if not text:
        return None
    table = _table()
    province = next(
        (code for code, name in table.provinces.items() if text.startswith((name, _short(name)))), None
    )
    if province is None:
        return None
    rest = text
    for name in (table.provinces[province], _short(table.provinces[province])):
        if rest.startswith(name):
            rest = rest[len(name) :]
            break
    candidates = list(_current_counties(province))
    if province not in MUNICIPALITIES:
        prefecture = next(
            (
                p for code, p in table.prefectures.items()
                if code.startswith(province) and p.current and rest.startswith((p.name, _short(p.name)))
            ),
            None,
        )  # fmt: skip
        if prefecture is not None:
            for name in (prefecture.name, _short(prefecture.name)):
                if rest.startswith(name):
                    rest = rest[len(name) :]
                    break
            candidates = [d for d in candidates if d.code.startswith(prefecture.code[:4])]
        else:  # a county-level city written without its prefecture (江苏省昆山市)
            candidates = [d for d in candidates if d.name.endswith(("市", "县"))]
    matched = [d for d in candidates if rest.startswith(d.name)]
    if not matched:
        return None
    return max(matched, key=lambda d: len(d.name)).code


def division_of_id(id_no: str | None) -> str | None:
    """The division code inside an identifier: a USCC's digits 3–8 (the registering authority's place), a
    resident ID's digits 1–6 (where the holder's household was first registered); None if unknown."""
    if not id_no:
        return None
    if ric.is_valid(id_no):
        code = ric.compact(id_no)[:6]
    elif uscc.is_valid(id_no):
        code = uscc.compact(id_no)[2:8]
    else:
        return None
    return code if code in _table().counties else None


def _basic_court(code: str, rules: CourtRules) -> str:
    if code in rules.basic_overrides:
        return rules.basic_overrides[code]
    table = _table()
    county = table.counties[code]
    province = table.provinces[code[:2]]
    if code[:2] in MUNICIPALITIES:
        return f"{province}{county.name}人民法院"
    prefecture = table.prefectures.get(code[:4])
    if county.name.endswith("区") and prefecture is not None:
        return f"{prefecture.name}{county.name}人民法院"
    return f"{county.name}人民法院"


def _intermediate_court(code: str, rules: CourtRules) -> str | None:
    if code in rules.intermediate_overrides:
        return rules.intermediate_overrides[code]
    if code[:2] in MUNICIPALITIES:
        return None  # numbered intermediate courts: only the overrides know which
    prefecture = _table().prefectures.get(code[:4])
    return f"{prefecture.name}中级人民法院" if prefecture is not None else None


def _yuan_text(fen: int) -> str:
    return (
        grouped_yuan(fen).removesuffix(".00") + "元"
    )  # a threshold as the rule writes it: 5,000万 as 50,000,000元


def choose_court(
    *,
    agreed: str | None,
    arbitration: str | None,
    asset_locations: Sequence[str],
    lessee_address: str | None,
    lessee_id: str | None,
    claim_fen: int,
    plaintiff_province: str | None = None,
    rules: CourtRules,
) -> CourtChoice:
    """The court for a complaint (see the module's docstring); `plaintiff_province` is the two-digit province
    code of the lessor's domicile, for the level's threshold where one party is outside the court's province."""
    if arbitration:
        return CourtChoice(
            None, "arbitration", None, None, f"合同约定由{arbitration}仲裁，不向人民法院起诉（仲裁法第五条）"
        )
    if agreed:
        return CourtChoice(agreed, "agreed", None, None, "合同约定管辖（民事诉讼法第三十五条）")
    places: list[tuple[str, str]] = []  # (basis, code)
    asset_code = next((c for c in (division_of(place) for place in asset_locations) if c), None)
    if asset_code:
        places.append(("asset_location", asset_code))
    domicile = division_of(lessee_address) or division_of_id(lessee_id)
    if domicile:
        places.append(("lessee_domicile", domicile))
    if not places:
        return CourtChoice(
            None, "none", None, None,
            "无法确定管辖法院：租赁物使用地及被告住所地均无法识别行政区划（assets.csv location, contracts.csv "
            "lessee_address）",
        )  # fmt: skip
    basis, code = places[0]
    provinces = {code[:2], domicile[:2] if domicile else code[:2], plaintiff_province or code[:2]}
    threshold = (
        rules.intermediate_one_outside_fen if len(provinces) > 1 else rules.intermediate_same_province_fen
    )
    why = (
        "租赁物使用地法院（民事诉讼法第二十四条，民诉法解释第十九条：融资租赁合同以租赁物使用地为合同履行地）"
        if basis == "asset_location"
        else "被告住所地法院（民事诉讼法第二十二条、第二十四条）"
    )
    alternatives = tuple(
        dict.fromkeys(_basic_court(other, rules) for _, other in places[1:] if other != code)
    )
    if claim_fen >= rules.high_fen:
        court = f"{_table().provinces[code[:2]]}高级人民法院"
        reason = f"{why}；诉讼标的额达{_yuan_text(rules.high_fen)}，由高级人民法院管辖"
        return CourtChoice(court, basis, "high", code, reason, alternatives)
    if claim_fen >= threshold:
        intermediate = _intermediate_court(code, rules)
        if intermediate is None:
            return CourtChoice(
                None, "none", "intermediate", code,
                f"诉讼标的额达{_yuan_text(threshold)}，应由中级人民法院管辖，但courts.yaml未载明{code}所属的中级人民法院",
            )  # fmt: skip
        return CourtChoice(intermediate, basis, "intermediate", code,
                           f"{why}；诉讼标的额达{_yuan_text(threshold)}，由中级人民法院管辖（法发〔2021〕27号）",
                           alternatives)  # fmt: skip
    return CourtChoice(_basic_court(code, rules), basis, "basic", code, why, alternatives)


def _division_names(data: Any) -> Any:
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and re.fullmatch(r"\d{6}", k) and isinstance(v, str) and v.strip()
        for k, v in data.items()
    ):
        raise RuleProblem(
            Label(
                "应为六位行政区划代码（加引号）到法院名称的映射",
                "must map six-digit division codes (quoted) to court names",
            )
        )
    return data


_CourtNames = Annotated[dict[str, str], BeforeValidator(_division_names)]
_LEVELS = ("intermediate_same_province", "intermediate_one_outside", "high")


class _Levels(Item):
    intermediate_same_province: PositiveYuanFen
    intermediate_one_outside: PositiveYuanFen
    high: PositiveYuanFen
    verified: bool = False  # checked against the published texts

    @model_validator(mode="after")
    def _rising(self) -> _Levels:
        if not self.intermediate_one_outside <= self.intermediate_same_province < self.high:
            raise RuleProblem(
                Label(
                    "各级标准必须递增：intermediate_one_outside ≤ intermediate_same_province < high",
                    "levels must rise: intermediate_one_outside ≤ intermediate_same_province < high",
                )
            )
        return self


class CourtRulesFile(RuleFile):
    """`defaults/enforcement/courts.yaml` as written."""

    version: Annotated[int, whole_number(1)] = 1
    levels: _Levels
    intermediate_overrides: _CourtNames = Field(default_factory=dict)
    basic_overrides: _CourtNames = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _every_level(cls, data: Any) -> Any:
        if isinstance(data, dict):
            levels = data.get("levels")
            if not isinstance(levels, dict):
                raise RuleProblem(Label("levels 缺失或不是映射", "levels is missing or not a mapping"))
            for key in _LEVELS:
                if key not in levels:
                    raise RuleProblem(Label("缺少 levels.{key}", "levels.{key} is missing"), key=key)
        return data


def parse_court_rules(text: str, source: str) -> CourtRules:
    parsed = parse_rule_text(CourtRulesFile, text, source, CourtRulesError)
    levels = parsed.levels
    return CourtRules(
        source, levels.intermediate_same_province, levels.intermediate_one_outside, levels.high,
        dict(parsed.intermediate_overrides), dict(parsed.basic_overrides),
    )  # fmt: skip


def load_court_rules(path: Path | None = None) -> CourtRules:
    """The shipped courts file, or one of your own (CourtRulesError naming the file, setting and reason)."""
    text, source = read_rule_text(path, "enforcement/courts.yaml", CourtRulesError)
    return parse_court_rules(text, source)
