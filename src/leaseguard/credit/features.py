"""Features: the schema a model was trained on (and how an input row is checked against it), and the
multi-head-lending features computed from an inquiry/application log at decision time."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leaseguard.credit.errors import CreditError
from leaseguard.vocabulary import Label

WINDOWS_DAYS: tuple[int, ...] = (7, 30, 90, 180)

MULTI_HEAD_FIELDS: dict[str, type] = {
    **{f"mh_lenders_{w}d": int for w in WINDOWS_DAYS},
    **{f"mh_applications_{w}d": int for w in WINDOWS_DAYS},
    "mh_outstanding_elsewhere": int,
    "income_committed_share": float,
}


def multi_head_counts(prior: Iterable[tuple[str, dt.date]], today: dt.date) -> dict[str, int]:
    """Distinct lenders and applications per window from the applicant's earlier log entries (lessor, day).

    A window of w days holds the entries on the w days ending today (today included); only counts come
    out, never which lessor, so the answer reveals nothing of another lessor's rows."""
    entries = list(prior)
    out: dict[str, int] = {}
    for window in WINDOWS_DAYS:
        since = today - dt.timedelta(days=window - 1)
        inside = [lessor for lessor, day in entries if since <= day <= today]
        out[f"mh_lenders_{window}d"] = len(set(inside))
        out[f"mh_applications_{window}d"] = len(inside)
    return out


def monthly_commitment_fen(principal_fen: int, annual_rate: Decimal | float, term_months: int) -> Decimal:
    """The level monthly rent of an annuity lease, the measure of what a contract commits of an income."""
    rate = Decimal(str(annual_rate)) / 12
    principal = Decimal(principal_fen)
    if term_months <= 0:
        return principal
    if rate == 0:
        return principal / term_months
    return principal * rate / (1 - (1 + rate) ** -term_months)


def committed_share(commitments_fen: Iterable[Decimal], monthly_income_fen: int | None) -> float:
    """Share of the monthly income already committed to leases; 0 without commitments, and a large
    sentinel (10) when there are commitments but no stated income."""
    total = sum(commitments_fen, Decimal(0))
    if total == 0:
        return 0.0
    if not monthly_income_fen:
        return 10.0
    return round(float(total / Decimal(monthly_income_fen)), 4)


# --- the schema a model was trained on -------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: numeric with its admissible range, or categorical with its known categories."""

    name: str
    kind: str  # "numeric" or "categorical"
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "nullable": self.nullable,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "categories": list(self.categories),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            str(data["name"]),
            str(data["kind"]),
            bool(data["nullable"]),
            data.get("minimum"),
            data.get("maximum"),
            tuple(data.get("categories") or ()),
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


_MISSING = Label(
    "{where}：字段 {name}：缺失（模型需要它）", "{where}: field {name}: is missing (the model needs it)"
)


def check_value(spec: FeatureSpec, value: Any, where: str | Label) -> float | str | None:
    """The value as the model reads it (float or category string), or a CreditError naming the field. `where`
    names the file and line or the item (a Label where it has words)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        if spec.nullable:
            return None
        raise CreditError(_MISSING, where=where, name=spec.name, field=spec.name)
    if spec.kind == "categorical":
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in spec.categories:
            shown = ", ".join(repr(c) for c in spec.categories[:8])
            more = ", ..." if len(spec.categories) > 8 else ""
            raise CreditError(
                Label(
                    "{where}：字段 {name}：类别 {category!r} 在训练数据中从未出现（已知：{known}）",
                    "{where}: field {name}: category {category!r} was never seen in training (known: {known})",
                ),
                where=where,
                name=spec.name,
                category=text,
                known=shown + more,
                field=spec.name,
                kind="unseen-category",
            )
        return text
    number = _number(value)
    if number is None:
        if spec.nullable:
            return None
        raise CreditError(_MISSING, where=where, name=spec.name, field=spec.name)
    if math.isnan(number) or math.isinf(number):
        raise CreditError(
            Label(
                "{where}：字段 {name}：{value!r} 不是数字", "{where}: field {name}: {value!r} is not a number"
            ),
            where=where,
            name=spec.name,
            value=value,
            field=spec.name,
        )
    if (spec.minimum is not None and number < spec.minimum) or (
        spec.maximum is not None and number > spec.maximum
    ):
        raise CreditError(
            Label(
                "{where}：字段 {name}：{number:g} 超出范围 [{low:g}, {high:g}]",
                "{where}: field {name}: {number:g} is out of range [{low:g}, {high:g}]",
            ),
            where=where,
            name=spec.name,
            number=number,
            low=-math.inf if spec.minimum is None else spec.minimum,
            high=math.inf if spec.maximum is None else spec.maximum,
            field=spec.name,
            kind="out-of-range",
        )
    return number


def clip_to_range(spec: FeatureSpec, value: Any) -> Any:
    """A number brought inside the spec's training range; anything else unchanged."""
    if spec.kind != "numeric" or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    number = float(value)
    if math.isnan(number):
        return value
    if spec.maximum is not None and number > spec.maximum:
        return spec.maximum
    if spec.minimum is not None and number < spec.minimum:
        return spec.minimum
    return value


def check_row(
    specs: Sequence[FeatureSpec], row: Mapping[str, Any], where: str | Label
) -> list[float | str | None]:
    return [check_value(spec, row.get(spec.name), where) for spec in specs]
