"""Risk tiers from the score's cut-offs, lifted by signals, and the call list order they give."""

from __future__ import annotations

import polars as pl

from leaseguard.warning.rules import WarningRules


def assign_tiers(scored: pl.DataFrame, rules: WarningRules) -> pl.DataFrame:
    """`scored`: score and one boolean column per signal. Adds tier (name) and tier_rank (1 = worst): the
    tier of the score, or the tier a fired signal escalates to when that is worse."""
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
    return scored.with_columns(rank.alias("tier_rank")).with_columns(
        pl.col("tier_rank").replace_strict(names, return_dtype=pl.String).alias("tier")
    )


def call_list(frame: pl.DataFrame) -> pl.DataFrame:
    """Who is called first: worst tier first, then highest score, then contract number (stable)."""
    return frame.sort(["tier_rank", "score", "contract_no"], descending=[False, True, False]).with_columns(
        pl.int_range(1, pl.len() + 1).alias("call_order")
    )
