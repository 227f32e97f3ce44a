"""Policy rules analysts own: a YAML file with cut-offs, limit and price bands, and rules written in CEL
(cel-python; never Python eval), read as a `PolicyFile` through leaseguard.rulefiles. A rule naming a field
that does not exist is refused at load."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import celpy
from lark import Token, Tree
from pydantic import BeforeValidator, PrivateAttr, field_validator, model_validator

from leaseguard.credit.errors import CreditError
from leaseguard.rulefiles import (
    Item,
    RuleFile,
    RuleFileError,
    RuleProblem,
    Text,
    YuanFen,
    digest_of,
    exact_number,
    parse_rule_text,
    read_rule_text,
    refuse,
    whole_number,
)
from leaseguard.vocabulary import DECISION_LABELS, Label

ACTIONS = ("approve", "flag", "refer", "decline")
# The strictest action wins; flag only reports.
SEVERITY = {"approve": 0, "flag": 0, "refer": 1, "decline": 2}
DECISIONS = ("approve", "refer", "decline")


@dataclass(frozen=True)
class Rule:
    id: str
    when: str
    action: str
    reason: str
    fields: frozenset[str]
    program: Any


@dataclass(frozen=True)
class Band:
    name: str
    max_pd: float
    price_band: str
    months_of_income: int | None
    limit_cap_yuan: Decimal | None


@dataclass(frozen=True)
class Policy:
    version: int
    name: str
    sha256: str
    source: str
    pd_from: str
    approve_max_pd: float
    decline_min_pd: float
    bands: tuple[Band, ...]
    rules: tuple[Rule, ...]
    tests: tuple[dict[str, Any], ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset().union(*(rule.fields for rule in self.rules)) if self.rules else frozenset()

    def cutoff_decision(self, pd_: float) -> str:
        if pd_ >= self.decline_min_pd:
            return "decline"
        if pd_ <= self.approve_max_pd:
            return "approve"
        return "refer"

    def band_for(self, pd_: float) -> Band | None:
        return next((band for band in self.bands if pd_ <= band.max_pd), None)


def _identifiers(tree: Any) -> set[str]:
    """Top-level names an expression reads (the `a` of `a.b`, never a function or a field after a dot)."""
    names: set[str] = set()
    if isinstance(tree, Tree):
        if tree.data == "ident" and tree.children and isinstance(tree.children[0], Token):
            names.add(str(tree.children[0]))
        for child in tree.children:
            names |= _identifiers(child)
    return names


def _functions(tree: Any) -> set[str]:
    """Names of the functions and methods an expression calls."""
    names: set[str] = set()
    if isinstance(tree, Tree):
        if tree.data == "ident_arg" and tree.children and isinstance(tree.children[0], Token):
            names.add(str(tree.children[0]))
        if tree.data == "member_dot_arg" and len(tree.children) > 1 and isinstance(tree.children[1], Token):
            names.add(str(tree.children[1]))
        for child in tree.children:
            names |= _functions(child)
    return names


# CEL's standard functions (cel-python's), and nothing else: a rule cannot call into Python.
KNOWN_FUNCTIONS = frozenset(name for name in celpy.evaluation.base_functions if name[0].isalpha())


def _to_cel(value: Any) -> Any:
    if isinstance(value, bool):
        return celpy.celtypes.BoolType(value)
    if isinstance(value, int):
        return celpy.celtypes.IntType(value)
    if isinstance(value, float):
        return celpy.celtypes.DoubleType(value)
    if isinstance(value, Decimal):
        return celpy.celtypes.DoubleType(float(value))
    if value is None:
        return None
    return celpy.celtypes.StringType(str(value))


@functools.cache
def _environment() -> celpy.Environment:
    """CEL's environment, built on first use: building its parser costs ~0.14 s, which every process that
    imports the API or the console would otherwise pay, whether it ever reads a policy or not."""
    return celpy.Environment()


class PolicyError(CreditError, RuleFileError):
    """A policy file that cannot be used (`kind` invalid-policy, as the API answers it)."""

    def __init__(
        self,
        message: str | Label = "",
        /,
        *,
        field: str | None = None,
        kind: str = "invalid-policy",
        **params: object,
    ) -> None:
        super().__init__(message, field=field, kind=kind, **params)


def _probability(value: Any) -> float:
    return float(exact_number(value, Decimal(0), Decimal(1)))


_Probability = Annotated[float, BeforeValidator(_probability)]


class _Cutoffs(Item):
    approve_max_pd: _Probability
    decline_min_pd: _Probability

    @model_validator(mode="after")
    def _in_order(self) -> _Cutoffs:
        if self.approve_max_pd > self.decline_min_pd:
            raise RuleProblem(
                Label(
                    "须满足 0 <= approve_max_pd <= decline_min_pd <= 1",
                    "need 0 <= approve_max_pd <= decline_min_pd <= 1",
                )
            )
        return self


class _Band(Item):
    name: Text
    max_pd: _Probability
    price_band: str | None = None  # the band's name when not given
    months_of_income: Annotated[int, whole_number(0)] | None = None
    limit_cap_yuan: YuanFen | None = None  # exact yuan, held as fen


def _action(value: Any) -> str:
    if value not in ACTIONS:
        raise RuleProblem(
            Label("action {value!r} 不是 {actions} 之一", "action {value!r} is not one of {actions}"),
            value=value,
            actions=", ".join(ACTIONS),
        )
    return str(value)


def _rule_label(number: int, node: Any) -> str:
    rule_id = node.get("id") if isinstance(node, Mapping) else None
    return f"rule {rule_id or f'#{number}'} (rules[{number}])"


class _Rule(Item):
    id: str | None = None  # "#n" (its place in the list) when not given
    when: Text  # a CEL expression
    action: Annotated[str, BeforeValidator(_action)]
    reason: str | None = None  # the id when not given
    _tree: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _cel(self) -> _Rule:
        try:
            tree = _environment().compile(self.when)
        except celpy.CELParseError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "syntax error"
            raise RuleProblem(
                Label("CEL 语法错误，在 {when!r} 中：{first}", "CEL syntax error in {when!r}: {first}"),
                field="when",
                when=self.when,
                first=first,
            ) from None
        unknown_functions = sorted(_functions(tree) - KNOWN_FUNCTIONS)
        if unknown_functions:
            raise RuleProblem(
                Label("调用了 {name!r}，它不是 CEL 函数", "calls {name!r}, which is not a CEL function"),
                field="when",
                name=unknown_functions[0],
            )
        self._tree = tree
        return self


class PolicyFile(RuleFile):
    """A credit policy file (`defaults/credit/policy.yaml`) as written; every rule's CEL compiles and calls
    only CEL's functions. The fields a rule names are checked against the features afterwards."""

    version: Annotated[int, whole_number(0)]
    name: str | None = None  # the file's name when not given
    pd_from: Literal["gbm", "scorecard"] = "gbm"
    cutoffs: _Cutoffs
    bands: list[_Band] | None = None
    rules: list[_Rule]
    tests: list[dict[str, Any]] | None = None

    @field_validator("bands")
    @classmethod
    def _rising(cls, bands: list[_Band] | None) -> list[_Band] | None:
        if bands and any(a.max_pd > b.max_pd for a, b in itertools.pairwise(bands)):
            raise RuleProblem(Label("必须按 max_pd 从小到大排列", "must be in rising order of max_pd"))
        return bands

    @field_validator("rules")
    @classmethod
    def _ids_once(cls, rules: list[_Rule]) -> list[_Rule]:
        seen: set[str] = set()
        for number, rule in enumerate(rules, 1):
            rule_id = rule.id or f"#{number}"
            if rule_id in seen:
                raise RuleProblem(
                    Label("这个 id 用了两次", "the id is used twice"),
                    rule=f"rule {rule_id} (rules[{number}])",
                    field="id",
                )
            seen.add(rule_id)
        return rules

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | None:
        if len(path) == 2 and path[0] == "rules" and isinstance(path[1], int):
            return _rule_label(path[1] + 1, node)
        return None


def parse_policy(text: str, source: str, schema: Mapping[str, type]) -> Policy:
    """A policy from YAML text, checked completely: syntax, every rule's CEL, and every field a rule names
    against `schema` (field -> Python type). Raises PolicyError (a CreditError) naming the rule and the field."""
    parsed = parse_rule_text(PolicyFile, text, source, PolicyError)
    rules = []
    for number, rule in enumerate(parsed.rules, 1):
        names = _identifiers(rule._tree)
        unknown = sorted(names - set(schema))
        if unknown:
            refused = refuse(
                source,
                Label(
                    "引用的字段 {name!r} 不在特征清单中",
                    "names field {name!r}, which does not exist in the feature schema",
                ),
                rule=_rule_label(number, {"id": rule.id}),
                field="when",
                error=PolicyError,
                name=unknown[0],
            )
            refused.field = unknown[0]  # the feature the analyst misspelt, as the API's problem names it
            raise refused
        rule_id = rule.id or f"#{number}"
        rules.append(
            Rule(
                rule_id, rule.when, rule.action, rule.reason or rule_id, frozenset(names),
                _environment().program(rule._tree),
            )
        )  # fmt: skip
    return Policy(
        version=parsed.version,
        name=parsed.name or source,
        sha256=digest_of(text),
        source=source,
        pd_from=parsed.pd_from,
        approve_max_pd=parsed.cutoffs.approve_max_pd,
        decline_min_pd=parsed.cutoffs.decline_min_pd,
        bands=tuple(
            Band(
                band.name,
                band.max_pd,
                band.name if band.price_band is None else band.price_band,
                band.months_of_income,
                None if band.limit_cap_yuan is None else Decimal(band.limit_cap_yuan).scaleb(-2),
            )
            for band in parsed.bands or ()
        ),
        rules=tuple(rules),
        tests=tuple(parsed.tests or ()),
    )


SHIPPED_POLICY = "credit/policy.yaml"


def shipped_policy_text() -> str:
    return read_rule_text(None, SHIPPED_POLICY)[0]


def load_policy(path: Path | None, schema: Mapping[str, type]) -> Policy:
    """The policy at `path`, or the shipped one, checked against the features `schema` names."""
    text, source = read_rule_text(path, SHIPPED_POLICY, PolicyError)
    return parse_policy(text, source, schema)


@dataclass(frozen=True)
class Fired:
    id: str
    action: str
    reason: str


_NOT_EVALUATED = Label("规则 {rule}：无法求值：{error}", "rule {rule}: cannot be evaluated: {error}")


def run_rules(
    policy: Policy, values: Mapping[str, Any], memo: dict[tuple[Any, ...], bool] | None = None
) -> list[Fired]:
    """Every rule whose expression is true for `values`; a rule whose field has no value does not fire. With a
    `memo`, a rule's outcome is kept by the values (and their types) of the fields it reads, so a policy run over
    many applicants evaluates each rule once per distinct input (a rule reads a field or two: a few dozen)."""
    fired = []
    for rule in policy.rules:
        if any(values.get(name) is None for name in rule.fields):
            continue
        key = (
            rule.id,
            *((name, type(values[name]).__name__, values[name]) for name in sorted(rule.fields)),
        )
        known = memo.get(key) if memo is not None else None
        if known is None:
            # The fields as CEL values only for a rule evaluated: with a memo, most outcomes are known already.
            activation = {name: _to_cel(values[name]) for name in rule.fields}
            try:
                outcome = rule.program.evaluate(activation)
            except celpy.CELEvalError as error:
                raise CreditError(_NOT_EVALUATED, rule=rule.id, error=error, kind="rule-error") from None
            if isinstance(outcome, celpy.CELEvalError):
                raise CreditError(_NOT_EVALUATED, rule=rule.id, error=outcome, kind="rule-error")
            known = bool(outcome)
            if memo is not None:
                memo[key] = known
        if known:
            fired.append(Fired(rule.id, rule.action, rule.reason))
    return fired


def combine(cutoff: str, fired: list[Fired]) -> str:
    decision = cutoff
    for rule in fired:
        if rule.action in DECISIONS and SEVERITY[rule.action] > SEVERITY[decision]:
            decision = rule.action
    return decision


def neutral_values(schema: Mapping[str, type]) -> dict[str, Any]:
    """A clean applicant: every field at its type's neutral value (False, 0, "") and a valid ID."""
    values: dict[str, Any] = {name: kind() for name, kind in schema.items()}
    values["id_valid"] = True
    return values


def run_policy_tests(policy: Policy, schema: Mapping[str, type]) -> list[tuple[str, bool, Label]]:
    """(name, passed, detail) for every test case in the policy file; the detail in both languages (the
    decision when the case passed, what differed when it failed). Decisions and rule ids are shown as the file
    writes them, so the analyst finds them there."""
    results = []
    for number, case in enumerate(policy.tests, 1):
        name = str(case.get("name", f"test {number}"))
        values = neutral_values(schema)
        given = case.get("fields") or {}
        unknown = sorted(set(given) - set(schema))
        if unknown:
            results.append(
                (
                    name,
                    False,
                    Label(
                        f"字段 {unknown[0]!r} 不在特征清单中",
                        f"field {unknown[0]!r} does not exist in the feature schema",
                    ),
                )
            )
            continue
        values.update(given)
        pd_ = float(values.get("pd", 0.0))
        fired = run_rules(policy, values)
        decision = combine(policy.cutoff_decision(pd_), fired)
        expect = case.get("expect") or {}
        problems: list[Label] = []
        if "decision" in expect and expect["decision"] != decision:
            problems.append(
                Label(
                    f"结论为 {decision}，预期 {expect['decision']}",
                    f"decision {decision}, expected {expect['decision']}",
                )
            )
        if "fired" in expect and sorted(expect["fired"]) != sorted(f.id for f in fired):
            fired_ids = [f.id for f in fired]
            problems.append(
                Label(
                    f"触发规则 {fired_ids}，预期 {expect['fired']}",
                    f"fired {fired_ids}, expected {expect['fired']}",
                )
            )
        detail = (
            Label("；".join(p.zh for p in problems), "; ".join(p.en for p in problems))
            if problems
            else Label(DECISION_LABELS.get(decision, decision), decision)
        )
        results.append((name, not problems, detail))
    return results
