"""Classification rule sets as data: days-past-due bands, collateral and contagion rules, provision rates.

A rule-set file is checked as a whole before it is used: its DPD bands must start at 0 and follow each other
without a gap or an overlap, every class must be one of the five, every rate must lie in [0, 1]. A broken
file is refused with its name, the rule and the reason, and never replaces a working one.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import CLASSES, CLASSIFICATION_RULE_SETS

SHIPPED = CLASSIFICATION_RULE_SETS


class RuleSetError(InvalidInputError):
    """A rule-set file that cannot be used; the message names the file, the rule and the reason."""


@dataclass(frozen=True)
class Band:
    rule: str
    start: int  # days past due, inclusive
    end: int | None  # exclusive; None: no end
    klass: str
    clause: str


# How the collateral-shortfall rule provisions: the whole claim balance, as the trial indicators' text says
# (并计提全额准备), or only the part of the claim the asset's disposal value does not cover, an interpretation
# some lessors apply; None: the class's ordinary rate.
FULL_PROVISION_READINGS = ("whole_claim", "uncovered_part")


@dataclass(frozen=True)
class Shortfall:
    rule: str
    below_share_of_claim: float
    klass: str
    full_provision: str | None  # one of FULL_PROVISION_READINGS
    clause: str


@dataclass(frozen=True)
class ValueFall:
    rule: str
    fall_share: float
    klass: str
    clause: str


@dataclass(frozen=True)
class Contagion:
    rule: str
    above_share: float
    klass: str
    clause: str


@dataclass(frozen=True)
class ArrearsElsewhere:
    """The lessee is in arrears at another consortium member: a special-mention signal (Art. 9 (4)), applied
    only for the lessors that switched it on. Its reason names neither the other member nor any amount."""

    rule: str
    klass: str  # special_mention at most
    lessors: frozenset[str]
    clause: str


@dataclass(frozen=True)
class Upgrade:
    rule: str
    min_on_time_periods: int
    min_on_time_months: int
    clause: str
    no_other_npl_at_lessor: bool = False


@dataclass(frozen=True)
class Restructuring:
    rule: str
    klass: str  # at least this class during the observation period
    observation_min_periods: int
    observation_min_months: int
    clause: str


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: int
    title: str
    digest: str  # SHA-256 of the file, stored with every run
    bands: tuple[Band, ...]
    shortfall: Shortfall | None
    value_fall: ValueFall | None
    stale_after_days: int | None
    contagion: Contagion | None
    upgrade: Upgrade | None
    provision_rates: dict[str, float]
    general_reserve_rate: float
    # High-risk contracts are revalued more often: a stricter staleness limit from this class on.
    stale_after_days_high_risk: int | None = None
    high_risk_from_class: str = "special_mention"
    restructuring: Restructuring | None = None
    arrears_elsewhere: ArrearsElsewhere | None = None


def _rate(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RuleSetError(f"{where}: must be a number from 0 to 1, not {value!r}")
    return float(value)


def _class(value: Any, where: str) -> str:
    if value not in CLASSES:
        raise RuleSetError(f"{where}: class {value!r} is not one of {', '.join(CLASSES)}")
    return str(value)


def _full_provision(value: Any, where: str) -> str | None:
    if value is False or value is None:
        return None
    if value is True:  # the text's own reading
        return "whole_claim"
    if value not in FULL_PROVISION_READINGS:
        raise RuleSetError(
            f"{where}: must be {' or '.join(FULL_PROVISION_READINGS)} (or false), not {value!r}"
        )
    return str(value)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleSetError(f"{where}: '{key}' is missing")
    return value


def _bands(raw: Any, name: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleSetError(f"{name}: dpd_bands must be a non-empty list")
    bands: list[Band] = []
    for position, item in enumerate(raw, start=1):
        where = f"{name}: dpd band {position}"
        if not isinstance(item, dict):
            raise RuleSetError(f"{where}: must be a mapping with rule, from, to, class")
        rule = _text(item, "rule", where)
        where = f"{name}: rule {rule}"
        start, end = item.get("from"), item.get("to")
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise RuleSetError(f"{where}: 'from' must be a whole number of days ≥ 0")
        if end is not None and (not isinstance(end, int) or isinstance(end, bool) or end <= start):
            raise RuleSetError(f"{where}: 'to' must be a whole number of days above 'from', or null")
        bands.append(Band(rule, start, end, _class(item.get("class"), where), str(item.get("clause", ""))))
    if bands[0].start != 0:
        raise RuleSetError(
            f"{name}: rule {bands[0].rule}: the first band must start at 0 days, not {bands[0].start}"
        )
    for before, after in itertools.pairwise(bands):
        if before.end is None:
            raise RuleSetError(f"{name}: rule {before.rule}: an open-ended band must be the last")
        if after.start > before.end:
            raise RuleSetError(
                f"{name}: rule {after.rule}: a gap in the DPD bands from {before.end} to {after.start} days"
            )
        if after.start < before.end:
            raise RuleSetError(
                f"{name}: rule {after.rule}: overlaps rule {before.rule} ({after.start} < {before.end} days)"
            )
    if bands[-1].end is not None:
        raise RuleSetError(f"{name}: rule {bands[-1].rule}: the last band must have no end (to: null)")
    return tuple(bands)


def parse_rule_set(text: str, name: str) -> RuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RuleSetError(f"{name}: not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise RuleSetError(f"{name}: must be a mapping")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RuleSetError(f"{name}: 'version' must be a whole number")
    collateral = data.get("collateral") or {}
    shortfall = value_fall = None
    if raw := collateral.get("shortfall"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: collateral.shortfall')}"
        shortfall = Shortfall(
            raw["rule"],
            _rate(raw.get("below_share_of_claim"), f"{where}: below_share_of_claim"),
            _class(raw.get("class"), where),
            _full_provision(raw.get("full_provision", False), f"{where}: full_provision"),
            str(raw.get("clause", "")),
        )
    if raw := collateral.get("value_fall"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: collateral.value_fall')}"
        value_fall = ValueFall(
            raw["rule"], _rate(raw.get("fall_share"), f"{where}: fall_share"), _class(raw.get("class"), where),
            str(raw.get("clause", "")),
        )  # fmt: skip
    stale = collateral.get("stale_after_days")
    if stale is not None and (not isinstance(stale, int) or isinstance(stale, bool) or stale <= 0):
        raise RuleSetError(f"{name}: collateral.stale_after_days must be a positive whole number of days")
    stale_high = collateral.get("stale_after_days_high_risk")
    if stale_high is not None and (
        not isinstance(stale_high, int)
        or isinstance(stale_high, bool)
        or not 0 < stale_high <= (stale or stale_high)
    ):
        raise RuleSetError(
            f"{name}: collateral.stale_after_days_high_risk must be a positive whole number of days, "
            "no more than stale_after_days"
        )
    high_risk_from = _class(
        collateral.get("high_risk_from_class", "special_mention"), f"{name}: collateral.high_risk_from_class"
    )
    restructuring = None
    if raw := data.get("restructuring"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: restructuring')}"
        periods, months = raw.get("observation_min_periods"), raw.get("observation_min_months")
        for label, value in (("observation_min_periods", periods), ("observation_min_months", months)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise RuleSetError(f"{where}: {label} must be a whole number ≥ 0")
        restructuring = Restructuring(
            raw["rule"], _class(raw.get("class"), where), periods, months, str(raw.get("clause", ""))
        )
    contagion = None
    if raw := data.get("contagion"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: contagion')}"
        contagion = Contagion(
            raw["rule"], _rate(raw.get("above_share"), f"{where}: above_share"), _class(raw.get("class"), where),
            str(raw.get("clause", "")),
        )  # fmt: skip
    arrears_elsewhere = None
    if raw := data.get("arrears_elsewhere"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: arrears_elsewhere')}"
        klass = _class(raw.get("class"), where)
        if CLASSES.index(klass) > CLASSES.index("special_mention"):
            raise RuleSetError(
                f"{where}: arrears_elsewhere.class {klass!r}: arrears at another member may raise a contract to "
                "special_mention at most"
            )
        lessors = raw.get("lessors", [])
        if not isinstance(lessors, list) or not all(isinstance(code, str) and code for code in lessors):
            raise RuleSetError(f"{where}: arrears_elsewhere.lessors must be a list of lessor codes")
        arrears_elsewhere = ArrearsElsewhere(
            raw["rule"], klass, frozenset(lessors), str(raw.get("clause", ""))
        )
    upgrade = None
    if raw := data.get("upgrade"):
        where = f"{name}: rule {_text(raw, 'rule', f'{name}: upgrade')}"
        periods, months = raw.get("min_on_time_periods"), raw.get("min_on_time_months")
        for label, value in (("min_on_time_periods", periods), ("min_on_time_months", months)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RuleSetError(f"{where}: {label} must be a whole number ≥ 1")
        other = raw.get("no_other_npl_at_lessor", False)
        if not isinstance(other, bool):
            raise RuleSetError(f"{where}: no_other_npl_at_lessor must be true or false")
        upgrade = Upgrade(raw["rule"], periods, months, str(raw.get("clause", "")), other)
    rates = data.get("provision_rates")
    if not isinstance(rates, dict) or set(rates) != set(CLASSES):
        raise RuleSetError(f"{name}: provision_rates must give a rate for each of {', '.join(CLASSES)}")
    return RuleSet(
        id=_text(data, "id", name),
        version=version,
        title=str(data.get("title", "")),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        bands=_bands(data.get("dpd_bands"), name),
        shortfall=shortfall,
        value_fall=value_fall,
        stale_after_days=stale,
        contagion=contagion,
        upgrade=upgrade,
        provision_rates={k: _rate(v, f"{name}: provision_rates.{k}") for k, v in rates.items()},
        general_reserve_rate=_rate(data.get("general_reserve_rate"), f"{name}: general_reserve_rate"),
        stale_after_days_high_risk=stale_high,
        high_risk_from_class=high_risk_from,
        restructuring=restructuring,
        arrears_elsewhere=arrears_elsewhere,
    )


def load_rule_set(name_or_path: str) -> RuleSet:
    """A shipped rule set by id (leasing-indicators-trial, cbirc-2023) or a rule-set file by path."""
    if name_or_path in SHIPPED:
        text = (
            resources.files("leaseguard.defaults")
            .joinpath("classification", f"{name_or_path}.yaml")
            .read_text(encoding="utf-8")
        )
        return parse_rule_set(text, f"{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_file():
        raise RuleSetError(f"{name_or_path}: neither a shipped rule set ({', '.join(SHIPPED)}) nor a file")
    return parse_rule_set(path.read_text(encoding="utf-8"), str(path))
