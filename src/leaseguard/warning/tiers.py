"""Risk tiers from the score's cut-offs, lifted by signals, and the call list order they give."""

from __future__ import annotations

import polars as pl

from leaseguard.warning.rules import WarningRules


def assign_tiers(scored: pl.DataFrame, rules: WarningRules) -> pl.DataFrame:
    """`scored`: score, dpd, class (the day's five-category class, may be null) and one boolean column per
    signal. Adds tier (name), tier_label and tier_rank (1 = worst scored tier): a contract in default (the
    collections rule: days past due or class) is in the collections tier, rank 0, whatever its score;
    the others take the tier of their score, or the tier a fired signal escalates to when that is worse."""
    tiers = rules.tiers
    rank_by_score: pl.Expr = pl.lit(len(tiers))
    for tier_rank in range(len(tiers) - 1, 0, -1):
        reaches = pl.col("score") >= float(tiers[tier_rank - 1].min_score)
        rank_by_score = pl.when(reaches).then(tier_rank).otherwise(rank_by_score)
    rank_of = {tier.name: position + 1 for position, tier in enumerate(tiers)}
    escalations = [
        pl.when(pl.col(signal)).then(rank_of[tier]).otherwise(len(tiers))
        for signal, tier in rules.escalation.items()
        if signal in scored.columns
    ]
    rank = pl.min_horizontal(rank_by_score, *escalations).cast(pl.Int32)
    names = {position + 1: tier.name for position, tier in enumerate(tiers)}
    if rules.collections is not None:
        in_default = pl.col("dpd") >= rules.collections.min_dpd
        if "class" in scored.columns and rules.collections.classes:
            in_default = in_default | pl.col("class").is_in(rules.collections.classes).fill_null(False)
        rank = pl.when(in_default).then(pl.lit(0, pl.Int32)).otherwise(rank)
        names[0] = rules.collections.tier
    return (
        scored.with_columns(rank.alias("tier_rank"))
        .with_columns(pl.col("tier_rank").replace_strict(names, return_dtype=pl.String).alias("tier"))
        .with_columns(
            pl.col("tier").replace_strict(rules.tier_labels, return_dtype=pl.String).alias("tier_label")
        )
    )


def call_list(frame: pl.DataFrame) -> pl.DataFrame:
    """Who is called first: worst tier first, then highest score, then contract number (stable)."""
    return frame.sort(["tier_rank", "score", "contract_no"], descending=[False, True, False]).with_columns(
        pl.int_range(1, pl.len() + 1).alias("call_order")
    )
