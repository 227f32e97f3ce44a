"""Indicator rule sets and risk weights as data files, validated against a schema when loaded.

A rule set lists indicators; each has a numerator and a denominator written as arithmetic over named
quantities (see quantities.py), a comparison, a threshold (or none, "limit not yet set"), the clause it comes
from and whether that clause was checked against the regulation's text. A file that does not fit is refused
with its name, the indicator and the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from leaseguard.indicators.quantities import QUANTITIES
from leaseguard.rulefiles import (
    Item,
    RuleFile,
    RuleFileError,
    RuleProblem,
    digest_of,
    parse_rule_text,
    read_rule_text,
)
from leaseguard.vocabulary import INDICATOR_RULE_SETS, Label

SHIPPED = INDICATOR_RULE_SETS


class IndicatorRulesError(RuleFileError):
    """A rule-set or risk-weight file that cannot be used; the message names the file, the item and why."""


@dataclass(frozen=True)
class Expression:
    """Sums, differences and products of quantities and numbers, evaluated exactly in Decimal."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, values: dict[str, Decimal]) -> Decimal:
        return _evaluate(self.tree, values)


def _evaluate(node: ast.expr, values: dict[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, values)
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    return left * right


_ONLY_OPERATORS = Label("{text!r}：只允许 + − ×", "{text!r}: only + − × are allowed")


def parse_expression(text: str) -> Expression:
    """Parse `text`; only names, numbers, +, − and × are allowed (a division belongs in the denominator)."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise RuleProblem(
            Label("{text!r} 不是由数量名称组成的算式", "{text!r} is not arithmetic over quantity names"),
            text=text,
        ) from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in QUANTITIES:
                raise RuleProblem(
                    Label(
                        "引用了不存在的数量 {name!r}", "refers to the quantity {name!r}, which does not exist"
                    ),
                    name=node.id,
                )
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise RuleProblem(
                    Label(
                        "{text!r}：除数量名称外只能出现数字",
                        "{text!r}: only numbers may appear besides quantity names",
                    ),
                    text=text,
                )
        elif isinstance(node, ast.UnaryOp | ast.BinOp):
            allowed = ast.USub if isinstance(node, ast.UnaryOp) else ast.Add | ast.Sub | ast.Mult
            if not isinstance(node.op, allowed):
                raise RuleProblem(_ONLY_OPERATORS, text=text)
        elif not isinstance(node, ast.operator | ast.unaryop | ast.Load):
            raise RuleProblem(
                Label(
                    "{text!r}：只允许数量名称、数字和 + − ×",
                    "{text!r}: only quantity names, numbers and + − × are allowed",
                ),
                text=text,
            )
    return Expression(text.strip(), tree, frozenset(names))


ZeroRule = Literal["ok", "breach", "undefined"]


class IndicatorSpec(Item):
    """One indicator as written in a rule-set file."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
    name: Annotated[str, Field(min_length=1)]
    group: str = "other"
    numerator: str
    denominator: str
    comparison: Literal[">=", "<=", "report"]
    threshold: Decimal | None = None
    unit: Literal["ratio", "multiple"] = "ratio"
    clause: Annotated[str, Field(min_length=1)]
    verified: bool
    note: str | None = None
    warning_margin: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    # A buffer on top of a minimum (the capital conservation buffer): below the minimum is a breach, between
    # the minimum and minimum + buffer a warning; the report shows both levels. Only with ">=".
    buffer: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    # What a denominator of zero or below means for this indicator: e.g. provision coverage with no
    # non-performing assets is fine ("ok"); a leverage multiple over negative net assets is a breach.
    when_denominator_not_positive: ZeroRule = "undefined"
    # Which concentration's members are listed as the top contributors.
    contributors: Literal["customer", "group", "related_party", "shareholder"] | None = None

    @field_validator("numerator", "denominator")
    @classmethod
    def _arithmetic(cls, value: str) -> str:
        parse_expression(value)
        return value

    @model_validator(mode="after")
    def _threshold_fits_the_comparison(self) -> IndicatorSpec:
        if (self.threshold is None) != (self.comparison == "report"):
            raise RuleProblem(
                Label(
                    "阈值须与 >= 或 <= 一起使用；'report' 不设阈值",
                    "a threshold goes with >= or <=; 'report' has none",
                )
            )
        if self.comparison == "report" and not self.note:
            raise RuleProblem(Label("'report' 类指标须有 note", "a 'report' indicator needs a note"))
        return self


class RuleSetFile(RuleFile):
    """An indicator rule-set file (`defaults/indicators/*.yaml` but risk-weights) as written."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
    version: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1)]
    regulation: Annotated[str, Field(min_length=1)]
    applies_to: str = ""
    warning_margin: Annotated[Decimal, Field(ge=0, le=1)]
    indicators: Annotated[list[IndicatorSpec], Field(min_length=1)]

    @field_validator("indicators")
    @classmethod
    def _ids_once(cls, indicators: list[IndicatorSpec]) -> list[IndicatorSpec]:
        seen: set[str] = set()
        for spec in indicators:
            if spec.id in seen:
                raise RuleProblem(
                    Label("该 id 重复使用", "the id is used twice"), rule=f"indicator {spec.id}"
                )
            seen.add(spec.id)
        return indicators

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | None:
        if len(path) == 2 and path[0] == "indicators" and isinstance(node, Mapping) and "id" in node:
            return f"indicator {node['id']}"
        return None


@dataclass(frozen=True)
class Indicator:
    spec: IndicatorSpec
    numerator: Expression
    denominator: Expression

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class IndicatorRuleSet:
    id: str
    version: int
    title: str
    regulation: str
    applies_to: str
    warning_margin: Decimal
    indicators: tuple[Indicator, ...]
    digest: str  # SHA-256 of the file, kept with every report
    source: str

    def needs(self) -> frozenset[str]:
        """Every quantity the rule set's indicators read."""
        return frozenset(name for i in self.indicators for name in (*i.numerator.names, *i.denominator.names))


def parse_rule_set(text: str, name: str) -> IndicatorRuleSet:
    """A rule set from the text of its file, cited as `name` in errors and in its `source`."""
    parsed = parse_rule_text(RuleSetFile, text, name, IndicatorRulesError)
    return IndicatorRuleSet(
        id=parsed.id,
        version=parsed.version,
        title=parsed.title,
        regulation=parsed.regulation,
        applies_to=parsed.applies_to,
        warning_margin=parsed.warning_margin,
        indicators=tuple(
            Indicator(spec, parse_expression(spec.numerator), parse_expression(spec.denominator))
            for spec in parsed.indicators
        ),
        digest=digest_of(text),
        source=name,
    )


# The rule set a lessor's regime reports under unless a report names another; a workspace may override it with
# the setting indicators.default_rules.
DEFAULT_RULES_BY_REGIME: dict[str, str] = {"financial_leasing": "nfra-2024", "finance_leasing": "cbirc-2020"}


def default_rule_set_for(regime: str | None, overrides: object = None) -> str:
    """The rule set of a regime (settings first, then the shipped mapping); IndicatorRulesError without one."""
    mapping = dict(DEFAULT_RULES_BY_REGIME)
    if isinstance(overrides, dict):
        mapping.update({str(k): str(v) for k, v in overrides.items()})
    if regime is None:
        raise IndicatorRulesError(
            Label(
                "该出租人没有监管类别：请用 `leaseguard lessors add CODE --name ... --regime "
                "financial_leasing|finance_leasing`（或 lessors.csv 的 regime 列）设置，或指定 --rules",
                "the lessor has no regime: set it with `leaseguard lessors add CODE --name ... --regime "
                "financial_leasing|finance_leasing` (or the lessors.csv column regime), or name --rules",
            )
        )
    if regime not in mapping:
        raise IndicatorRulesError(
            Label(
                "监管类别 {regime!r} 没有默认指标体系（设置项 indicators.default_rules）",
                "regime {regime!r} has no default rule set (setting indicators.default_rules)",
            ),
            regime=regime,
        )
    return mapping[regime]


def load_shipped_rule_set(name: str) -> IndicatorRuleSet:
    """A shipped rule set by its id only: what a caller who may not name files on this machine may ask for."""
    if name not in SHIPPED:
        raise IndicatorRulesError(
            Label(
                "没有指标体系 {name!r}：随附的有 {shipped}",
                "unknown rule set {name!r}: the shipped ones are {shipped}",
            ),
            name=name,
            shipped=", ".join(SHIPPED),
        )
    return load_rule_set(name)


def load_rule_set(name_or_path: str) -> IndicatorRuleSet:
    """A shipped rule set by id (leasing-indicators-trial, nfra-2024, cbirc-2020) or a rule-set file by path."""
    if name_or_path in SHIPPED:
        text, source = read_rule_text(None, f"indicators/{name_or_path}.yaml", IndicatorRulesError)
    elif Path(name_or_path).is_file():
        text, source = read_rule_text(Path(name_or_path), "", IndicatorRulesError)
    else:
        raise IndicatorRulesError(
            Label(
                "没有指标体系 {name!r}：既不是随附的指标体系（{shipped}），也不是文件",
                "unknown rule set {name!r}: neither a shipped one ({shipped}) nor a file",
            ),
            name=name_or_path,
            shipped=", ".join(SHIPPED),
        )
    return parse_rule_set(text, source)


WEIGHT_KEYS = (
    "corporate",
    "sme",
    "small_micro",
    "regulatory_retail",
    "defaulted",
    "residual_value",
    "off_balance",
)


class RiskWeightsFile(RuleFile):
    """`defaults/indicators/risk-weights.yaml` as written."""

    version: Annotated[int, Field(ge=1)]
    weights: dict[str, Annotated[Decimal, Field(ge=0, le=20)]]
    # Classes whose contracts count as defaulted (weighted `defaulted` instead of by lessee type).
    defaulted_classes: Annotated[list[str], Field(min_length=1)]
    # Values of contracts.extra["enterprise_size"] and the weight key each maps to.
    enterprise_sizes: dict[str, str]

    @field_validator("weights")
    @classmethod
    def _every_weight(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        missing = [k for k in WEIGHT_KEYS if k not in value]
        unknown = [k for k in value if k not in WEIGHT_KEYS]
        if missing or unknown:
            raise RuleProblem(
                Label(
                    "缺少 {missing}，未知 {unknown}；应为 {expected}",
                    "missing {missing}, unknown {unknown}; expected {expected}",
                ),
                missing=missing,
                unknown=unknown,
                expected=list(WEIGHT_KEYS),
            )
        return value

    @field_validator("enterprise_sizes")
    @classmethod
    def _weighted_sizes(cls, value: dict[str, str]) -> dict[str, str]:
        for size, key in value.items():
            if key not in WEIGHT_KEYS:
                raise RuleProblem(
                    Label("{key!r} 不是风险权重键", "{key!r} is not a weight key"), field=size, key=key
                )
        return value


@dataclass(frozen=True)
class RiskWeights:
    version: int
    weights: dict[str, Decimal]
    defaulted_classes: tuple[str, ...]
    enterprise_sizes: dict[str, str]
    digest: str


def load_risk_weights(path: Path | None = None) -> RiskWeights:
    """The shipped risk weights (defaults/indicators/risk-weights.yaml) or a file of the same shape."""
    text, source = read_rule_text(path, "indicators/risk-weights.yaml", IndicatorRulesError)
    parsed = parse_rule_text(RiskWeightsFile, text, source, IndicatorRulesError)
    return RiskWeights(
        parsed.version,
        dict(parsed.weights),
        tuple(parsed.defaulted_classes),
        dict(parsed.enterprise_sizes),
        digest_of(text),
    )
