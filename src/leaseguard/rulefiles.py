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

from leaseguard.errors import InvalidInputError
from leaseguard.money import MoneyError, parse_fen
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang
from leaseguard.yaml_text import load_yaml

Model = TypeVar("Model", bound=BaseModel)


class RuleFileError(InvalidInputError):
    """A rule file that cannot be used; the message names the file, where in it, and why, in each language.
    `source`, `rule` (in English, as "rule overdue-90") and `field` are those of the first problem (for an API's
    problem document)."""

    source: str = ""
    rule: str | None = None
    field: str | None = None


class RuleProblem(ValueError):
    """Raised inside a model's validator for a problem the location Pydantic gives does not name well: `rule`
    (as the file's readers know it, "rule overdue-90"; a Label when it is said differently in each language)
    replaces the location, `field` is added to it (after `rule`, or after where the validator ran); `reason` is
    the text, a Label with its `params` when it is said in both languages (a validator may also raise a
    LeaseguardError for a reason without a location)."""

    def __init__(
        self,
        reason: str | Label,
        /,
        *,
        rule: str | Label | None = None,
        field: str | None = None,
        **params: object,
    ) -> None:
        self.reason = _in_both(reason, **params)  # filled: nothing left to fill
        self.params = params
        super().__init__(self.reason.zh)
        self.rule = rule
        self.field = field

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return self.reason.text(lang)


def _in_both(message: str | Label, **params: object) -> Label:
    """`message` filled with `params` in each language; a text is the same in both."""
    return message.filled(**params) if isinstance(message, Label) else Label(message, message)


class RuleFile(BaseModel):
    """The base of a rule-file model: unknown fields are refused (a misspelt key would otherwise silently
    leave a default in force), and items carrying a `rule` id are named by it in errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | Label | None:
        """How an error inside the item at `path` (its raw YAML `node`) names the rule; None: not a rule."""
        # In both languages "rule <id>", as every rule file's own checks name their rules.
        if path and isinstance(node, Mapping) and isinstance(node.get("rule"), str):
            return f"rule {node['rule']}"
        return None


class Item(RuleFile):
    """A part of a rule file (a section, a tier, a rule)."""


# Numbers and amounts as rule files write them, checked exactly: never through a float.


def exact_number(value: Any, low: Decimal, high: Decimal | None = None) -> Decimal:
    """A YAML number or a quoted one as an exact Decimal (a float through its shortest form) in [low, high]."""
    out_of_bounds = (
        Label("{value!r} 应为 {low} 到 {high} 之间的数", "{value!r} must be a number from {low} to {high}")
        if high is not None
        else Label("{value!r} 应为不小于 {low} 的数", "{value!r} must be a number at least {low}")
    )
    if isinstance(value, bool):
        raise RuleProblem(out_of_bounds, value=value, low=low, high=high)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RuleProblem(Label("{value!r} 不是数字", "{value!r} is not a number"), value=value) from None
    if not number.is_finite() or number < low or (high is not None and number > high):
        raise RuleProblem(out_of_bounds, value=value, low=low, high=high)
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
        fen = parse_fen(value, negative=positive)
    except MoneyError as error:
        raise RuleProblem(error.reason) from None  # the why alone: the loader names the field
    if positive and fen <= 0:
        raise RuleProblem(
            Label("{value!r} 应为正的金额（元）", "{value!r} must be a positive amount in yuan"), value=value
        )
    return fen


# An amount written in yuan ("5000", "1,234.50", 300) held as integer fen, exactly; at most two decimals.
YuanFen = Annotated[int, BeforeValidator(lambda value: _yuan(value, positive=False))]
PositiveYuanFen = Annotated[int, BeforeValidator(lambda value: _yuan(value, positive=True))]


def _whole(value: Any, info: ValidationInfo, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        # The reason names its field, so the message reads "acceleration.min_overdue_instalments must be …".
        raise RuleProblem(
            Label("{name} 应为不小于 {minimum} 的整数", "{name} must be a whole number ≥ {minimum}"),
            name=info.field_name,
            minimum=minimum,
        )
    return value


def whole_number(minimum: int) -> BeforeValidator:
    """A YAML integer (not a bool, not a quoted number) of at least `minimum`."""
    return BeforeValidator(lambda value, info: _whole(value, info, minimum))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleProblem(Label("应为非空文本", "must be a non-empty text"))
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
        raise _refused(error, source, [(None, None, Label("没有这个文件", "no such file"))]) from None
    except IsADirectoryError:
        folder = Label("是文件夹，不是规则文件", "a folder, not a rule file")
        raise _refused(error, source, [(None, None, folder)]) from None
    except (OSError, UnicodeDecodeError) as problem:
        reason = Label("无法读取（{why}）", "cannot read it ({why})").filled(
            why=getattr(problem, "strerror", None) or problem
        )
        raise _refused(error, source, [(None, None, reason)]) from None


def parse_yaml(text: str, source: str, error: type[RuleFileError] = RuleFileError) -> Any:
    try:
        return load_yaml(text)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        why = getattr(problem, "problem", None) or str(problem).splitlines()[0]
        reason = (
            Label("第 {line} 行：不是有效的 YAML（{why}）", "line {line}: not valid YAML ({why})").filled(
                line=mark.line + 1, why=why
            )
            if mark is not None
            else Label("不是有效的 YAML（{why}）", "not valid YAML ({why})").filled(why=why)
        )
        raise _refused(error, source, [(None, None, reason)]) from None


def read_rule_file(path: Path | None, shipped: str) -> tuple[Any, str]:
    """The parsed YAML of `path`, or of the shipped default `shipped`, and the name to cite it by."""
    text, source = read_rule_text(path, shipped)
    return parse_yaml(text, source), source


def digest_of(text: str) -> str:
    """The SHA-256 a run or report stores to say which rule file it used."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Pydantic's wording where it names its own types rather than what the file should hold.
_SHAPES = {
    "model_type": Label("应为映射（键: 值）", "must be a mapping"),
    "dict_type": Label("应为映射（键: 值）", "must be a mapping"),
    "list_type": Label("应为列表", "must be a list"),
    "extra_forbidden": Label(
        "未知字段（拼写有误，或不是此文件的设置）", "unknown field (misspelt, or not a setting of this file)"
    ),
}
# Pydantic's other messages in Chinese, by error type, filled from its `ctx`; in English Pydantic's own words.
# A type not here is said in Pydantic's English in both languages.
_PYDANTIC_ZH = {
    "missing": "缺少此字段",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "too_short": "至少应有 {min_length} 项",
    "too_long": "至多可有 {max_length} 项",
    "string_too_short": "至少应有 {min_length} 个字符",
    "string_too_long": "至多可有 {max_length} 个字符",
    "string_pattern_mismatch": "不符合格式 {pattern}",
    "enum": "应为 {expected} 之一",
}


def pydantic_reason(found: Mapping[str, Any]) -> Label:
    """One of Pydantic's errors (an item of `ValidationError.errors()`) in each language: its own words in
    English, a Chinese twin where its type has one (else its English in both)."""
    english = str(found.get("msg", ""))
    template = _PYDANTIC_ZH.get(str(found.get("type")))
    if template is None:
        return Label(english, english)
    try:
        return Label(template.format(**(found.get("ctx") or {})), english)
    except (KeyError, IndexError):
        return Label(english, english)


def _field_text(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason_of(found: Any) -> Label:
    """Why Pydantic refused a value, in each language."""
    from leaseguard.errors import LeaseguardError

    cause = (found.get("ctx") or {}).get("error")
    if isinstance(cause, RuleProblem):
        return cause.reason
    if isinstance(cause, LeaseguardError):
        return Label(cause.text("zh"), cause.text("en"))
    if isinstance(cause, Exception):
        return Label(str(cause), str(cause))
    if found["type"] == "literal_error":
        return Label("{value!r} 不是 {expected} 之一", "{value!r} is not one of {expected}").filled(
            value=found["input"], expected=found["ctx"]["expected"]
        )
    return _SHAPES.get(found["type"]) or pydantic_reason(found)


Problem = tuple[
    Label | None, str | None, Label
]  # (rule, field, reason with the field before it), in each language


def _after_field(fields: Sequence[str | int], reason: Label) -> Label:
    """`field: reason` in each language; a reason that names its own field ("min_overdue_instalments must be …")
    is not preceded by it again, only by the path to it."""

    def said(lang: Lang) -> str:
        text = reason.text(lang)
        if fields and isinstance(fields[-1], str) and text.startswith(f"{fields[-1]} "):
            prefix = _field_text(fields[:-1])
            return f"{prefix}.{text}" if prefix else text
        field = _field_text(fields)
        return f"{field}{_COLON[lang]}{text}" if field else text

    return Label(said("zh"), said("en"))


_COLON: dict[Lang, str] = {"zh": "：", "en": ": "}
_SEMICOLON: dict[Lang, str] = {"zh": "；", "en": "; "}


def _problem(model: type[BaseModel], found: Any, data: Any) -> Problem:
    """(rule, field, reason) of one Pydantic error, the rule found by walking its location through `data`."""
    label_of = getattr(model, "rule_label", RuleFile.rule_label)
    rule: str | Label | None = None
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
    return (
        None if rule is None else _in_both(rule),
        _field_text(fields) or None,
        _after_field(fields, _reason_of(found)),
    )


def _refused(error: type[RuleFileError], source: str, problems: list[Problem]) -> RuleFileError:
    def said(lang: Lang) -> str:
        return _SEMICOLON[lang].join(
            f"{rule.text(lang)}{_COLON[lang]}{reason.text(lang)}" if rule else reason.text(lang)
            for rule, _, reason in problems
        )

    # Filled here, not given as values: the credit errors' constructor takes a message alone.
    refused = error(
        Label("{source}：{problems}", "{source}: {problems}").filled(
            source=source, problems=Label(said("zh"), said("en"))
        )
    )
    first_rule = problems[0][0]
    refused.source, refused.rule, refused.field = (
        source,
        first_rule.en if first_rule else None,
        problems[0][1],
    )
    return refused


def refuse(
    source: str,
    reason: str | Label,
    *,
    rule: str | Label | None = None,
    field: str | None = None,
    error: type[RuleFileError] = RuleFileError,
    **params: object,
) -> RuleFileError:
    """The error for a problem found after the model (one needing outside knowledge, such as the features a
    policy may name), worded as the model's own: `file: rule x: field: reason`; a Label `reason` is filled with
    `params` in each language."""
    fields = [field] if field else []
    return _refused(
        error,
        source,
        [(None if rule is None else _in_both(rule), field, _after_field(fields, _in_both(reason, **params)))],
    )


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
