"""Five-category classification and provisions of every contract on a day, column-wise over its positions.

The class is the worst of every rule that applies; the result names the rule that decided it (the first in
the rule set's order among those giving the worst class: DPD band, collateral shortfall, asset value fall,
lessee contagion) and lists every rule that applied and every finding.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from leaseguard.classification.reasons import VALUATION_MISSING, VALUATION_STALE
from leaseguard.classification.rules import RuleSet
from leaseguard.vocabulary import CLASSES, NON_PERFORMING

RANK = {name: rank for rank, name in enumerate(CLASSES)}
_PPM = 1_000_000

CLASSIFIED_COLUMNS = (
    "contract_no",
    "lessor",
    "as_of",
    "status",
    "dpd",
    "outstanding_principal_fen",
    "overdue_amount_fen",
    "claim_balance_fen",
    "class",
    "deciding_rule",
    "reasons",
    "provision_fen",
)


def collateral_on(valuations: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Per contract, from appraisals on or before `as_of`: the latest disposal value of its assets (summed),
    the one before it where there is one, and the date of the oldest latest appraisal.

    `valuations`: contract_no, asset_id, valuation_date, disposal_value_fen."""
    known = valuations.filter(pl.col("valuation_date") <= as_of).sort(
        "contract_no", "asset_id", "valuation_date"
    )
    per_asset = known.group_by("contract_no", "asset_id").agg(
        pl.col("disposal_value_fen").last().alias("latest"),
        pl.col("disposal_value_fen").reverse().get(1, null_on_oob=True).alias("previous"),
        pl.col("valuation_date").last().alias("valued_on"),
    )
    return per_asset.group_by("contract_no").agg(
        pl.col("latest").sum().alias("disposal_value_fen"),
        pl.when(pl.col("previous").is_not_null().all())
        .then(pl.col("previous").sum())
        .otherwise(None)
        .first()
        .alias("previous_disposal_value_fen"),
        pl.col("valued_on").min().alias("valued_on"),
    )


def _add_months(day: pl.Expr, months: pl.Expr) -> pl.Expr:
    """`day` plus `months` calendar months (negative: before), clamped to the end of a shorter month, as
    Polars' offset_by does; in integer arithmetic, because offset_by with an offset per row parses a string
    per row (minutes over a million contracts)."""
    total = day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1 + months.cast(pl.Int64)
    year, month = total // 12, total % 12 + 1
    last_day = pl.date(year, month, 1).dt.month_end().dt.day()
    return pl.date(year, month, pl.min_horizontal(day.dt.day(), last_day))


def _months_before(day: pl.Expr, months: pl.Expr) -> pl.Expr:
    return _add_months(day, -months)


def observation_start() -> pl.Expr:
    """Where a restructured contract's observation period starts: the first repayment date after the
    restructuring, or, when an instalment was missed since then, the repayment date after the missed one
    (a miss restarts the observation). Due dates are stepped back whole periods from the next due date;
    a contract with nothing left to fall due is observed from the restructuring itself."""
    next_due, restructured = pl.col("next_due_date"), pl.col("restructured_date")
    months_per_period = 12 // pl.col("periods_per_year")
    elapsed = (next_due.dt.year() * 12 + next_due.dt.month()) - (
        restructured.dt.year() * 12 + restructured.dt.month()
    )
    # Stepping back `elapsed` months lands in the restructuring's month, on the due day clamped to its end.
    landing_day = pl.min_horizontal(next_due.dt.day(), restructured.dt.month_end().dt.day())
    months_back = elapsed - pl.when(landing_day > restructured.dt.day()).then(0).otherwise(1)
    first_after = _months_before(next_due, months_back // months_per_period * months_per_period)
    after_miss = _months_before(next_due, pl.col("on_time_streak").cast(pl.Int64) * months_per_period)
    return (
        pl.when(next_due.is_null()).then(restructured).otherwise(pl.max_horizontal(first_after, after_miss))
    )


def _ppm(rate: float) -> int:
    return round(rate * _PPM)


def classify(
    positions: pl.DataFrame,
    rules: RuleSet,
    *,
    lessee_types: pl.DataFrame | None = None,
    collateral: pl.DataFrame | None = None,
    previous: pl.DataFrame | None = None,
    restructured: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """CLASSIFIED_COLUMNS for every row of `positions` (the book engine's columns).

    `lessee_types`: contract_no, lessee_type (for contagion, which applies to non-retail lessees);
    `collateral`: `collateral_on`'s columns (for the collateral rules); `previous`: contract_no, from_class of
    the latest earlier run (for the upgrade conditions and the restructuring hold); `restructured`:
    contract_no, restructured_date (for the restructuring observation)."""
    frame = positions.with_columns(pl.col("dpd").cast(pl.Int64))
    if previous is not None:
        frame = frame.join(previous, on="contract_no", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("from_class"))
    previous_rank = pl.col("from_class").replace_strict(
        list(RANK.keys()), list(RANK.values()), default=None, return_dtype=pl.Int64
    )
    live = pl.col("status").is_in(["active", "matured_unpaid"]) & (pl.col("claim_balance_fen") > 0)
    candidates: list[tuple[str, pl.Expr, pl.Expr]] = []  # (rule, applies, class rank)

    def candidate(rule: str, applies: pl.Expr, rank: pl.Expr) -> None:
        """A rule that may set the class, its condition and class computed once into columns: an eager frame
        does not share subexpressions, and the decision, the reasons and later rules all read them (the window
        sums of contagion were computed a dozen times over a million rows)."""
        nonlocal frame
        position = len(candidates)
        frame = frame.with_columns(
            applies.fill_null(False).alias(f"_applies_{position}"), rank.alias(f"_candidate_rank_{position}")
        )
        candidates.append((rule, pl.col(f"_applies_{position}"), pl.col(f"_candidate_rank_{position}")))

    band_rank = pl.lit(RANK["normal"])
    band_rule = pl.lit(rules.bands[0].rule)
    for band in rules.bands:
        inside = pl.col("dpd") >= band.start
        if band.end is not None:
            inside = inside & (pl.col("dpd") < band.end)
        band_rank = pl.when(inside).then(pl.lit(RANK[band.klass])).otherwise(band_rank)
        band_rule = pl.when(inside).then(pl.lit(band.rule)).otherwise(band_rule)
    frame = frame.with_columns(band_rank.alias("_band_rank"), band_rule.alias("_band_rule"))

    findings: list[pl.Expr] = []
    if collateral is not None and (rules.shortfall or rules.value_fall or rules.stale_after_days):
        frame = frame.join(collateral, on="contract_no", how="left")
        if rules.shortfall:
            short = rules.shortfall
            below = pl.col("disposal_value_fen") * _PPM < pl.col("claim_balance_fen") * _ppm(
                short.below_share_of_claim
            )
            candidate(*(short.rule, live & below.fill_null(False), pl.lit(RANK[short.klass])))
        if rules.value_fall:
            fall = rules.value_fall
            fell = (pl.col("previous_disposal_value_fen") - pl.col("disposal_value_fen")) * _PPM >= pl.col(
                "previous_disposal_value_fen"
            ) * _ppm(fall.fall_share)
            candidate(*(fall.rule, live & fell.fill_null(False), pl.lit(RANK[fall.klass])))

    worst_without_contagion = pl.max_horizontal(
        pl.col("_band_rank"), *(pl.when(applies).then(rank).otherwise(0) for _, applies, rank in candidates)
    )
    frame = frame.with_columns(worst_without_contagion.alias("_rank"))
    if rules.contagion and lessee_types is not None:
        spread = rules.contagion
        frame = frame.join(lessee_types, on="contract_no", how="left")
        npl = pl.col("_rank") >= RANK["substandard"]
        claim = pl.when(live).then(pl.col("claim_balance_fen")).otherwise(0)
        # Art. 13 counts the lessee's claims at the same institution (在本行): another member's book never
        # decides this lessor's class.
        own_book = ("lessor", "lessee_id")
        share_npl = (pl.when(npl).then(claim).otherwise(0).sum().over(own_book)) * _PPM > claim.sum().over(
            own_book
        ) * _ppm(spread.above_share)
        applies = live & (pl.col("lessee_type") != "individual") & share_npl
        candidate(*(spread.rule, applies, pl.lit(RANK[spread.klass])))

    if rules.arrears_elsewhere and rules.arrears_elsewhere.lessors:
        signal = rules.arrears_elsewhere
        in_arrears = live & (pl.col("dpd") > 0)
        # Lessors at which the lessee is in arrears: two or more, or one that is not this lessor.
        first = pl.when(in_arrears).then(pl.col("lessor")).min().over("lessee_id")
        last = pl.when(in_arrears).then(pl.col("lessor")).max().over("lessee_id")
        elsewhere = (first != last) | (first != pl.col("lessor"))
        switched_on = pl.col("lessor").is_in(sorted(signal.lessors))
        candidate(*(signal.rule, live & switched_on & elsewhere.fill_null(False), pl.lit(RANK[signal.klass])))

    if rules.restructuring and restructured is not None:
        observation = rules.restructuring
        frame = frame.join(restructured, on="contract_no", how="left")
        months = pl.max_horizontal(
            pl.lit(observation.observation_min_periods) * 12 // pl.col("periods_per_year"),
            pl.lit(observation.observation_min_months),
        )
        ends = _add_months(observation_start(), months)
        observed = (pl.col("restructured_date") <= pl.col("as_of")) & (pl.col("as_of") < ends)
        # Computed once: the candidates' expressions are read by several of the ones below.
        frame = frame.with_columns(observed.fill_null(False).alias("_observed"))
        # A non-performing contract is not upgraded while it is observed.
        held = pl.max_horizontal(pl.lit(RANK[observation.klass]), previous_rank.fill_null(0))
        candidate(*(observation.rule, live & pl.col("_observed"), held))

    if rules.upgrade and previous is not None:
        hold = rules.upgrade
        months_on_time = pl.col("on_time_streak") * 12 // pl.col("periods_per_year")
        # 按两者孰长: both the periods and the months, whichever takes longer.
        earned = (
            (pl.col("overdue_amount_fen") == 0)
            & (pl.col("on_time_streak") >= hold.min_on_time_periods)
            & (months_on_time >= hold.min_on_time_months)
        )
        if hold.no_other_npl_at_lessor:
            # The lessee's other claims at this lessor, classed by every rule but this hold (so two cured
            # contracts of one lessee do not keep each other down).
            before_hold = pl.max_horizontal(
                pl.col("_band_rank"), *(pl.when(a).then(r).otherwise(-1) for _, a, r in candidates)
            )
            npl_now = (live & (before_hold >= RANK["substandard"])).cast(pl.Int64)
            others = npl_now.sum().over("lessor", "lessee_id") - npl_now
            earned = earned & (others == 0)
        was_npl = pl.col("from_class").is_in(sorted(NON_PERFORMING)).fill_null(False)
        candidate(*(hold.rule, live & was_npl & ~earned, pl.lit(RANK["substandard"])))

    ranks = [pl.col("_band_rank"), *(pl.when(a).then(r).otherwise(-1) for _, a, r in candidates)]
    frame = frame.with_columns(pl.max_horizontal(*ranks).alias("_worst"))
    worst = pl.col("_worst")
    if collateral is not None and rules.stale_after_days:
        # Leased assets are revalued at least every stale_after_days, more often when high risk.
        limit = pl.lit(rules.stale_after_days)
        if rules.stale_after_days_high_risk:
            limit = (
                pl.when(worst >= RANK[rules.high_risk_from_class])
                .then(pl.lit(rules.stale_after_days_high_risk))
                .otherwise(limit)
            )
        age = (pl.col("as_of") - pl.col("valued_on")).dt.total_days()
        findings.append(
            pl.when(live & pl.col("valued_on").is_null())
            .then(pl.lit(VALUATION_MISSING))
            .when(live & (age > limit))
            .then(pl.format(VALUATION_STALE + " age={} limit={}", age, limit))
        )
    deciding = pl.col("_band_rule")
    # The first rule (in the rule set's order) that gives the worst class decides.
    for rule, applies, rank in reversed(candidates):
        deciding = (
            pl.when(applies & (rank == worst) & (pl.col("_band_rank") < worst))
            .then(pl.lit(rule))
            .otherwise(deciding)
        )
    reasons = pl.concat_list(
        pl.when(pl.col("_band_rank") > 0)
        .then(pl.format("{} dpd={}", pl.col("_band_rule"), pl.col("dpd")))
        .otherwise(None),
        *(pl.when(applies).then(pl.lit(rule)).otherwise(None) for rule, applies, _ in candidates),
        *findings,
    ).list.drop_nulls()
    frame = frame.with_columns(
        pl.when(live).then(worst).otherwise(RANK["normal"]).alias("_rank"),
        pl.when(live).then(deciding).otherwise(pl.lit("not live")).alias("deciding_rule"),
        reasons.list.join("; ").alias("reasons"),
    )
    names = pl.col("_rank").replace_strict(list(RANK.values()), list(RANK.keys()), return_dtype=pl.String)
    rate = pl.col("_rank").replace_strict(
        list(RANK.values()), [_ppm(rules.provision_rates[c]) for c in CLASSES], return_dtype=pl.Int64
    )
    provision = (pl.col("claim_balance_fen") * rate + _PPM // 2) // _PPM
    if rules.shortfall and rules.shortfall.full_provision and "disposal_value_fen" in frame.columns:
        full = (
            pl.col("claim_balance_fen")
            if rules.shortfall.full_provision == "whole_claim"
            else pl.max_horizontal(pl.col("claim_balance_fen") - pl.col("disposal_value_fen"), pl.lit(0))
        )
        fired = next(applies for rule, applies, _ in candidates if rule == rules.shortfall.rule)
        provision = pl.when(fired).then(pl.max_horizontal(provision, full)).otherwise(provision)
    return frame.with_columns(
        names.alias("class"), pl.when(live).then(provision).otherwise(0).alias("provision_fen")
    ).select(CLASSIFIED_COLUMNS)


def non_performing(frame: pl.DataFrame) -> pl.Series:
    return frame["class"].is_in(list(NON_PERFORMING))
