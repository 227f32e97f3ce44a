"""DPD buckets (from analytics.yaml) and the state of a contract at a month-end for roll rates."""

from __future__ import annotations

import polars as pl

from leaseguard.analytics.rules import AnalyticsRules

SETTLED = "settled"
# Statuses in which a contract carries arrears risk; 'not_started' contracts have no state yet.
LIVE_STATUSES = ("active", "matured_unpaid")


def dpd_bucket(dpd: pl.Expr, rules: AnalyticsRules) -> pl.Expr:
    """The name of the bucket whose range holds `dpd`."""
    buckets = rules.dpd_buckets
    expression: pl.Expr = pl.lit(buckets[0].name)
    for bucket in buckets[1:]:
        expression = pl.when(dpd >= bucket.lower_days).then(pl.lit(bucket.name)).otherwise(expression)
    return expression


def roll_state(status: pl.Expr, dpd: pl.Expr, rules: AnalyticsRules) -> pl.Expr:
    """A live contract's DPD bucket, 'settled' once settled, null before it starts."""
    return (
        pl.when(status.is_in(LIVE_STATUSES))
        .then(dpd_bucket(dpd, rules))
        .when(status == SETTLED)
        .then(pl.lit(SETTLED))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
