"""Early-warning signals, each a boolean column per live contract on the date scored.

- first_missed_payment: in arrears today, and at none of the month-ends looked at before;
- worse_dpd_bucket: today's DPD bucket is worse than the bucket on the date compared with (the previous
  month-end or the previous run);
- collateral_drop: the latest disposal valuation of the contract's asset fell by at least the configured
  share of the valuation before it;
- arrears_elsewhere: the same lessee (lessee_id) is in arrears on a contract of another lessor — only for
  the lessors that switched the signal on (signals.arrears_elsewhere_lessors), and only the flag crosses the
  lessor boundary, never the other lessor, its contract or its amounts;
- industry_concentration: the lessor's live principal in the contract's industry is above the configured
  share of all its live principal.
Shares are compared exactly, in integers: a × denominator ≥ b × numerator.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl

from leaseguard.analytics.buckets import LIVE_STATUSES, dpd_bucket
from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.warning.rules import SIGNALS, WarningRules


def _fraction(value: Decimal) -> tuple[int, int]:
    exact = Fraction(value)
    return exact.numerator, exact.denominator


def warning_signals(
    current: pl.DataFrame,
    history: pl.DataFrame,
    compared: pl.DataFrame,
    contracts: pl.DataFrame,
    valuations: pl.DataFrame,
    rules: WarningRules,
    buckets: AnalyticsRules,
) -> pl.DataFrame:
    """`current`: positions today; `history`: contract_no, dpd at the month-ends before; `compared`:
    contract_no, dpd on the date compared with; `contracts`: contract_no, industry; `valuations`:
    contract_no, valuation_date, disposal_value_fen (on or before today). One row per live contract:
    contract_no and one boolean column per signal."""
    live = current.filter(pl.col("status").is_in(LIVE_STATUSES))
    arrears_before = (
        history.filter(pl.col("dpd") > 0)
        .select("contract_no")
        .unique()
        .with_columns(pl.lit(True).alias("_before"))
    )
    bucket_rank = {name: rank for rank, name in enumerate(buckets.bucket_names)}
    rank_now = dpd_bucket(pl.col("dpd"), buckets).replace_strict(bucket_rank, return_dtype=pl.Int32)
    rank_then = dpd_bucket(pl.col("dpd_then"), buckets).replace_strict(bucket_rank, return_dtype=pl.Int32)
    then = compared.select("contract_no", pl.col("dpd").alias("dpd_then"))
    frame = (
        live.join(arrears_before, on="contract_no", how="left")
        .join(then, on="contract_no", how="left")
        .join(_collateral_drops(valuations, rules), on="contract_no", how="left")
        .join(_arrears_elsewhere(live, rules.signals.arrears_elsewhere_lessors), on="contract_no", how="left")
        .join(_concentrated(live, contracts, rules), on="contract_no", how="left")
    )
    return frame.select(
        "contract_no",
        ((pl.col("dpd") > 0) & pl.col("_before").is_null()).alias("first_missed_payment"),
        (pl.col("dpd_then").is_not_null() & (rank_now > rank_then))
        .fill_null(False)
        .alias("worse_dpd_bucket"),
        pl.col("collateral_drop").fill_null(False),
        pl.col("arrears_elsewhere").fill_null(False),
        pl.col("industry_concentration").fill_null(False),
    )


def _collateral_drops(valuations: pl.DataFrame, rules: WarningRules) -> pl.DataFrame:
    numerator, denominator = _fraction(rules.signals.collateral_drop_min_fall)
    latest_two = (
        valuations.group_by("contract_no", "valuation_date")
        .agg(pl.col("disposal_value_fen").sum())  # a contract with several assets: their values together
        .sort("contract_no", "valuation_date", descending=[False, True])
        .group_by("contract_no", maintain_order=True)
        .agg(pl.col("disposal_value_fen").head(2))
        .filter(pl.col("disposal_value_fen").list.len() == 2)
    )
    latest = pl.col("disposal_value_fen").list.get(0).cast(pl.Int64)
    before = pl.col("disposal_value_fen").list.get(1).cast(pl.Int64)
    fell = (before - latest) * denominator >= before * numerator
    return latest_two.select("contract_no", ((before > 0) & fell).alias("collateral_drop"))


def _arrears_elsewhere(live: pl.DataFrame, switched_on: list[str]) -> pl.DataFrame:
    """Per contract of a lessor in `switched_on`: does the same lessee have a contract in arrears at another
    lessor?"""
    in_arrears = (
        live.filter(pl.col("dpd") > 0).select("lessee_id", pl.col("lessor").alias("_other_lessor")).unique()
    )
    lessor_count = in_arrears.group_by("lessee_id").agg(
        pl.col("_other_lessor").n_unique().alias("_lessors_in_arrears"),
        pl.col("_other_lessor").first().alias("_one_lessor_in_arrears"),
    )
    flagged = (
        live.filter(pl.col("lessor").is_in(switched_on))
        .select("contract_no", "lessee_id", "lessor")
        .join(lessor_count, on="lessee_id", how="inner")
    )
    # Another lessor holds arrears if two or more lessors do, or the only one that does is not this lessor.
    elsewhere = (pl.col("_lessors_in_arrears") > 1) | (pl.col("_one_lessor_in_arrears") != pl.col("lessor"))
    return flagged.select("contract_no", elsewhere.alias("arrears_elsewhere"))


def _concentrated(live: pl.DataFrame, contracts: pl.DataFrame, rules: WarningRules) -> pl.DataFrame:
    numerator, denominator = _fraction(rules.signals.industry_concentration_max_share)
    exposure = live.select("contract_no", "lessor", pl.col("outstanding_principal_fen").cast(pl.Int64)).join(
        contracts.select("contract_no", "industry"), on="contract_no", how="left"
    )
    by_industry = (
        exposure.filter(pl.col("industry").is_not_null())
        .group_by("lessor", "industry")
        .agg(pl.col("outstanding_principal_fen").sum().alias("_industry_fen"))
    )
    by_lessor = exposure.group_by("lessor").agg(
        pl.col("outstanding_principal_fen").sum().alias("_lessor_fen")
    )
    shares = by_industry.join(by_lessor, on="lessor").with_columns(
        (pl.col("_industry_fen") * denominator > pl.col("_lessor_fen") * numerator).alias(
            "industry_concentration"
        )
    )
    return exposure.join(shares, on=["lessor", "industry"], how="inner").select(
        "contract_no", "industry_concentration"
    )


def signal_list(frame: pl.DataFrame) -> pl.Expr:
    """The names of the signals that fired, joined by ';' in the fixed order of SIGNALS."""
    names = [pl.when(pl.col(name)).then(pl.lit(name)) for name in SIGNALS if name in frame.columns]
    return pl.concat_str(names, separator=";", ignore_nulls=True).fill_null("")
