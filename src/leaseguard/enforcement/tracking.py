"""Following a case until the money is back: its stages in order, what each recovered, and recovery rates and
times by lessor, asset type, region and stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from leaseguard.errors import InvalidInputError
from leaseguard.money import grouped_yuan
from leaseguard.vocabulary import OPENED, STAGE_LABELS, STAGES

# A case moves forward through these steps; auction and settlement are alternatives at the same step.
STEP = {"demand_notice": 0, "filing": 1, "judgment": 2, "enforcement": 3, "seizure": 4, "auction": 5,
        "settlement": 5, "closure": 6}  # fmt: skip
DIMENSIONS = ("lessor", "asset_type", "region", "stage")


# A settlement the debtor does not keep: the lessor applies for enforcement of the settled (or adjudged) debt.
_AFTER_A_BROKEN_SETTLEMENT = frozenset({"enforcement", "seizure", "auction"})


class CaseEventError(InvalidInputError):
    """An event a case cannot take; the message names the case, the field and the reason."""


@dataclass(frozen=True)
class PastEvent:
    stage: str
    event_date: dt.date
    recovered_fen: int


def check_event(
    case_id: int,
    opened_on: dt.date,
    current_stage: str,
    past: Sequence[PastEvent],
    stage: str,
    event_date: dt.date,
    recovered_fen: int,
    *,
    today: dt.date | None = None,
    claim_fen: int | None = None,
    over_claim_confirmed: bool = False,
) -> None:
    """Refuse an event that would go back a stage (but a settlement the debtor breaks goes on to enforcement),
    predate the case or its last event, lie in the future (after `today`), recover a negative amount, bring
    the recovery above the claim unless that is confirmed, or follow the case's closure."""
    where = f"case {case_id}"
    if stage not in STEP:
        raise CaseEventError(f"{where}: stage {stage!r} is not one of {', '.join(STAGES)}")
    if current_stage == "closure":
        raise CaseEventError(f"{where}: the case is closed; it takes no more events")
    if today is not None and event_date > today:
        raise CaseEventError(f"{where}: event_date {event_date} is in the future (today is {today})")
    if event_date < opened_on:
        raise CaseEventError(f"{where}: event_date {event_date} is before the case was opened ({opened_on})")
    if past and event_date < past[-1].event_date:
        raise CaseEventError(
            f"{where}: event_date {event_date} is before its last event ({past[-1].stage}, {past[-1].event_date})"
        )
    broken_settlement = current_stage == "settlement" and stage in _AFTER_A_BROKEN_SETTLEMENT
    if current_stage != OPENED and STEP[stage] < STEP[current_stage] and not broken_settlement:
        raise CaseEventError(f"{where}: stage {stage} would go back from {current_stage}")
    if recovered_fen < 0:
        raise CaseEventError(f"{where}: recovered must not be negative")
    recovered = sum(event.recovered_fen for event in past) + recovered_fen
    if claim_fen is not None and recovered > claim_fen and not over_claim_confirmed:
        raise CaseEventError(
            f"{where}: recovered in all {grouped_yuan(recovered)} would exceed the claim "
            f"{grouped_yuan(claim_fen)} yuan; confirm it if that is right (--confirm-over-claim)"
        )


def recovery_by(
    cases: pl.DataFrame, events: pl.DataFrame, dimensions: pl.DataFrame, as_of: dt.date
) -> dict[str, pl.DataFrame]:
    """Per dimension (lessor, asset_type, region, stage): cases, claimed, recovered, recovery rate, cases that
    recovered anything, median days from opening to the first recovery and to closure.

    `cases`: case_id, contract_no, lessor, opened_on, claim_fen, stage, closed_on; `events`: case_id, stage,
    event_date, recovered_fen; `dimensions`: contract_no, asset_type, region. Only what happened by `as_of`."""
    # Events of one day follow the order of the steps (a settlement, then the closure).
    known = events.filter(pl.col("event_date") <= as_of).with_columns(
        pl.col("stage").replace_strict(STEP, return_dtype=pl.Int64).alias("_step")
    )
    per_case = known.group_by("case_id").agg(
        pl.col("recovered_fen").sum().alias("recovered_fen"),
        pl.col("event_date").filter(pl.col("recovered_fen") > 0).min().alias("first_recovery"),
        pl.col("stage").sort_by("event_date", "_step").last().alias("stage_then"),
    )
    frame = (
        cases.filter(pl.col("opened_on") <= as_of)
        .join(per_case, on="case_id", how="left")
        .join(dimensions, on="contract_no", how="left")
        .with_columns(
            pl.col("recovered_fen").fill_null(0),
            pl.coalesce("stage_then", pl.lit(OPENED)).alias("stage"),
            pl.col("asset_type").fill_null("unknown"),
            pl.col("region").fill_null("unknown"),
            pl.when(pl.col("closed_on") <= as_of).then(pl.col("closed_on")).alias("closed_on"),
        )
    )
    tables = {}
    for dimension in DIMENSIONS:
        tables[dimension] = (
            frame.group_by(dimension)
            .agg(
                pl.len().alias("cases"),
                pl.col("claim_fen").sum().alias("claimed_fen"),
                pl.col("recovered_fen").sum().alias("recovered_fen"),
                (pl.col("recovered_fen") > 0).sum().alias("cases_recovering"),
                (pl.col("first_recovery") - pl.col("opened_on"))
                .dt.total_days()
                .median()
                .alias("median_days_to_first_recovery"),
                (pl.col("closed_on") - pl.col("opened_on"))
                .dt.total_days()
                .median()
                .alias("median_days_to_closure"),
            )
            .with_columns(
                pl.when(pl.col("claimed_fen") > 0)
                .then(
                    (pl.col("recovered_fen") * 20_000 + pl.col("claimed_fen"))
                    // (2 * pl.col("claimed_fen"))
                    / 100
                )
                .alias("recovery_rate_percent")
            )
            .sort(dimension)
        )
    tables["stage"] = tables["stage"].with_columns(
        pl.col("stage").replace_strict(STAGE_LABELS, default=pl.col("stage")).alias("stage_label")
    )
    return tables
