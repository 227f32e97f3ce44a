"""Behaviour features of every live contract on a date, from its recent month-end positions and from the
lessee's other contracts anywhere in the consortium. The same function builds the features to score today
and the features at past observation dates to fit the model on, so the two can never drift apart."""

from __future__ import annotations

import datetime as dt

import polars as pl

from leaseguard.analytics.buckets import LIVE_STATUSES
from leaseguard.analytics.calendar import previous_month_end

FEATURES = (
    "dpd_log",  # log(1 + DPD today), DPD capped at 720
    "max_dpd_log",  # log(1 + the worst DPD at the month-ends looked at)
    "months_in_arrears_share",  # share of those month-ends with DPD > 0
    "instalments_overdue",
    "overdue_share",  # overdue amount / (overdue amount + paid to date)
    "on_time_share",  # on-time streak / instalments due (1 before the first instalment)
    "instalments_due_log",  # log(1 + instalments due): seasoning
    "individual",  # 1 for an individual lessee, 0 for an enterprise
    "annual_rate",  # the contract's rate: lessors price the risk they saw at funding
    "lessee_other_contracts_log",  # log(1 + the lessee's other live contracts, every lessor)
    "lessee_other_in_arrears",  # 1 when any other live contract of the lessee has DPD > 0
    "lessee_other_max_dpd_log",  # log(1 + the worst DPD among them)
)


def _log1p(expression: pl.Expr) -> pl.Expr:
    return (expression.cast(pl.Float64) + 1).log()


def behaviour_features(current: pl.DataFrame, history: pl.DataFrame, contracts: pl.DataFrame) -> pl.DataFrame:
    """`current`: positions on the date scored (the shared positions schema); `history`: contract_no, as_of,
    dpd at the month-ends before it; `contracts`: contract_no, lessee_type, annual_rate. One row per live contract of
    `current`: contract_no, lessor, lessee_id and the FEATURES."""
    live = current.filter(pl.col("status").is_in(LIVE_STATUSES))
    past = (
        pl.concat(
            [history.select("contract_no", "dpd"), live.select("contract_no", "dpd")], how="vertical_relaxed"
        )
        .group_by("contract_no")
        .agg(
            pl.col("dpd").max().alias("max_dpd"),
            (pl.col("dpd") > 0).mean().alias("months_in_arrears_share"),
        )
    )
    # The lessee's other contracts at this lessor only: a score must not move with another member's book.
    lessees = live.group_by("lessor", "lessee_id").agg(
        pl.len().alias("_lessee_contracts"),
        (pl.col("dpd") > 0).sum().alias("_lessee_in_arrears"),
        pl.col("dpd").sort(descending=True).head(2).alias("_lessee_top_dpd"),
    )
    frame = (
        live.join(past, on="contract_no", how="left")
        .join(lessees, on=["lessor", "lessee_id"], how="left")
        .join(contracts.select("contract_no", "lessee_type", "annual_rate"), on="contract_no", how="left")
    )
    own_in_arrears = (pl.col("dpd") > 0).cast(pl.Int64)
    # The worst DPD among the lessee's other contracts: the top DPD, unless it is this contract's own, then the
    # runner-up (the two largest are kept, so no self-join of a lessee's contracts is needed).
    top = pl.col("_lessee_top_dpd").list.get(0, null_on_oob=True).fill_null(0)
    second = pl.col("_lessee_top_dpd").list.get(1, null_on_oob=True).fill_null(0)
    other_max = pl.when(top == pl.col("dpd")).then(second).otherwise(top)
    paid_and_overdue = pl.col("overdue_amount_fen") + pl.col("paid_to_date_fen")
    return frame.select(
        "contract_no",
        "lessor",
        "lessee_id",
        _log1p(pl.col("dpd").clip(0, 720)).alias("dpd_log"),
        _log1p(pl.max_horizontal("max_dpd", "dpd").clip(0, 720)).alias("max_dpd_log"),
        pl.col("months_in_arrears_share").fill_null(0.0),
        pl.col("instalments_overdue").cast(pl.Float64),
        pl.when(paid_and_overdue > 0)
        .then(pl.col("overdue_amount_fen") / paid_and_overdue)
        .otherwise(0.0)
        .alias("overdue_share"),
        pl.when(pl.col("instalments_due") > 0)
        .then((pl.col("on_time_streak") / pl.col("instalments_due")).clip(0, 1))
        .otherwise(1.0)
        .alias("on_time_share"),
        _log1p(pl.col("instalments_due")).alias("instalments_due_log"),
        (pl.col("lessee_type") == "individual").fill_null(False).cast(pl.Float64).alias("individual"),
        pl.col("annual_rate").cast(pl.Float64).fill_null(0.0),
        _log1p(pl.col("_lessee_contracts") - 1).alias("lessee_other_contracts_log"),
        ((pl.col("_lessee_in_arrears") - own_in_arrears) > 0)
        .cast(pl.Float64)
        .alias("lessee_other_in_arrears"),
        _log1p(pl.when(pl.col("_lessee_contracts") > 1).then(other_max).otherwise(0).clip(0, 720)).alias(
            "lessee_other_max_dpd_log"
        ),
    )


def history_dates(as_of: dt.date, months: int) -> list[dt.date]:
    """The `months` month-ends before `as_of` (as_of itself excluded), oldest first."""
    dates: list[dt.date] = []
    day = as_of
    for _ in range(months):
        day = previous_month_end(day)
        dates.append(day)
    return dates[::-1]
