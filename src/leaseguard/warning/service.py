"""`compute_warnings`: today's positions and the month-ends before them into a scored, signalled, tiered call
list; `training_set`: the same features at past observation dates, labelled by what happened next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from leaseguard.analytics.calendar import previous_month_end
from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.errors import InvalidInputError
from leaseguard.portfolio.schedule import add_months
from leaseguard.vocabulary import TRACKING_SIGNALS, Label
from leaseguard.warning.features import FEATURES, behaviour_features, history_dates
from leaseguard.warning.model import ScoreModel
from leaseguard.warning.rules import SIGNALS, WarningRules
from leaseguard.warning.signals import signal_list, warning_signals
from leaseguard.warning.tiers import assign_tiers, call_list

PositionsAt = Callable[[dt.date], pl.DataFrame]
Progress = Callable[[str, int, int], None]  # (stage: a code of STAGES, done, total)

# The stages a long run reports, as codes; a progress bar shows their words.
PAYMENT_HISTORY, TRAINING_OBSERVATIONS = "payment_history", "training_observations"
STAGES = {
    PAYMENT_HISTORY: Label("还款历史", "payment history"),
    TRAINING_OBSERVATIONS: Label("训练观测", "training observations"),
}

# What a lessor sees of its own contracts; nothing here is about another lessor's contract.
WARNING_COLUMNS = (
    "call_order", "contract_no", "lessor", "as_of", "score", "tier", "signals", "dpd", "overdue_amount_fen",
    "outstanding_principal_fen", "tier_label", "class", "lessee_name", "phone",
)  # fmt: skip


def _history(positions_at: PositionsAt, dates: list[dt.date], progress: Progress | None) -> pl.DataFrame:
    frames = []
    for step, day in enumerate(dates):
        if progress:
            progress(PAYMENT_HISTORY, step, len(dates))
        frames.append(positions_at(day).select("contract_no", "as_of", "dpd"))
    if progress:
        progress(PAYMENT_HISTORY, len(dates), len(dates))
    if not frames:
        return pl.DataFrame(schema={"contract_no": pl.String, "as_of": pl.Date, "dpd": pl.Int32})
    return pl.concat(frames, how="vertical_relaxed")


def _with_tracking(scored: pl.DataFrame, tracking: pl.DataFrame | None) -> pl.DataFrame:
    """The tracking signals joined on lessor and contract_no both: a contract number another lessor also uses
    never takes that lessor's alerts. A contract without an open alert has them all false."""
    if tracking is None:
        return scored.with_columns(pl.lit(False).alias(signal) for signal in TRACKING_SIGNALS)
    raised = tracking.select(
        pl.col("lessor").cast(pl.String),
        pl.col("contract_no").cast(pl.String),
        *(pl.col(signal).cast(pl.Boolean) for signal in TRACKING_SIGNALS),
    ).unique(subset=["lessor", "contract_no"])
    return scored.join(raised, on=["lessor", "contract_no"], how="left").with_columns(
        pl.col(signal).fill_null(False) for signal in TRACKING_SIGNALS
    )


def compute_warnings(
    as_of: dt.date,
    contracts: pl.DataFrame,
    positions_at: PositionsAt,
    valuations: pl.DataFrame,
    model: ScoreModel,
    rules: WarningRules,
    buckets: AnalyticsRules,
    *,
    compare_with: dt.date | None = None,
    lessor: str | None = None,
    classes: pl.DataFrame | None = None,
    tracking: pl.DataFrame | None = None,
    progress: Progress | None = None,
) -> pl.DataFrame:
    """The call list of every live contract on `as_of` (of `lessor` only, when given), in WARNING_COLUMNS
    plus one boolean column per signal. `contracts`: contract_no, lessee_type, industry of the whole
    consortium — the lessee's other contracts and the concentration need them all; `valuations`:
    contract_no, valuation_date, disposal_value_fen. The DPD bucket is compared with `compare_with` (the
    previous run), by default the previous month-end. `classes`: contract_no, class of the day's daily run,
    for the collections tier (null class where not given); `contracts` may carry lessee_name and phone.
    `tracking`: lessor, contract_no and one boolean per TRACKING_SIGNALS (tracking/signals.py's
    lessor_tracking_signal_frame), the location alerts open on the contracts' assets; none when not given."""
    compare_with = compare_with or previous_month_end(as_of)
    if compare_with >= as_of:
        raise InvalidInputError(
            Label(
                "对比日期 {compare_with} 不早于 as_of {as_of}",
                "the date compared with, {compare_with}, is not before as_of {as_of}",
            ),
            compare_with=compare_with,
            as_of=as_of,
        )
    dates = history_dates(as_of, rules.history_months)
    history = _history(positions_at, dates, progress)
    current = positions_at(as_of)
    compared = (
        history.filter(pl.col("as_of") == compare_with)
        if compare_with in dates
        else positions_at(compare_with).select("contract_no", "as_of", "dpd")
    )
    features = behaviour_features(current, history, contracts)
    signals = warning_signals(
        current,
        history,
        compared,
        contracts,
        valuations.filter(pl.col("valuation_date") <= as_of),
        rules,
        buckets,
    )
    scored = (
        features.with_columns(model.probability().round(4).alias("score"))
        .select("contract_no", "lessor", "score")
        .join(signals, on="contract_no", how="left")
        .join(
            current.select("contract_no", "dpd", "overdue_amount_fen", "outstanding_principal_fen"),
            on="contract_no",
        )
    )
    if classes is None:
        classes = pl.DataFrame(schema={"contract_no": pl.String, "class": pl.String})
    people = contracts.select(
        "contract_no",
        *(
            (pl.col(name) if name in contracts.columns else pl.lit(None, pl.String)).alias(name)
            for name in ("lessee_name", "phone")
        ),
    )
    scored = scored.join(classes.select("contract_no", "class"), on="contract_no", how="left").join(
        people, on="contract_no", how="left"
    )
    scored = _with_tracking(scored, tracking)
    if lessor is not None:
        # Everything above saw the whole consortium; from here on only the lessor's own rows are kept.
        scored = scored.filter(pl.col("lessor") == lessor)
    tiered = assign_tiers(scored, rules)
    listed = call_list(tiered).with_columns(
        pl.lit(as_of).alias("as_of"), signal_list(tiered).alias("signals")
    )
    return listed.select(*WARNING_COLUMNS, *SIGNALS)


def training_set(
    observation_dates: list[dt.date],
    contracts: pl.DataFrame,
    outcomes: pl.DataFrame,
    positions_at: PositionsAt,
    rules: WarningRules,
    horizon_months: int,
    progress: Progress | None = None,
) -> pl.DataFrame:
    """Features of the contracts live and not yet defaulted at each observation date, labelled 1 when they
    defaulted within `horizon_months` after it. `outcomes`: contract_no, defaulted (bool),
    first_missed_due_date (date or null), as `leaseguard synth` writes contract_outcomes.csv."""
    frames = []
    for step, observed in enumerate(observation_dates):
        if progress:
            progress(TRAINING_OBSERVATIONS, step, len(observation_dates))
        history = _history(positions_at, history_dates(observed, rules.history_months), None)
        features = behaviour_features(positions_at(observed), history, contracts)
        horizon_end = add_months(observed, horizon_months)
        missed = pl.col("first_missed_due_date")
        labelled = features.join(outcomes, on="contract_no", how="inner").filter(
            missed.is_null() | (missed > observed)
        )
        frames.append(
            labelled.select(
                "contract_no",
                "lessee_id",
                pl.lit(observed).alias("observed_on"),
                *FEATURES,
                (pl.col("defaulted") & missed.is_not_null() & (missed <= horizon_end))
                .cast(pl.Int8)
                .alias("defaulted"),
            )
        )
    if progress:
        progress(TRAINING_OBSERVATIONS, len(observation_dates), len(observation_dates))
    return pl.concat(frames)


@dataclass(frozen=True)
class RankingQuality:
    auc: float
    top_decile_capture: float  # share of the defaults found in the first tenth of the ranking


@dataclass(frozen=True)
class Backtest:
    """The score measured out of time: warned on `warned_on`, judged on `judged_on`."""

    warned_on: dt.date
    judged_on: dt.date
    contracts: int  # live and under `default_dpd` days past due when warned
    defaults: int  # of those, `default_dpd` or more days past due when judged
    score: RankingQuality
    dpd_only: RankingQuality

    @property
    def auc_lift(self) -> float:
        return self.score.auc - self.dpd_only.auc


def _quality(labels: np.ndarray, ranking: np.ndarray) -> RankingQuality:
    from sklearn.metrics import roc_auc_score

    order = np.argsort(-ranking, kind="stable")
    top = order[: max(1, len(order) // 10)]
    return RankingQuality(
        auc=round(float(roc_auc_score(labels, ranking)), 4),
        top_decile_capture=round(float(labels[top].sum() / labels.sum()), 4),
    )


def backtest(
    warned_on: dt.date,
    months: int,
    contracts: pl.DataFrame,
    positions_at: PositionsAt,
    valuations: pl.DataFrame,
    model: ScoreModel,
    rules: WarningRules,
    buckets: AnalyticsRules,
    *,
    default_dpd: int = 90,
    lessor: str | None = None,
    progress: Progress | None = None,
) -> Backtest:
    """Warn on `warned_on`; every contract live and under `default_dpd` days past due then is labelled by
    whether it is `default_dpd` or more days past due `months` later. The score's ranking is compared with
    ranking by days past due alone (the collections desk's rule of thumb), on the same contracts."""
    judged_on = add_months(warned_on, months)
    warned = compute_warnings(
        warned_on,
        contracts,
        positions_at,
        valuations,
        model,
        rules,
        buckets,
        lessor=lessor,
        progress=progress,
    ).filter(pl.col("dpd") < default_dpd)
    later = positions_at(judged_on).select("contract_no", (pl.col("dpd") >= default_dpd).alias("defaulted"))
    # In contract-number order, so that ties in days past due are not broken by the score's call order.
    judged = (
        warned.join(later, on="contract_no", how="left")
        .with_columns(pl.col("defaulted").fill_null(False))
        .sort("contract_no")
    )
    labels = judged["defaulted"].cast(pl.Int8).to_numpy()
    if labels.sum() == 0 or labels.sum() == len(labels):
        raise InvalidInputError(
            Label(
                "{warned_on} 存续且逾期不足 {dpd} 天的合同到 {judged_on} 没有一份违约：没有可用来衡量评分的结果",
                "no contract live on {warned_on} and under {dpd} days past due defaulted by {judged_on}: nothing to "
                "measure the score against",
            )
            if labels.sum() == 0
            else Label(
                "{warned_on} 存续且逾期不足 {dpd} 天的合同到 {judged_on} 全部保持正常：没有可用来衡量评分的结果",
                "no contract live on {warned_on} and under {dpd} days past due stayed current by {judged_on}: "
                "nothing to measure the score against",
            ),
            warned_on=warned_on,
            dpd=default_dpd,
            judged_on=judged_on,
        )
    return Backtest(
        warned_on=warned_on,
        judged_on=judged_on,
        contracts=len(labels),
        defaults=int(labels.sum()),
        score=_quality(labels, judged["score"].to_numpy()),
        dpd_only=_quality(labels, judged["dpd"].cast(pl.Float64).to_numpy()),
    )
