"""Roll rates: how contracts move between DPD buckets from one month-end to the next.

`RollRateTracker.add` takes one month-end of positions at a time and keeps only the previous month's state,
so a long history of a large book needs memory for two month-ends. A settled contract is absorbed ('settled'
is a destination, never an origin); contracts not yet started have no state.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from leaseguard.analytics.buckets import SETTLED, roll_state
from leaseguard.analytics.rules import AnalyticsRules

TRANSITION_SCHEMA = {
    "month_from": pl.Date,
    "month_to": pl.Date,
    "from_bucket": pl.String,
    "to_bucket": pl.String,
    "contracts": pl.Int64,
    "principal_fen": pl.Int64,  # outstanding principal at month_from
}


class RollRateTracker:
    def __init__(self, rules: AnalyticsRules) -> None:
        self.rules = rules
        self._previous: pl.DataFrame | None = None
        self._previous_as_of: dt.date | None = None
        self._transitions: list[pl.DataFrame] = []

    def add(self, positions: pl.DataFrame) -> None:
        """One as_of of positions (contract_no, as_of, status, dpd, outstanding_principal_fen), in date order."""
        if positions.is_empty():
            return
        as_of = positions["as_of"].max()
        assert isinstance(as_of, dt.date)
        current = positions.select(
            "contract_no",
            roll_state(pl.col("status"), pl.col("dpd"), self.rules).alias("state"),
            pl.col("outstanding_principal_fen").cast(pl.Int64),
        ).filter(pl.col("state").is_not_null())
        if self._previous is not None and self._previous_as_of is not None:
            if as_of <= self._previous_as_of:
                raise ValueError(f"positions of {as_of} came after those of {self._previous_as_of}")
            self._transitions.append(transitions(self._previous, current, self._previous_as_of, as_of))
        self._previous, self._previous_as_of = current, as_of

    def transitions(self) -> pl.DataFrame:
        if not self._transitions:
            return pl.DataFrame(schema=TRANSITION_SCHEMA)
        return pl.concat(self._transitions)


def transitions(
    previous: pl.DataFrame, current: pl.DataFrame, month_from: dt.date, month_to: dt.date
) -> pl.DataFrame:
    """Counts and principal by (from_bucket, to_bucket) between two month-ends' states (contract_no, state,
    outstanding_principal_fen). A live contract missing at month_to counts as settled."""
    origins = previous.filter(pl.col("state") != SETTLED)
    moved = origins.join(current.select("contract_no", "state"), on="contract_no", how="left", suffix="_to")
    return (
        moved.group_by(
            pl.col("state").alias("from_bucket"), pl.col("state_to").fill_null(SETTLED).alias("to_bucket")
        )
        .agg(pl.len().cast(pl.Int64).alias("contracts"), pl.col("outstanding_principal_fen").sum())
        .select(
            pl.lit(month_from).alias("month_from"),
            pl.lit(month_to).alias("month_to"),
            "from_bucket",
            "to_bucket",
            "contracts",
            pl.col("outstanding_principal_fen").cast(pl.Int64).alias("principal_fen"),
        )
    )


def roll_rate_matrix(transitions_frame: pl.DataFrame, rules: AnalyticsRules, months: int) -> pl.DataFrame:
    """The transitions of the latest `months` month pairs summed into one matrix, one row per origin bucket:
    from_bucket, contracts (the origin's total), then per destination the share of the origin's contracts
    (columns named after the destinations: every bucket and 'settled')."""
    destinations = [*rules.bucket_names, SETTLED]
    if transitions_frame.is_empty():
        return pl.DataFrame(
            schema={
                "from_bucket": pl.String,
                "contracts": pl.Int64,
                **dict.fromkeys(destinations, pl.Float64),
            }
        )
    latest = transitions_frame["month_to"].unique().sort().tail(months)
    window = transitions_frame.filter(pl.col("month_to").is_in(latest.implode()))
    counts = window.group_by("from_bucket", "to_bucket").agg(pl.col("contracts").sum())
    totals = counts.group_by("from_bucket").agg(pl.col("contracts").sum().alias("origin_contracts"))
    cells = pl.DataFrame(
        {
            "from_bucket": [origin for origin in rules.bucket_names for _ in destinations],
            "to_bucket": destinations * len(rules.bucket_names),
        }
    )
    shares = (
        cells.join(counts, on=["from_bucket", "to_bucket"], how="left")
        .join(totals, on="from_bucket", how="left")
        .with_columns(
            pl.col("contracts").fill_null(0),
            pl.col("origin_contracts").fill_null(0),
        )
        .with_columns(
            pl.when(pl.col("origin_contracts") > 0)
            .then(pl.col("contracts") / pl.col("origin_contracts"))
            .otherwise(0.0)
            .alias("share")
        )
    )
    matrix = shares.pivot(on="to_bucket", index=["from_bucket", "origin_contracts"], values="share")
    order = pl.DataFrame({"from_bucket": rules.bucket_names}).with_row_index("_order")
    return (
        order.join(matrix, on="from_bucket", how="left")
        .sort("_order")
        .select("from_bucket", pl.col("origin_contracts").cast(pl.Int64).alias("contracts"), *destinations)
    )
