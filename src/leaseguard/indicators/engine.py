"""Indicators from the book and the balance sheet: quantities, values, limits, headroom, status, contributors.

Pure: the book comes in as a Polars frame of one lessor's contracts on one day (see BOOK_SCHEMA), the balance
sheet as parsed, the rule set and risk weights as loaded. Money stays integer fen; ratios are exact Decimals,
rounded only when shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import polars as pl

from leaseguard.errors import InvalidInputError
from leaseguard.indicators.balance_sheet import BalanceSheet, said
from leaseguard.indicators.quantities import DERIVED_FROM, ITEMS, QUANTITIES
from leaseguard.indicators.rules import Indicator, IndicatorRuleSet, RiskWeights
from leaseguard.vocabulary import Label

BOOK_SCHEMA: dict[str, Any] = {
    "contract_no": pl.String,
    "lessee_id": pl.String,
    "lessee_name": pl.String,
    "lessee_type": pl.String,
    "group_id": pl.String,
    "related_party": pl.Boolean,
    "enterprise_size": pl.String,
    "class": pl.String,
    "claim_balance_fen": pl.Int64,
    "provision_fen": pl.Int64,
    "residual_value_fen": pl.Int64,
}
TOP = 5


class MissingInputError(InvalidInputError):
    """A quantity the rule set needs is not in the balance sheet; the message names item and indicators."""


@dataclass(frozen=True)
class Contributor:
    key: str  # lessee_id, group_id or shareholder id
    name: str
    exposure_fen: int


@dataclass(frozen=True)
class BookQuantities:
    amounts: dict[str, Decimal]
    contributors: dict[str, tuple[Contributor, ...]]


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    name: str
    group: str
    unit: str
    comparison: str
    limit: Decimal | None
    value: Decimal | None
    numerator: Decimal | None  # fen
    denominator: Decimal | None  # fen
    status: str  # ok | warning | breach | no_limit | undefined | missing_input
    headroom: Decimal | None  # in the indicator's unit; negative in breach
    headroom_amount_fen: Decimal | None  # how far the numerator may move before the limit, in fen
    clause: str
    verified: bool
    note: str | None = None
    missing: tuple[str, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    change: Decimal | None = None  # value minus the value in the last report
    buffered_limit: Decimal | None = None  # the minimum plus its buffer (e.g. capital conservation buffer)


@dataclass(frozen=True)
class IndicatorReport:
    as_of: dt.date
    lessor: str
    rule_set: IndicatorRuleSet
    results: tuple[IndicatorResult, ...]
    draft: bool
    problems: tuple[Label, ...] = ()
    previous_as_of: dt.date | None = None
    quantities: dict[str, Decimal] = field(default_factory=dict)

    def alerts(self) -> list[IndicatorResult]:
        return [r for r in self.results if r.status in ("warning", "breach")]


def _top(frame: pl.DataFrame, key: str) -> tuple[int, tuple[Contributor, ...]]:
    """The largest exposure summed by `key`, and the TOP keys by exposure."""
    if frame.is_empty():
        return 0, ()
    sums = (
        frame.group_by(key)
        .agg(pl.col("claim_balance_fen").sum().alias("exposure"), pl.col("lessee_name").first().alias("name"))
        .filter(pl.col("exposure") > 0)
        .sort(["exposure", key], descending=[True, False])
        .head(TOP)
    )
    contributors = tuple(
        Contributor(str(k), str(n or ""), int(e))
        for k, n, e in sums.select(key, "name", "exposure").iter_rows()
    )
    return (contributors[0].exposure_fen if contributors else 0), contributors


def book_quantities(book: pl.DataFrame, weights: RiskWeights, sheet: BalanceSheet) -> BookQuantities:
    """Every book quantity of quantities.BOOK, column-wise over `book` (one row per contract)."""
    defaulted = pl.col("class").is_in(list(weights.defaulted_classes))
    size_key = pl.col("enterprise_size").replace_strict(
        weights.enterprise_sizes, default="corporate", return_dtype=pl.String
    )
    weight_key = (
        pl.when(defaulted)
        .then(pl.lit("defaulted"))
        .when(pl.col("lessee_type") == "individual")
        .then(pl.lit("regulatory_retail"))
        .otherwise(size_key)
    )
    live = pl.col("claim_balance_fen") > 0
    totals = book.select(
        pl.col("claim_balance_fen").sum().alias("lease_receivables"),
        pl.col("claim_balance_fen").filter(defaulted).sum().alias("npl_balance"),
        pl.col("provision_fen").sum().alias("required_provisions"),
        pl.col("residual_value_fen").filter(live).sum().alias("residual"),
    ).row(0, named=True)
    by_weight = book.group_by(weight_key.alias("weight")).agg(pl.col("claim_balance_fen").sum())
    credit_rwa = sum(
        (Decimal(int(amount)) * weights.weights[key] for key, amount in by_weight.iter_rows()), Decimal(0)
    )
    credit_rwa += Decimal(int(totals["residual"] or 0)) * weights.weights["residual_value"]
    credit_rwa += Decimal(sheet.items.get("off_balance_exposure", 0)) * weights.weights["off_balance"]
    credit_rwa += Decimal(sheet.items.get("other_risk_weighted_assets", 0))

    largest_customer, customers = _top(book, "lessee_id")
    grouped = book.filter(pl.col("group_id").is_not_null() & (pl.col("group_id") != ""))
    largest_group, groups = _top(grouped, "group_id")
    # A lessee with any related-party contract is a related party; all its contracts count.
    related_ids = book.filter(pl.col("related_party")).select("lessee_id").unique()
    related = book.join(related_ids, on="lessee_id", how="semi")
    largest_related, related_top = _top(related, "lessee_id")
    related_total = int(related["claim_balance_fen"].sum() or 0)

    shareholder_exposure, shareholder_contribution, shareholders = 0, 0, []
    if sheet.shareholders:
        exposure_by_id = dict(book.group_by("lessee_id").agg(pl.col("claim_balance_fen").sum()).iter_rows())
        group_of = dict(book.select("lessee_id", "group_id").unique("lessee_id").iter_rows())
        best: tuple[Decimal, int, int] | None = None
        for holder in sheet.shareholders:
            # The shareholder and all its related parties: those the balance sheet names, and the lessees of
            # the shareholder's own group (group_id = the shareholder's id).
            parties = {holder.id, *holder.related_parties}
            parties |= {
                lessee for lessee, group in group_of.items() if group is not None and group == holder.id
            }
            exposure = sum(int(exposure_by_id.get(party, 0)) for party in parties) + holder.other_exposure_fen
            shareholders.append(Contributor(holder.id, holder.name, exposure))
            if holder.paid_in_contribution_fen > 0:
                ratio = Decimal(exposure) / Decimal(holder.paid_in_contribution_fen)
            else:
                ratio = Decimal("Infinity") if exposure > 0 else Decimal(0)
            if best is None or ratio > best[0]:
                best = (ratio, exposure, holder.paid_in_contribution_fen)
        assert best is not None
        _, shareholder_exposure, shareholder_contribution = best
        shareholders.sort(key=lambda c: (-c.exposure_fen, c.key))

    amounts = {
        "lease_receivables": Decimal(int(totals["lease_receivables"] or 0)),
        "npl_balance": Decimal(int(totals["npl_balance"] or 0)),
        "required_provisions": Decimal(int(totals["required_provisions"] or 0)),
        "credit_rwa": credit_rwa,
        "largest_customer_exposure": Decimal(largest_customer),
        "largest_group_exposure": Decimal(largest_group),
        "largest_related_party_exposure": Decimal(largest_related),
        "related_party_exposure": Decimal(related_total),
        "top_shareholder_exposure": Decimal(shareholder_exposure),
        "top_shareholder_contribution": Decimal(shareholder_contribution),
    }
    return BookQuantities(
        amounts,
        {
            "customer": customers,
            "group": groups,
            "related_party": related_top,
            "shareholder": tuple(shareholders[:TOP]),
        },
    )


def _missing_items(name: str, items: dict[str, int]) -> list[str]:
    """Balance-sheet items that `name` needs and the sheet lacks (and may not default to zero)."""
    if name in ITEMS:
        return [] if name in items or ITEMS[name].default_zero else [name]
    if QUANTITIES[name].source == "derived" or name in DERIVED_FROM:
        return [d for d in DERIVED_FROM.get(name, ()) if d not in items and not ITEMS[d].default_zero]
    return []


def all_quantities(sheet: BalanceSheet, book: BookQuantities) -> dict[str, Decimal]:
    values = {name: Decimal(sheet.items.get(name, 0)) for name in ITEMS}
    if "net_assets" not in sheet.items and {"total_assets", "total_liabilities"} <= sheet.items.keys():
        values["net_assets"] = values["total_assets"] - values["total_liabilities"]
    values["tier1_capital"] = values["cet1_capital"] + values["additional_tier1_capital"]
    values["total_capital"] = values["tier1_capital"] + values["tier2_capital"]
    values["net_capital"] = values["total_capital"] - values["capital_deductions"]
    values.update(book.amounts)
    return values


def missing_inputs(rule_set: IndicatorRuleSet, sheet: BalanceSheet) -> dict[str, list[str]]:
    """Indicator id → the balance-sheet items it needs that the sheet lacks."""
    items = dict(sheet.items)
    if "net_assets" not in items and {"total_assets", "total_liabilities"} <= items.keys():
        items["net_assets"] = 0  # derived from the two
    out = {}
    for indicator in rule_set.indicators:
        names = sorted({*indicator.numerator.names, *indicator.denominator.names})
        missing = sorted({m for n in names for m in _missing_items(n, items)})
        # A single-shareholder limit over an empty shareholder list would pass by default: name it instead.
        if not sheet.shareholders and any(n.startswith("top_shareholder_") for n in names):
            missing.append("shareholders")
        if missing:
            out[indicator.id] = missing
    return out


def _status(indicator: Indicator, value: Decimal, margin: Decimal) -> tuple[str, Decimal | None]:
    spec = indicator.spec
    if spec.comparison == "report" or spec.threshold is None:
        return "no_limit", None
    headroom = value - spec.threshold if spec.comparison == ">=" else spec.threshold - value
    if headroom < 0:
        return "breach", headroom
    if spec.buffer is not None and spec.comparison == ">=":
        # Above the minimum but inside the buffer: the distributions the buffer restrains are at stake.
        return ("warning" if value < spec.threshold + spec.buffer else "ok"), headroom
    if headroom < margin * abs(spec.threshold):
        return "warning", headroom
    return "ok", headroom


def evaluate(
    indicator: Indicator,
    values: dict[str, Decimal],
    margin: Decimal,
    contributors: dict[str, tuple[Contributor, ...]],
    missing: list[str] | None = None,
) -> IndicatorResult:
    spec = indicator.spec
    base = IndicatorResult(
        id=spec.id, name=spec.name, group=spec.group, unit=spec.unit, comparison=spec.comparison,
        limit=spec.threshold, value=None, numerator=None, denominator=None, status="missing_input",
        headroom=None, headroom_amount_fen=None, clause=spec.clause, verified=spec.verified, note=spec.note,
        contributors=contributors.get(spec.contributors, ()) if spec.contributors else (),
        buffered_limit=(
            spec.threshold + spec.buffer
            if spec.buffer is not None and spec.threshold is not None and spec.comparison == ">="
            else None
        ),
    )  # fmt: skip
    if missing:
        return replace(base, missing=tuple(missing))
    numerator = indicator.numerator.evaluate(values)
    denominator = indicator.denominator.evaluate(values)
    base = replace(base, numerator=numerator, denominator=denominator)
    if denominator <= 0:
        rule = spec.when_denominator_not_positive
        zero_status: str = "no_limit" if spec.comparison == "report" and rule == "ok" else rule
        note = f"denominator {'is zero' if denominator == 0 else 'is negative'}"
        return replace(base, status=zero_status, note=f"{spec.note}; {note}" if spec.note else note)
    value = numerator / denominator
    status, headroom = _status(
        indicator, value, spec.warning_margin if spec.warning_margin is not None else margin
    )
    amount = None
    if spec.threshold is not None:
        allowed = spec.threshold * denominator
        amount = numerator - allowed if spec.comparison == ">=" else allowed - numerator
    return replace(base, value=value, status=status, headroom=headroom, headroom_amount_fen=amount)


def compute_report(
    rule_set: IndicatorRuleSet,
    sheet: BalanceSheet,
    book: pl.DataFrame,
    weights: RiskWeights,
    *,
    as_of: dt.date,
    margin: Decimal | None = None,
    draft: bool = False,
    previous: dict[str, Decimal | None] | None = None,
    previous_as_of: dt.date | None = None,
) -> IndicatorReport:
    """Every indicator of `rule_set`. Without `draft`, a missing input is a MissingInputError naming it."""
    missing = missing_inputs(rule_set, sheet)
    if missing and not draft:
        item = next(iter(missing.values()))[0]
        needing = [i for i, items in missing.items() if item in items]
        raise MissingInputError(
            Label(
                "{source}：缺少项目 {item}；指标体系 {rule_set} 的 {indicators} 需要它",
                "{source}: item {item} is missing; rule set {rule_set} needs it for {indicators}",
            ),
            source=sheet.source,
            item=item,
            rule_set=rule_set.id,
            indicators=", ".join(needing),
        )
    quantities = book_quantities(book, weights, sheet)
    values = all_quantities(sheet, quantities)
    chosen = rule_set.warning_margin if margin is None else margin
    results = []
    for indicator in rule_set.indicators:
        result = evaluate(indicator, values, chosen, quantities.contributors, missing.get(indicator.id))
        before = (previous or {}).get(indicator.id)
        if before is not None and result.value is not None:
            result = replace(result, change=result.value - before)
        results.append(result)
    problems = list(sheet.problems) + [
        said(
            "指标 {indicator}：缺少项目 {items}",
            "indicator {indicator}: missing item(s) {items}",
            indicator=i,
            items=", ".join(items),
        )
        for i, items in missing.items()
    ]
    return IndicatorReport(
        as_of, sheet.lessor, rule_set, tuple(results), draft or bool(problems), tuple(problems),
        previous_as_of, values,
    )  # fmt: skip


@dataclass(frozen=True)
class NewContract:
    """A contract the lessor considers funding, for a what-if."""

    lessee_id: str
    lessee_name: str
    lessee_type: str
    principal_fen: int
    group_id: str | None = None
    related_party: bool = False
    enterprise_size: str | None = None
    residual_value_fen: int = 0


def with_contract(
    book: pl.DataFrame, sheet: BalanceSheet, new: NewContract
) -> tuple[pl.DataFrame, BalanceSheet]:
    """The book and balance sheet after funding `new` with borrowed money: the claim enters the book as
    normal, lease assets, total assets and total liabilities grow by the principal; capital is unchanged."""
    row = pl.DataFrame(
        [{
            "contract_no": "(what-if)", "lessee_id": new.lessee_id, "lessee_name": new.lessee_name,
            "lessee_type": new.lessee_type, "group_id": new.group_id, "related_party": new.related_party,
            "enterprise_size": new.enterprise_size, "class": "normal", "claim_balance_fen": new.principal_fen,
            "provision_fen": 0, "residual_value_fen": new.residual_value_fen,
        }],
        schema=BOOK_SCHEMA,
    )  # fmt: skip
    items = dict(sheet.items)
    for name in ("lease_assets", "total_assets", "total_liabilities"):
        if name in items:
            items[name] += new.principal_fen
    return pl.concat([book.select(list(BOOK_SCHEMA)), row]), replace(sheet, items=items)
