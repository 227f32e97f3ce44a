"""Classification rule sets as data: days-past-due bands, collateral and contagion rules, provision rates.

A rule-set file (`RuleSetFile`, read through leaseguard.rulefiles) is checked as a whole before it is used: its
DPD bands must start at 0 and follow each other without a gap or an overlap, every class must be one of the
five, every rate must lie in [0, 1]. A broken file is refused with its name, the rule and the reason, and never
replaces a working one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, model_validator

from leaseguard.rulefiles import (
    Item,
    RuleFile,
    RuleFileError,
    RuleProblem,
    Text,
    digest_of,
    exact_number,
    parse_rule_text,
    read_rule_text,
    whole_number,
)
from leaseguard.vocabulary import CLASSES, CLASSIFICATION_RULE_SETS, Label

SHIPPED = CLASSIFICATION_RULE_SETS


class RuleSetError(RuleFileError):
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


def _rate(value: Any) -> float:
    return float(exact_number(value, Decimal(0), Decimal(1)))


def _class(value: Any) -> str:
    if value not in CLASSES:
        raise RuleProblem(
            Label("class {value!r} 不是 {classes} 之一", "class {value!r} is not one of {classes}"),
            value=value,
            classes=", ".join(CLASSES),
        )
    return str(value)


def _full_provision(value: Any) -> str | None:
    if value is False or value is None:
        return None
    if value is True:  # the text's own reading
        return "whole_claim"
    if value not in FULL_PROVISION_READINGS:
        raise RuleProblem(
            Label(
                "必须是 {readings}（或 false），不能是 {value!r}",
                "must be {readings} (or false), not {value!r}",
            ),
            readings=" or ".join(FULL_PROVISION_READINGS),
            value=value,
        )
    return str(value)


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleProblem(Label("必须是不小于 0 的整数天数", "must be a whole number of days ≥ 0"))
    return value


# The engine reads rates as floats (Polars columns); the file's number is checked exactly first.
_Rate = Annotated[float, BeforeValidator(_rate)]
_Class = Annotated[str, BeforeValidator(_class)]
_Days = Annotated[int, BeforeValidator(_days)]
_PositiveDays = Annotated[int, whole_number(1)]


class _Rule(Item):
    """What every rule of a rule set carries: its id, the clause it applies and whether that was checked."""

    rule: Text
    clause: str = ""
    verified: bool | None = None


class _Band(_Rule):
    start: Annotated[_Days, Field(alias="from")]
    end: Annotated[_Days | None, Field(alias="to")]  # exclusive; null: no end
    klass: Annotated[_Class, Field(alias="class")]

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> _Band:
        if self.end is not None and self.end <= self.start:
            raise RuleProblem(
                Label(
                    "必须是大于 from 的整数天数，或 null",
                    "must be a whole number of days above 'from', or null",
                ),
                field="to",
            )
        return self


def _contiguous(bands: list[_Band]) -> list[_Band]:
    if bands[0].start != 0:
        raise RuleProblem(
            Label(
                "第一个逾期天数区间必须从 0 天开始，不能从 {start} 天开始",
                "the first band must start at 0 days, not {start}",
            ),
            rule=f"rule {bands[0].rule}",
            start=bands[0].start,
        )
    for before, after in itertools.pairwise(bands):
        if before.end is None:
            raise RuleProblem(
                Label("不设上限的区间必须是最后一个", "an open-ended band must be the last"),
                rule=f"rule {before.rule}",
            )
        if after.start > before.end:
            raise RuleProblem(
                Label(
                    "逾期天数区间在 {end} 天到 {start} 天之间有空缺",
                    "a gap in the DPD bands from {end} to {start} days",
                ),
                rule=f"rule {after.rule}",
                end=before.end,
                start=after.start,
            )
        if after.start < before.end:
            raise RuleProblem(
                Label(
                    "与规则 {other} 重叠（{start} < {end} 天）",
                    "overlaps rule {other} ({start} < {end} days)",
                ),
                rule=f"rule {after.rule}",
                other=before.rule,
                start=after.start,
                end=before.end,
            )
    if bands[-1].end is not None:
        raise RuleProblem(
            Label("最后一个区间不能设上限（to: null）", "the last band must have no end (to: null)"),
            rule=f"rule {bands[-1].rule}",
        )
    return bands


class _Shortfall(_Rule):
    below_share_of_claim: _Rate
    klass: Annotated[_Class, Field(alias="class")]
    full_provision: Annotated[str | None, BeforeValidator(_full_provision)] = None


class _ValueFall(_Rule):
    fall_share: _Rate
    klass: Annotated[_Class, Field(alias="class")]


class _Collateral(Item):
    shortfall: _Shortfall | None = None
    value_fall: _ValueFall | None = None
    stale_after_days: _PositiveDays | None = None
    stale_after_days_high_risk: _PositiveDays | None = None
    high_risk_from_class: _Class = "special_mention"

    @model_validator(mode="after")
    def _high_risk_is_stricter(self) -> _Collateral:
        high, ordinary = self.stale_after_days_high_risk, self.stale_after_days
        if high is not None and ordinary is not None and high > ordinary:
            raise RuleProblem(
                Label(
                    "stale_after_days_high_risk 必须是正整数天数，且不大于 stale_after_days",
                    "stale_after_days_high_risk must be a positive whole number of days, no more than "
                    "stale_after_days",
                ),
                field="stale_after_days_high_risk",
            )
        return self


class _Contagion(_Rule):
    above_share: _Rate
    klass: Annotated[_Class, Field(alias="class")]


class _ArrearsElsewhere(_Rule):
    klass: Annotated[_Class, Field(alias="class")]
    lessors: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _special_mention_at_most(self) -> _ArrearsElsewhere:
        if CLASSES.index(self.klass) > CLASSES.index("special_mention"):
            raise RuleProblem(
                Label(
                    "arrears_elsewhere.class {klass!r}：在其他成员处逾期最多只能把合同调为 special_mention（关注类）",
                    "arrears_elsewhere.class {klass!r}: arrears at another member may raise a contract to "
                    "special_mention at most",
                ),
                klass=self.klass,
            )
        return self


class _Upgrade(_Rule):
    min_on_time_periods: Annotated[int, whole_number(1)]
    min_on_time_months: Annotated[int, whole_number(1)]
    no_other_npl_at_lessor: StrictBool = False


class _Restructuring(_Rule):
    klass: Annotated[_Class, Field(alias="class")]
    observation_min_periods: Annotated[int, whole_number(0)]
    observation_min_months: Annotated[int, whole_number(0)]


def _every_class(rates: Any) -> Any:
    if not isinstance(rates, dict) or set(rates) != set(CLASSES):
        raise RuleProblem(
            Label("必须为 {classes} 每一类给出拨备比例", "must give a rate for each of {classes}"),
            classes=", ".join(CLASSES),
        )
    return rates


class RuleSetFile(RuleFile):
    """A classification rule-set file (`defaults/classification/*.yaml`) as written."""

    id: Text
    version: Annotated[int, whole_number(0)]
    title: str = ""
    dpd_bands: Annotated[list[_Band], Field(min_length=1), AfterValidator(_contiguous)]
    collateral: _Collateral | None = None
    contagion: _Contagion | None = None
    arrears_elsewhere: _ArrearsElsewhere | None = None
    restructuring: _Restructuring | None = None
    upgrade: _Upgrade | None = None
    provision_rates: Annotated[dict[str, _Rate], BeforeValidator(_every_class)]
    general_reserve_rate: _Rate

    def rule_set(self, digest: str) -> RuleSet:
        collateral = self.collateral or _Collateral()
        shortfall, fall = collateral.shortfall, collateral.value_fall
        contagion, upgrade = self.contagion, self.upgrade
        restructuring, elsewhere = self.restructuring, self.arrears_elsewhere
        return RuleSet(
            id=self.id,
            version=self.version,
            title=self.title,
            digest=digest,
            bands=tuple(Band(b.rule, b.start, b.end, b.klass, b.clause) for b in self.dpd_bands),
            shortfall=None if shortfall is None else Shortfall(
                shortfall.rule, shortfall.below_share_of_claim, shortfall.klass, shortfall.full_provision,
                shortfall.clause,
            ),
            value_fall=None if fall is None else ValueFall(fall.rule, fall.fall_share, fall.klass, fall.clause),
            stale_after_days=collateral.stale_after_days,
            contagion=None if contagion is None else Contagion(
                contagion.rule, contagion.above_share, contagion.klass, contagion.clause
            ),
            upgrade=None if upgrade is None else Upgrade(
                upgrade.rule, upgrade.min_on_time_periods, upgrade.min_on_time_months, upgrade.clause,
                upgrade.no_other_npl_at_lessor,
            ),
            provision_rates=dict(self.provision_rates),
            general_reserve_rate=self.general_reserve_rate,
            stale_after_days_high_risk=collateral.stale_after_days_high_risk,
            high_risk_from_class=collateral.high_risk_from_class,
            restructuring=None if restructuring is None else Restructuring(
                restructuring.rule, restructuring.klass, restructuring.observation_min_periods,
                restructuring.observation_min_months, restructuring.clause,
            ),
            arrears_elsewhere=None if elsewhere is None else ArrearsElsewhere(
                elsewhere.rule, elsewhere.klass, frozenset(elsewhere.lessors), elsewhere.clause
            ),
        )  # fmt: skip


def parse_rule_set(text: str, name: str) -> RuleSet:
    """A rule set from the text of its file, cited as `name` in errors."""
    return parse_rule_text(RuleSetFile, text, name, RuleSetError).rule_set(digest_of(text))


def load_rule_set(name_or_path: str) -> RuleSet:
    """A shipped rule set by id (leasing-indicators-trial, cbirc-2023) or a rule-set file by path."""
    if name_or_path in SHIPPED:
        text, source = read_rule_text(None, f"classification/{name_or_path}.yaml", RuleSetError)
    elif Path(name_or_path).is_file():
        text, source = read_rule_text(Path(name_or_path), "", RuleSetError)
    else:
        raise RuleSetError(
            Label(
                "{name}：既不是内置规则集（{shipped}），也不是文件",
                "{name}: neither a shipped rule set ({shipped}) nor a file",
            ),
            name=name_or_path,
            shipped=", ".join(SHIPPED),
        )
    return parse_rule_set(text, source)
