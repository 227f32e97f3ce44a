"""Vintage curves: the cumulative share of an origination cohort that has reached 30+ (or 90+) DPD by each
month on book, counted in contracts and in principal.

Month-ends of positions are fed one at a time (`VintageTracker.add`), so memory stays one row per contract
whatever the length of the history. A cohort's curve runs as far as every one of its contracts has been
observed, so each point shares the same denominator (the whole cohort) and the curve never falls.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from leaseguard.analytics.calendar import cohort_label, months_between

VINTAGE_COLUMNS = (
    "cohort", "dpd_threshold", "months_on_book", "contracts_exposed", "contracts_reached", "share_contracts",
    "principal_exposed_fen", "principal_reached_fen", "share_principal",
)  # fmt: skip


class VintageTracker:
    """The first month-end at which each contract's DPD reached each threshold."""

    def __init__(self, dpd_thresholds: list[int]) -> None:
        self.thresholds = sorted(dpd_thresholds)
        self._first_reached = {
            threshold: pl.DataFrame(schema={"contract_no": pl.String, "reached_on": pl.Date})
            for threshold in self.thresholds
        }
        self.last_as_of: dt.date | None = None

    def add(self, positions: pl.DataFrame) -> None:
        """One as_of of positions (contract_no, as_of, dpd); as_of dates must come in increasing order."""
        if positions.is_empty():
            return
        as_of = positions["as_of"].max()
        assert isinstance(as_of, dt.date)
        if self.last_as_of is not None and as_of <= self.last_as_of:
            raise ValueError(f"positions of {as_of} came after those of {self.last_as_of}")
        self.last_as_of = as_of
        for threshold in self.thresholds:
            known = self._first_reached[threshold]
            reached = positions.filter(pl.col("dpd") >= threshold).select(
                "contract_no", pl.col("as_of").alias("reached_on")
            )
            new = reached.join(known, on="contract_no", how="anti")
            if not new.is_empty():
                self._first_reached[threshold] = pl.concat([known, new])

    def curves(self, contracts: pl.DataFrame, cohort: str) -> pl.DataFrame:
        """The curves of every cohort of `contracts` (contract_no, start_date, principal_fen) up to the last
        as_of seen, in the VINTAGE_COLUMNS."""
        if self.last_as_of is None:
            return empty_vintage()
        frames = [
            vintage_curves(contracts, self._first_reached[threshold], threshold, self.last_as_of, cohort)
            for threshold in self.thresholds
        ]
        return pl.concat(frames).sort("dpd_threshold", "cohort", "months_on_book")


def empty_vintage() -> pl.DataFrame:
    text = {"cohort": pl.String}
    shares = {"share_contracts": pl.Float64, "share_principal": pl.Float64}
    counts = {name: pl.Int64 for name in VINTAGE_COLUMNS if name not in text and name not in shares}
    return pl.DataFrame(schema={name: {**text, **shares, **counts}[name] for name in VINTAGE_COLUMNS})


def vintage_curves(
    contracts: pl.DataFrame, first_reached: pl.DataFrame, threshold: int, last_as_of: dt.date, cohort: str
) -> pl.DataFrame:
    """`contracts`: contract_no, start_date, principal_fen of the book; `first_reached`: contract_no,
    reached_on (the first month-end at `threshold`+ DPD) of those that reached it by `last_as_of`."""
    per_contract = (
        contracts.filter(pl.col("start_date") <= last_as_of)
        .join(first_reached, on="contract_no", how="left")
        .select(
            cohort_label(pl.col("start_date"), cohort).alias("cohort"),
            months_between(pl.col("start_date"), pl.lit(last_as_of)).alias("observed"),
            months_between(pl.col("start_date"), pl.col("reached_on")).alias("reached"),
            pl.col("principal_fen").cast(pl.Int64),
        )
    )
    # Few distinct (cohort, observed, reached) cells: the grid over months on book is built on those.
    cells = per_contract.group_by("cohort", "observed", "reached").agg(
        pl.len().cast(pl.Int64).alias("contracts"), pl.col("principal_fen").sum().alias("principal_fen")
    )
    horizon = int(cells["observed"].max() or 0)  # type: ignore[arg-type]
    months = pl.DataFrame({"months_on_book": pl.arange(0, horizon + 1, eager=True).cast(pl.Int32)})
    fully_observed = pl.col("observed").min().over("cohort")
    grid = cells.join(months, how="cross").filter(pl.col("months_on_book") <= fully_observed)
    reached_now = pl.col("reached").is_not_null() & (pl.col("reached") <= pl.col("months_on_book"))
    curves = grid.group_by("cohort", "months_on_book").agg(
        pl.col("contracts").sum().alias("contracts_exposed"),
        pl.col("contracts").filter(reached_now).sum().alias("contracts_reached"),
        pl.col("principal_fen").sum().alias("principal_exposed_fen"),
        pl.col("principal_fen").filter(reached_now).sum().alias("principal_reached_fen"),
    )
    return curves.select(
        "cohort",
        pl.lit(threshold, dtype=pl.Int64).alias("dpd_threshold"),
        pl.col("months_on_book").cast(pl.Int64),
        "contracts_exposed",
        "contracts_reached",
        (pl.col("contracts_reached") / pl.col("contracts_exposed")).alias("share_contracts"),
        "principal_exposed_fen",
        "principal_reached_fen",
        (pl.col("principal_reached_fen") / pl.col("principal_exposed_fen"))
        .fill_nan(0.0)
        .alias("share_principal"),
    )
