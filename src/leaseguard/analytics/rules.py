"""The analytics' tunable numbers, as data: shipped defaults in analytics.yaml, overridable by a file."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leaseguard.rulefiles import RuleProblem, load_rule_file
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang


class ProvinceName(BaseModel):
    """A province's name as people read it: Chinese, and English where the file gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _plain_name(cls, value: Any) -> Any:
        return {"zh": value} if isinstance(value, str) else value

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return self.en if lang == "en" and self.en else self.zh


class DpdBucket(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    lower_days: int = Field(alias="from", ge=0)


class VintageRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dpd_thresholds: list[int] = Field(min_length=1)
    cohort: Literal["month", "quarter"]

    @field_validator("dpd_thresholds")
    @classmethod
    def _positive(cls, thresholds: list[int]) -> list[int]:
        if any(days <= 0 for days in thresholds):
            raise RuleProblem(
                Label(
                    "每个逾期天数阈值都必须是正的天数",
                    "every DPD threshold must be a positive number of days",
                )
            )
        return sorted(set(thresholds))


class RollRateRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1)


class SummaryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top_movers: int = Field(default=10, ge=0, le=1000)


class AnalyticsRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    dpd_buckets: list[DpdBucket] = Field(min_length=2)
    vintage: VintageRule
    roll_rates: RollRateRule
    classes: list[str]
    npl_classes: list[str]
    npl_dimensions: list[str]
    provinces: dict[str, ProvinceName]
    summary: SummaryRule = SummaryRule()

    @model_validator(mode="after")
    def _consistent(self) -> AnalyticsRules:
        bounds = [bucket.lower_days for bucket in self.dpd_buckets]
        if bounds[0] != 0:
            raise RuleProblem(
                Label(
                    "dpd_buckets：第一个分箱必须从 0 天开始",
                    "dpd_buckets: the first bucket must start at 0 days",
                )
            )
        if any(later <= earlier for earlier, later in itertools.pairwise(bounds)):
            raise RuleProblem(
                Label(
                    "dpd_buckets：各分箱的下限必须严格递增（不留空缺、不重叠）",
                    "dpd_buckets: lower bounds must strictly increase (no gap, no overlap)",
                )
            )
        names = [bucket.name for bucket in self.dpd_buckets]
        if len(set(names)) != len(names):
            raise RuleProblem(
                Label("dpd_buckets：分箱名称不能重复", "dpd_buckets: bucket names must be unique")
            )
        unknown = set(self.npl_classes) - set(self.classes)
        if unknown:
            raise RuleProblem(
                Label(
                    "npl_classes：{unknown} 不在 classes 之中", "npl_classes: {unknown} are not among classes"
                ),
                unknown=sorted(unknown),
            )
        return self

    @property
    def bucket_names(self) -> list[str]:
        return [bucket.name for bucket in self.dpd_buckets]

    def province_names(self, lang: Lang = DEFAULT_LANG) -> dict[str, str]:
        """Each province's code and its name in `lang` (the Chinese one where the file gives no other)."""
        return {code: name.text(lang) for code, name in self.provinces.items()}

    def region_label(self, code: str, lang: Lang = DEFAULT_LANG) -> str | None:
        """A province's code and name as people read them in `lang` ("32 江苏", "32 Jiangsu"); None for a code
        that is not a province."""
        name = self.provinces.get(code)
        return None if name is None else f"{code} {name.text(lang)}"

    def region_in(self, region: str, lang: Lang) -> str:
        """A region as the analytics name it ("32 江苏", `dimensions.region_name`) in `lang`: "32 Jiangsu"."""
        label = self.region_label(region[:2], lang) if region[2:3] == " " else None
        return label or region


def load_analytics_rules(path: Path | None = None) -> AnalyticsRules:
    """The rules at `path`, or the shipped defaults; RuleFileError names the file, the field and the reason."""
    return load_rule_file(AnalyticsRules, path, "analytics.yaml")
