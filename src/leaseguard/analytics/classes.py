"""Class migration between two as_of dates and NPL ratios by dimension, from the stored five-category
classes (one row per contract per as_of: contract_no, as_of, class) and the positions' claim balances.

Amounts stay integer fen; a ratio is computed once from the exact sums, at the end.
"""

from __future__ import annotations

import polars as pl

from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

NEW = "new"  # not classified at the earlier date
EXITED = "exited"  # not classified at the later date (settled, written off, sold)

NPL_SCHEMA = {
    "dimension": pl.String,
    "value": pl.String,
    "contracts": pl.Int64,
    "npl_contracts": pl.Int64,
    "claim_balance_fen": pl.Int64,
    "npl_claim_balance_fen": pl.Int64,
    "npl_ratio": pl.Float64,
}


def class_migration(
    classes_from: pl.DataFrame, classes_to: pl.DataFrame, rules: AnalyticsRules
) -> pl.DataFrame:
    """Long table from_class, to_class, contracts, share (of the from_class's contracts), claim_balance_fen
    (at the earlier date, where `classes_from` carries claim_balance_fen; else 0). Contracts classified at only
    one of the dates come from 'new' or go to 'exited'."""
    left = classes_from.select(
        "contract_no",
        pl.col("class").alias("from_class"),
        (pl.col("claim_balance_fen") if "claim_balance_fen" in classes_from.columns else pl.lit(0))
        .cast(pl.Int64)
        .alias("claim_balance_fen"),
    )
    right = classes_to.select("contract_no", pl.col("class").alias("to_class"))
    _check_classes(left["from_class"], rules, Label("较早日期的", "earlier"))
    _check_classes(right["to_class"], rules, Label("较晚日期的", "later"))
    joined = left.join(right, on="contract_no", how="full", coalesce=True).with_columns(
        pl.col("from_class").fill_null(NEW),
        pl.col("to_class").fill_null(EXITED),
        pl.col("claim_balance_fen").fill_null(0),
    )
    counts = joined.group_by("from_class", "to_class").agg(
        pl.len().cast(pl.Int64).alias("contracts"), pl.col("claim_balance_fen").sum()
    )
    origins = [NEW, *rules.classes]
    destinations = [*rules.classes, EXITED]
    cells = pl.DataFrame(
        {
            "from_class": [origin for origin in origins for _ in destinations],
            "to_class": destinations * len(origins),
        }
    )
    full = cells.join(counts, on=["from_class", "to_class"], how="left").with_columns(
        pl.col("contracts").fill_null(0), pl.col("claim_balance_fen").fill_null(0).cast(pl.Int64)
    )
    totals = pl.col("contracts").sum().over("from_class")
    return full.with_columns(
        pl.when(totals > 0).then(pl.col("contracts") / totals).otherwise(0.0).alias("share")
    ).select("from_class", "to_class", "contracts", "share", "claim_balance_fen")


def migration_matrix(migration: pl.DataFrame) -> pl.DataFrame:
    """The long migration table as a matrix of contract counts: one row per from_class."""
    origins = migration["from_class"].unique(maintain_order=True).to_list()
    destinations = migration["to_class"].unique(maintain_order=True).to_list()
    matrix = migration.pivot(on="to_class", index="from_class", values="contracts")
    order = pl.DataFrame({"from_class": origins}).with_row_index("_order")
    return order.join(matrix, on="from_class").sort("_order").select("from_class", *destinations)


def npl_ratios(book: pl.DataFrame, rules: AnalyticsRules) -> pl.DataFrame:
    """NPL ratio (claim balance of the npl_classes over all claim balance) overall and by every dimension of
    rules.npl_dimensions. `book`: one row per classified contract with class, claim_balance_fen and the
    dimension columns (a missing value is reported as 'unknown')."""
    _check_classes(book["class"], rules, Label("当日的", "classified"))
    missing = [name for name in rules.npl_dimensions if name not in book.columns]
    if missing:
        raise InvalidInputError(
            Label("资产组合缺少维度列 {missing}", "the book lacks the dimension columns {missing}"),
            missing=missing,
        )
    flagged = book.with_columns(
        pl.col("class").is_in(rules.npl_classes).alias("_npl"),
        pl.col("claim_balance_fen").cast(pl.Int64),
    )
    overall = flagged.with_columns(pl.lit("all").alias("_value"))
    frames = [_ratios(overall, "all")]
    for dimension in rules.npl_dimensions:
        grouped = flagged.with_columns(
            pl.col(dimension).cast(pl.String).fill_null("unknown").replace("", "unknown").alias("_value")
        )
        frames.append(_ratios(grouped, dimension))
    return pl.concat(frames)


def _ratios(frame: pl.DataFrame, dimension: str) -> pl.DataFrame:
    summary = frame.group_by("_value").agg(
        pl.len().cast(pl.Int64).alias("contracts"),
        pl.col("_npl").sum().cast(pl.Int64).alias("npl_contracts"),
        pl.col("claim_balance_fen").sum().alias("claim_balance_fen"),
        pl.col("claim_balance_fen").filter(pl.col("_npl")).sum().alias("npl_claim_balance_fen"),
    )
    return (
        summary.select(
            pl.lit(dimension).alias("dimension"),
            pl.col("_value").alias("value"),
            "contracts",
            "npl_contracts",
            pl.col("claim_balance_fen").cast(pl.Int64),
            pl.col("npl_claim_balance_fen").cast(pl.Int64),
            pl.when(pl.col("claim_balance_fen") > 0)
            .then(pl.col("npl_claim_balance_fen") / pl.col("claim_balance_fen"))
            .otherwise(0.0)
            .alias("npl_ratio"),
        )
        .cast(NPL_SCHEMA)  # type: ignore[arg-type]
        .sort("value")
    )


def _check_classes(values: pl.Series, rules: AnalyticsRules, which: Label) -> None:
    unknown = set(values.drop_nulls().unique().to_list()) - set(rules.classes)
    if unknown:
        raise InvalidInputError(
            Label(
                "{which}分类 {unknown} 不在 {classes} 之中",
                "{which} classes {unknown} are not among {classes}",
            ),
            which=which,
            unknown=sorted(unknown),
            classes=rules.classes,
        )
