"""Policy rules analysts own: a YAML file with cut-offs, limit and price bands, and rules written in CEL
(cel-python; never Python eval). A rule naming a field that does not exist is refused at load."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import celpy
import yaml
from lark import Token, Tree

from leaseguard.credit.errors import CreditError

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


_ENVIRONMENT = celpy.Environment()


def _fail(source: str, where: str, message: str, field: str | None = None) -> CreditError:
    return CreditError(f"{source}: {where}: {message}", field=field, kind="invalid-policy")


def parse_policy(text: str, source: str, schema: Mapping[str, type]) -> Policy:
    """A policy from YAML text, checked completely: syntax, every rule's CEL, and every field a rule names
    against `schema` (field -> Python type). Raises CreditError naming the rule and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise CreditError(f"{source}: {line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict):
        raise _fail(source, "top level", "expected a mapping with version, cutoffs, bands and rules")
    for key in ("version", "cutoffs", "rules"):
        if key not in data:
            raise _fail(source, key, "is missing", key)
    if not isinstance(data["version"], int):
        raise _fail(source, "version", "must be an integer", "version")
    pd_from = data.get("pd_from", "gbm")
    if pd_from not in ("gbm", "scorecard"):
        raise _fail(source, "pd_from", f"{pd_from!r} is neither gbm nor scorecard", "pd_from")
    cutoffs = data["cutoffs"]
    try:
        approve_max = float(cutoffs["approve_max_pd"])
        decline_min = float(cutoffs["decline_min_pd"])
    except (TypeError, KeyError, ValueError):
        raise _fail(
            source, "cutoffs", "needs approve_max_pd and decline_min_pd as numbers", "cutoffs"
        ) from None
    if not 0 <= approve_max <= decline_min <= 1:
        raise _fail(source, "cutoffs", "need 0 <= approve_max_pd <= decline_min_pd <= 1", "cutoffs")
    bands = []
    for number, entry in enumerate(data.get("bands") or [], 1):
        where = f"bands[{number}]"
        if not isinstance(entry, dict) or "name" not in entry or "max_pd" not in entry:
            raise _fail(source, where, "needs name and max_pd")
        try:
            cap = entry.get("limit_cap_yuan")
            months = entry.get("months_of_income")
            bands.append(
                Band(
                    str(entry["name"]),
                    float(entry["max_pd"]),
                    str(entry.get("price_band", entry["name"])),
                    None if months is None else int(months),
                    None if cap is None else Decimal(str(cap)).quantize(Decimal("0.01")),
                )
            )
        except (ValueError, InvalidOperation):
            raise _fail(
                source, where, "max_pd, months_of_income and limit_cap_yuan must be numbers"
            ) from None
    if any(a.max_pd > b.max_pd for a, b in itertools.pairwise(bands)):
        raise _fail(source, "bands", "must be in rising order of max_pd", "bands")
    rules = []
    seen: set[str] = set()
    if not isinstance(data["rules"], list):
        raise _fail(source, "rules", "must be a list", "rules")
    for number, entry in enumerate(data["rules"], 1):
        if not isinstance(entry, dict):
            raise _fail(source, f"rules[{number}]", "must be a mapping with id, when, action, reason")
        rule_id = str(entry.get("id") or f"#{number}")
        where = f"rule {rule_id} (rules[{number}])"
        if rule_id in seen:
            raise _fail(source, where, "the id is used twice", "id")
        seen.add(rule_id)
        expression = entry.get("when")
        if not isinstance(expression, str) or not expression.strip():
            raise _fail(source, where, "`when` must be a CEL expression", "when")
        action = entry.get("action")
        if action not in ACTIONS:
            raise _fail(source, where, f"action {action!r} is not one of {', '.join(ACTIONS)}", "action")
        try:
            tree = _ENVIRONMENT.compile(expression)
        except celpy.CELParseError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "syntax error"
            raise _fail(source, where, f"CEL syntax error in {expression!r}: {first}", "when") from None
        unknown_functions = sorted(_functions(tree) - KNOWN_FUNCTIONS)
        if unknown_functions:
            raise _fail(source, where, f"calls {unknown_functions[0]!r}, which is not a CEL function", "when")
        names = _identifiers(tree)
        unknown = sorted(names - set(schema))
        if unknown:
            raise _fail(
                source,
                where,
                f"names field {unknown[0]!r}, which does not exist in the feature schema",
                unknown[0],
            )
        rules.append(
            Rule(
                rule_id,
                expression,
                str(action),
                str(entry.get("reason", rule_id)),
                frozenset(names),
                _ENVIRONMENT.program(tree),
            )
        )
    tests = tuple(data.get("tests") or ())
    return Policy(
        version=data["version"],
        name=str(data.get("name", source)),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
        pd_from=pd_from,
        approve_max_pd=approve_max,
        decline_min_pd=decline_min,
        bands=tuple(bands),
        rules=tuple(rules),
        tests=tests,
    )


def shipped_policy_text() -> str:
    return resources.files("leaseguard.defaults").joinpath("credit/policy.yaml").read_text("utf-8")


def load_policy(path: Path | None, schema: Mapping[str, type]) -> Policy:
    if path is None:
        return parse_policy(shipped_policy_text(), "defaults/credit/policy.yaml", schema)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CreditError(f"{path}: cannot read the policy: {error.strerror or error}") from None
    return parse_policy(text, str(path), schema)


@dataclass(frozen=True)
class Fired:
    id: str
    action: str
    reason: str


def run_rules(policy: Policy, values: Mapping[str, Any]) -> list[Fired]:
    """Every rule whose expression is true for `values`; a rule whose field has no value does not fire."""
    fired = []
    for rule in policy.rules:
        activation = {}
        for name in rule.fields:
            value = values.get(name)
            if value is None:
                break
            activation[name] = _to_cel(value)
        else:
            try:
                outcome = rule.program.evaluate(activation)
            except celpy.CELEvalError as error:
                raise CreditError(
                    f"rule {rule.id}: cannot be evaluated: {error}", kind="rule-error"
                ) from None
            if isinstance(outcome, celpy.CELEvalError):
                raise CreditError(f"rule {rule.id}: cannot be evaluated: {outcome}", kind="rule-error")
            if bool(outcome):
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


def run_policy_tests(policy: Policy, schema: Mapping[str, type]) -> list[tuple[str, bool, str]]:
    """(name, passed, detail) for every test case in the policy file."""
    results = []
    for number, case in enumerate(policy.tests, 1):
        name = str(case.get("name", f"test {number}"))
        values = neutral_values(schema)
        given = case.get("fields") or {}
        unknown = sorted(set(given) - set(schema))
        if unknown:
            results.append((name, False, f"field {unknown[0]!r} does not exist in the feature schema"))
            continue
        values.update(given)
        pd_ = float(values.get("pd", 0.0))
        fired = run_rules(policy, values)
        decision = combine(policy.cutoff_decision(pd_), fired)
        expect = case.get("expect") or {}
        problems = []
        if "decision" in expect and expect["decision"] != decision:
            problems.append(f"decision {decision}, expected {expect['decision']}")
        if "fired" in expect and sorted(expect["fired"]) != sorted(f.id for f in fired):
            problems.append(f"fired {[f.id for f in fired]}, expected {expect['fired']}")
        results.append((name, not problems, "; ".join(problems) or decision))
    return results
