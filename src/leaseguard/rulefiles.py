"""Rule files (thresholds, tiers, rates as data): the one way to read one. A shipped default lives in
`leaseguard/defaults/`; a lessor's own file replaces it. Each kind of file is a Pydantic model; whatever is
wrong with a file — unreadable, not YAML, a field missing, unknown or out of range, rules that do not fit
together — is one `RuleFileError` naming the file, the rule (where the file's items have ids) and the field:
`claims.yaml: legal_costs.court_fee_tiers[3].rate: '1.5' must be a number from 0 to 1`,
`trial.yaml: rule overdue-90: class 'bad' is not one of normal, …`. A model names its items in errors through
`rule_label` (the default: a mapping's `rule`); a validator that knows better raises a `RuleProblem`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from leaseguard.errors import InvalidInputError, LeaseguardError
from leaseguard.money import MoneyError, parse_fen
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

Model = TypeVar("Model", bound=BaseModel)


class RuleFileError(InvalidInputError):
    """A rule file that cannot be used; the message names the file, where in it, and why. `source`, `rule` and
    `field` are those of the first problem (for an API's problem document)."""

    source: str = ""
    rule: str | None = None
    field: str | None = None


class RuleProblem(ValueError):
    """Raised inside a model's validator for a problem the location Pydantic gives does not name well: `rule`
    (as the file's readers know it, "rule overdue-90") replaces the location, `field` is added to it (after
    `rule`, or after where the validator ran); `reason` is the text, a Label with its `params` when it is
    said in both languages (a validator may also raise a LeaseguardError for a reason without a location)."""

    def __init__(
        self, reason: str | Label, /, *, rule: str | None = None, field: str | None = None, **params: object
    ) -> None:
        self.reason = reason if isinstance(reason, Label) else Label(reason, reason)
        self.params = params
        super().__init__(self.text(DEFAULT_LANG))
        self.rule = rule
        self.field = field

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return self.reason.text(lang, **self.params) if self.params else self.reason.text(lang)


class RuleFile(BaseModel):
    """The base of a rule-file model: unknown fields are refused (a misspelt key would otherwise silently
    leave a default in force), and items carrying a `rule` id are named by it in errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | None:
        """How an error inside the item at `path` (its raw YAML `node`) names the rule; None: not a rule."""
        if path and isinstance(node, Mapping) and isinstance(node.get("rule"), str):
            return f"rule {node['rule']}"
        return None


class Item(RuleFile):
    """A part of a rule file (a section, a tier, a rule)."""


# Numbers and amounts as rule files write them, checked exactly: never through a float.


def exact_number(value: Any, low: Decimal, high: Decimal | None = None) -> Decimal:
    """A YAML number or a quoted one as an exact Decimal (a float through its shortest form) in [low, high]."""
    bound = f"from {low} to {high}" if high is not None else f"at least {low}"
    if isinstance(value, bool):
        raise ValueError(f"{value!r} must be a number {bound}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number < low or (high is not None and number > high):
        raise ValueError(f"{value!r} must be a number {bound}")
    return number


def decimal_between(low: int | str = 0, high: int | str | None = None) -> BeforeValidator:
    """A number (YAML number or quoted) as an exact Decimal inside [low, high]."""
    lowest, highest = Decimal(low), None if high is None else Decimal(high)
    return BeforeValidator(lambda value: exact_number(value, lowest, highest))


Share = Annotated[Decimal, decimal_between(0, 1)]  # a rate or share from 0 to 1
NonNegativeDecimal = Annotated[Decimal, decimal_between(0)]


def _yuan(value: Any, *, positive: bool) -> int:
    # A negative amount where a positive one is needed is refused below, in the words of that rule.
    try:
        fen = parse_fen(value, where="\0", negative=positive)
    except MoneyError as error:
        raise ValueError(str(error).removeprefix("\0: ")) from None
    if positive and fen <= 0:
        raise ValueError(f"{value!r} must be a positive amount in yuan")
    return fen


# An amount written in yuan ("5000", "1,234.50", 300) held as integer fen, exactly; at most two decimals.
YuanFen = Annotated[int, BeforeValidator(lambda value: _yuan(value, positive=False))]
PositiveYuanFen = Annotated[int, BeforeValidator(lambda value: _yuan(value, positive=True))]


def _whole(value: Any, info: ValidationInfo, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        # The reason names its field, so the message reads "acceleration.min_overdue_instalments must be …".
        raise ValueError(f"{info.field_name} must be a whole number ≥ {minimum}")
    return value


def whole_number(minimum: int) -> BeforeValidator:
    """A YAML integer (not a bool, not a quoted number) of at least `minimum`."""
    return BeforeValidator(lambda value, info: _whole(value, info, minimum))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value


Text = Annotated[str, BeforeValidator(_text)]  # a rule's id, a title: text with something in it


# Reading and checking.


def read_rule_text(
    path: Path | None, shipped: str, error: type[RuleFileError] = RuleFileError
) -> tuple[str, str]:
    """The text of `path`, or of the shipped default `shipped` (a path under leaseguard/defaults), and the name
    to cite it by."""
    if path is None:
        source = f"leaseguard/defaults/{shipped}"
        return resources.files("leaseguard.defaults").joinpath(shipped).read_text(encoding="utf-8"), source
    source = str(path)
    try:
        return path.read_text(encoding="utf-8"), source
    except FileNotFoundError:
        raise _refused(error, source, [(None, None, "no such file")]) from None
    except IsADirectoryError:
        raise _refused(error, source, [(None, None, "a folder, not a rule file")]) from None
    except (OSError, UnicodeDecodeError) as problem:
        reason = f"cannot read it ({getattr(problem, 'strerror', None) or problem})"
        raise _refused(error, source, [(None, None, reason)]) from None


def parse_yaml(text: str, source: str, error: type[RuleFileError] = RuleFileError) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(problem, "problem", None) or str(problem).splitlines()[0]
        raise _refused(error, source, [(None, None, f"{where}not valid YAML ({reason})")]) from None


def read_rule_file(path: Path | None, shipped: str) -> tuple[Any, str]:
    """The parsed YAML of `path`, or of the shipped default `shipped`, and the name to cite it by."""
    text, source = read_rule_text(path, shipped)
    return parse_yaml(text, source), source


def digest_of(text: str) -> str:
    """The SHA-256 a run or report stores to say which rule file it used."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Pydantic's wording where it names its own types rather than what the file should hold.
_SHAPES = {
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "extra_forbidden": "unknown field (misspelt, or not a setting of this file)",
}


def _field_text(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(model: type[BaseModel], found: Any, data: Any) -> tuple[str | None, str | None, Label]:
    """(rule, field, reason) of one Pydantic error, the rule found by walking its location through `data`."""
    label_of = getattr(model, "rule_label", RuleFile.rule_label)
    rule: str | None = None
    fields: list[str | int] = []
    path: tuple[str | int, ...]
    node, path = data, ()
    for part in found["loc"]:
        path = (*path, part)
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        fields.append(part)
        label = label_of(path, node)
        if label is not None:
            rule, fields = label, []
    cause = (found.get("ctx") or {}).get("error")
    if isinstance(cause, RuleProblem):
        if cause.rule is not None:
            rule, fields = cause.rule, []
        if cause.field is not None:
            fields.append(cause.field)
    if isinstance(cause, RuleProblem | LeaseguardError):
        reason = Label(cause.text("zh"), cause.text("en"))
    elif isinstance(cause, Exception):
        reason = Label(str(cause), str(cause))
    elif found["type"] == "literal_error":
        reason = _same(f"{found['input']!r} is not one of {found['ctx']['expected']}")
    else:
        reason = _same(_SHAPES.get(found["type"], found["msg"]))
    field = _field_text(fields) or None
    return rule, field, Label(_placed(fields, reason.zh), _placed(fields, reason.en))


def _same(text: str) -> Label:
    return Label(text, text)


def _placed(fields: Sequence[str | int], reason: str) -> str:
    """The reason after the field it is about; one that names its own field ("min_overdue_instalments must be
    …") is not preceded by it again."""
    if fields and isinstance(fields[-1], str) and reason.startswith(f"{fields[-1]} "):
        prefix = _field_text(fields[:-1])
        return f"{prefix}.{reason}" if prefix else reason
    field = _field_text(fields)
    return f"{field}: {reason}" if field else reason


def _refused(
    error: type[RuleFileError], source: str, problems: list[tuple[str | None, str | None, str | Label]]
) -> RuleFileError:
    def said(lang: Lang) -> str:
        reasons = (reason.text(lang) if isinstance(reason, Label) else reason for _, _, reason in problems)
        text = "; ".join(
            f"{rule}: {reason}" if rule else reason
            for (rule, _, _), reason in zip(problems, reasons, strict=True)
        )
        return f"{source}: {text}"

    # Rendered already: the texts hold the file's own values, braces included, so they take no parameters.
    refused = error(Label(said("zh"), said("en")))
    refused.source, refused.rule, refused.field = source, problems[0][0], problems[0][1]
    return refused


def refuse(
    source: str,
    reason: str | Label,
    *,
    rule: str | None = None,
    field: str | None = None,
    error: type[RuleFileError] = RuleFileError,
    **params: object,
) -> RuleFileError:
    """The error for a problem found after the model (one needing outside knowledge, such as the features a
    policy may name), worded as the model's own: `file: rule x: field: reason` (a Label with its `params`)."""
    said = reason if isinstance(reason, Label) else Label(reason, reason)
    fields = [field] if field else []
    zh, en = (
        _placed(fields, said.text(lang, **params) if params else said.text(lang)) for lang in ("zh", "en")
    )
    return _refused(error, source, [(rule, field, Label(zh, en))])


def validated(
    model: type[Model],
    data: Any,
    source: str,
    error: type[RuleFileError] = RuleFileError,
    context: Mapping[str, Any] | None = None,
) -> Model:
    """`data` as `model`, or one `error` naming `source`, each rule and field in error and the reason."""
    try:
        return model.model_validate(data, context=dict(context) if context else None)
    except ValidationError as problem:
        raise _refused(error, source, [_problem(model, found, data) for found in problem.errors()]) from None


def parse_rule_text(
    model: type[Model],
    text: str,
    source: str,
    error: type[RuleFileError] = RuleFileError,
    context: Mapping[str, Any] | None = None,
) -> Model:
    """A rule file's text read and checked as `model`."""
    return validated(model, parse_yaml(text, source, error), source, error, context)


def load_rule_file(
    model: type[Model], path: Path | None, shipped: str, error: type[RuleFileError] = RuleFileError
) -> Model:
    """The rule file at `path` (or the shipped default `shipped`) read and checked as `model`."""
    text, source = read_rule_text(path, shipped, error)
    return parse_rule_text(model, text, source, error)
