"""Indicator rule sets and risk weights as data files, validated against a schema when loaded.

A rule set lists indicators; each has a numerator and a denominator written as arithmetic over named
quantities (see quantities.py), a comparison, a threshold (or none, "limit not yet set"), the clause it comes
from and whether that clause was checked against the regulation's text. A file that does not fit is refused
with its name, the indicator and the reason.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leaseguard.errors import InvalidInputError
from leaseguard.indicators.quantities import QUANTITIES
from leaseguard.vocabulary import INDICATOR_RULE_SETS

SHIPPED = INDICATOR_RULE_SETS


class IndicatorRulesError(InvalidInputError):
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


def parse_expression(text: str) -> Expression:
    """Parse `text`; only names, numbers, +, − and × are allowed (a division belongs in the denominator)."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"{text!r} is not arithmetic over quantity names") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in QUANTITIES:
                raise ValueError(f"refers to the quantity {node.id!r}, which does not exist")
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ValueError(f"{text!r}: only numbers may appear besides quantity names")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise ValueError(f"{text!r}: only + − × are allowed")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
                raise ValueError(f"{text!r}: only + − × are allowed")
        elif not isinstance(node, ast.operator | ast.unaryop | ast.Load):
            raise ValueError(f"{text!r}: only quantity names, numbers and + − × are allowed")
    return Expression(text.strip(), tree, frozenset(names))


ZeroRule = Literal["ok", "breach", "undefined"]


class IndicatorSpec(BaseModel):
    """One indicator as written in a rule-set file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class RuleSetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
    version: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1)]
    regulation: Annotated[str, Field(min_length=1)]
    applies_to: str = ""
    warning_margin: Annotated[Decimal, Field(ge=0, le=1)]
    indicators: Annotated[list[IndicatorSpec], Field(min_length=1)]


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


def _where(error: ValidationError, data: object) -> str:
    first = error.errors()[0]
    location = list(first["loc"])
    label = ".".join(str(part) for part in location) or "(file)"
    if len(location) >= 2 and location[0] == "indicators" and isinstance(data, dict):
        try:
            indicator_id = data["indicators"][location[1]]["id"]
            label = f"indicator {indicator_id}: " + ".".join(str(p) for p in location[2:])
        except (KeyError, IndexError, TypeError):
            pass
    message = first["msg"].removeprefix("Value error, ")
    return f"{label}: {message}"


def parse_rule_set(text: str, name: str) -> IndicatorRuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise IndicatorRulesError(f"{name}: not valid YAML: {str(error).splitlines()[0]}") from None
    try:
        parsed = RuleSetFile.model_validate(data)
    except ValidationError as error:
        raise IndicatorRulesError(f"{name}: {_where(error, data)}") from None
    seen: set[str] = set()
    indicators = []
    for spec in parsed.indicators:
        if spec.id in seen:
            raise IndicatorRulesError(f"{name}: indicator {spec.id}: the id is used twice")
        seen.add(spec.id)
        if (spec.threshold is None) != (spec.comparison == "report"):
            raise IndicatorRulesError(
                f"{name}: indicator {spec.id}: a threshold goes with >= or <=; 'report' has none"
            )
        if spec.comparison == "report" and not spec.note:
            raise IndicatorRulesError(f"{name}: indicator {spec.id}: a 'report' indicator needs a note")
        indicators.append(
            Indicator(spec, parse_expression(spec.numerator), parse_expression(spec.denominator))
        )
    return IndicatorRuleSet(
        id=parsed.id,
        version=parsed.version,
        title=parsed.title,
        regulation=parsed.regulation,
        applies_to=parsed.applies_to,
        warning_margin=parsed.warning_margin,
        indicators=tuple(indicators),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=name,
    )


def _shipped_text(file_name: str) -> str:
    return (
        resources.files("leaseguard.defaults").joinpath("indicators", file_name).read_text(encoding="utf-8")
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
            "the lessor has no regime: set it with `leaseguard lessors add CODE --name ... --regime "
            "financial_leasing|finance_leasing` (or the lessors.csv column regime), or name --rules"
        )
    if regime not in mapping:
        raise IndicatorRulesError(
            f"regime {regime!r} has no default rule set (setting indicators.default_rules)"
        )
    return mapping[regime]


def load_shipped_rule_set(name: str) -> IndicatorRuleSet:
    """A shipped rule set by its id only: what a caller who may not name files on this machine may ask for."""
    if name not in SHIPPED:
        raise IndicatorRulesError(f"unknown rule set {name!r}: the shipped ones are {', '.join(SHIPPED)}")
    return load_rule_set(name)


def load_rule_set(name_or_path: str) -> IndicatorRuleSet:
    """A shipped rule set by id (leasing-indicators-trial, nfra-2024, cbirc-2020) or a rule-set file by path."""
    if name_or_path in SHIPPED:
        return parse_rule_set(_shipped_text(f"{name_or_path}.yaml"), f"{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_file():
        raise IndicatorRulesError(
            f"unknown rule set {name_or_path!r}: neither a shipped one ({', '.join(SHIPPED)}) nor a file"
        )
    return parse_rule_set(path.read_text(encoding="utf-8"), str(path))


WEIGHT_KEYS = (
    "corporate",
    "sme",
    "small_micro",
    "regulatory_retail",
    "defaulted",
    "residual_value",
    "off_balance",
)


class RiskWeightsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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
            raise ValueError(f"weights: missing {missing}, unknown {unknown}; expected {list(WEIGHT_KEYS)}")
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
    name = str(path) if path else "risk-weights.yaml"
    try:
        text = path.read_text(encoding="utf-8") if path else _shipped_text("risk-weights.yaml")
    except OSError as error:
        raise IndicatorRulesError(f"{name}: cannot read ({error.strerror})") from None
    try:
        parsed = RiskWeightsFile.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as error:
        detail = _where(error, None) if isinstance(error, ValidationError) else "not valid YAML"
        raise IndicatorRulesError(f"{name}: {detail}") from None
    for size, key in parsed.enterprise_sizes.items():
        if key not in WEIGHT_KEYS:
            raise IndicatorRulesError(f"{name}: enterprise_sizes.{size}: {key!r} is not a weight key")
    return RiskWeights(
        parsed.version,
        dict(parsed.weights),
        tuple(parsed.defaulted_classes),
        dict(parsed.enterprise_sizes),
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
