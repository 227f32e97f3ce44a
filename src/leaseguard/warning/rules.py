"""The early warning's tunable numbers, as data: shipped defaults in warning.yaml, overridable by a file."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaseguard.rulefiles import RuleProblem, load_rule_file
from leaseguard.vocabulary import CLASSES, TRACKING_SIGNALS, Label

# The book's signals (warning/signals.py), then the location alerts' (tracking/signals.py: an alert of the
# contract's asset is open), in the order the call list names them.
BOOK_SIGNALS = (
    "first_missed_payment",
    "worse_dpd_bucket",
    "collateral_drop",
    "arrears_elsewhere",
    "industry_concentration",
)
SIGNALS = (*BOOK_SIGNALS, *TRACKING_SIGNALS)


class SignalRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collateral_drop_min_fall: Decimal = Field(gt=0, lt=1)
    industry_concentration_max_share: Decimal = Field(gt=0, le=1)
    # The lessors that switched on the consortium signal "in arrears at another member" for their own call
    # list; no lessor's warnings look beyond its own book unless it is listed here.
    arrears_elsewhere_lessors: list[str] = Field(default_factory=list)


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    min_score: Decimal = Field(ge=0, le=1)
    label: str = ""  # what a person reads (Chinese)


class Collections(BaseModel):
    """Contracts already in default are not a forecast: they go to this tier, above every scored tier, by rule,
    whatever their score."""

    model_config = ConfigDict(extra="forbid")

    tier: str = "collections"
    label: str = "催收"
    min_dpd: int = Field(ge=1)
    classes: list[str] = Field(
        default_factory=list
    )  # the day's five-category classes that send a contract here


class WarningRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    history_months: int = Field(ge=1, le=60)
    signals: SignalRules
    tiers: list[Tier] = Field(min_length=1)
    escalation: dict[str, str]
    collections: Collections | None = None

    @model_validator(mode="after")
    def _consistent(self) -> WarningRules:
        cut_offs = [tier.min_score for tier in self.tiers]
        if any(later >= earlier for earlier, later in itertools.pairwise(cut_offs)):
            raise RuleProblem(
                Label(
                    "tiers：min_score 必须从第一档（最差）起逐档严格递减",
                    "tiers: min_score must strictly decrease from the first (worst) tier",
                )
            )
        if cut_offs[-1] != 0:
            raise RuleProblem(
                Label(
                    "tiers：最后一档必须从 0 开始，使每个评分都有所属档位",
                    "tiers: the last tier must start at 0 so every score has a tier",
                )
            )
        names = self.tier_names
        unknown_signals = set(self.escalation) - set(SIGNALS)
        if unknown_signals:
            raise RuleProblem(
                Label(
                    "escalation：未知信号 {unknown}；可用的信号：{known}",
                    "escalation: unknown signals {unknown}; known: {known}",
                ),
                unknown=sorted(unknown_signals),
                known=list(SIGNALS),
            )
        if self.collections is not None:
            if self.collections.tier in names:
                raise RuleProblem(
                    Label(
                        "collections.tier {tier!r} 与某个评分档位重名",
                        "collections.tier {tier!r} is also a scored tier's name",
                    ),
                    tier=self.collections.tier,
                )
            unknown_classes = set(self.collections.classes) - set(CLASSES)
            if unknown_classes:
                raise RuleProblem(
                    Label(
                        "collections.classes：未知分类 {unknown}；可用的分类：{known}",
                        "collections.classes: unknown classes {unknown}; known: {known}",
                    ),
                    unknown=sorted(unknown_classes),
                    known=list(CLASSES),
                )
        unknown_tiers = set(self.escalation.values()) - set(names)
        if unknown_tiers:
            raise RuleProblem(
                Label(
                    "escalation：未知档位 {unknown}；档位有 {names}",
                    "escalation: unknown tiers {unknown}; tiers are {names}",
                ),
                unknown=sorted(unknown_tiers),
                names=names,
            )
        return self

    @property
    def tier_names(self) -> list[str]:
        return [tier.name for tier in self.tiers]

    @property
    def tier_labels(self) -> dict[str, str]:
        labels = {tier.name: tier.label or tier.name for tier in self.tiers}
        if self.collections is not None:
            labels[self.collections.tier] = self.collections.label
        return labels


def load_warning_rules(path: Path | None = None) -> WarningRules:
    """The rules at `path`, or the shipped defaults; RuleFileError names the file, the field and the reason."""
    return load_rule_file(WarningRules, path, "warning.yaml")
