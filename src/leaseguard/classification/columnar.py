"""The five-category classification and provisions of every contract on a day: one Ibis expression, the only
implementation of the rules, run by DuckDB in process (`classify.classify`, the daily run) and by Spark when a
book outgrows one machine (`leaseguard[spark]`), from the same tables on either backend.

The class is the worst of every rule that applies; the result names the rule that decided it (the first in
the rule set's order among those giving the worst class: DPD band, collateral shortfall, asset value fall,
lessee contagion, arrears at another member, restructuring observation, upgrade conditions) and lists, as
codes (`reasons`), every rule that applied and every finding about the leased asset's valuation.

Money stays in integers. Ibis compiles `//` to FLOOR(a / b), a division in double precision on DuckDB and on
Spark alike, which is wrong by one fen once the dividend passes 2**53; the provision's division by a million
is therefore done as an exact decimal multiplication (`_per_million`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from leaseguard.classification.classify import _PPM, CLASSIFIED_COLUMNS, RANK, _ppm
from leaseguard.classification.reasons import VALUATION_MISSING, VALUATION_STALE
from leaseguard.classification.rules import RuleSet
from leaseguard.vocabulary import CLASSES, NON_PERFORMING

_LIVE_STATUSES = ("active", "matured_unpaid")
# Wide enough for any int64 with six decimals; DuckDB and Spark multiply two of these exactly.
_EXACT = "decimal(26,6)"


def _per_million(amount: ir.IntegerValue) -> ir.IntegerValue:
    """floor(amount / 1,000,000), exactly, for any int64 (see the module's note on `//`)."""
    millionth = ibis.literal(Decimal("0.000001"), type=_EXACT)
    return (amount.cast(_EXACT) * millionth).floor().cast("int64")


def _small_floor_div(left: ir.IntegerValue, right: ir.IntegerValue) -> ir.IntegerValue:
    # Only for small counts (periods, months): a double holds their quotient exactly enough to floor it.
    return (left // right).cast("int64")


def _days_in_month(year: ir.IntegerValue, month: ir.IntegerValue) -> ir.IntegerValue:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return ibis.cases(
        (month == 2, ibis.ifelse(leap, 29, 28)),
        (month.isin([4, 6, 9, 11]), 30),
        else_=31,
    )


def _before_months_after(day: ir.DateValue, start: ir.DateValue, months: ir.IntegerValue) -> ir.BooleanValue:
    """day < start + `months` calendar months (clamped to the end of a shorter month, as Polars' offset_by
    does), in integer arithmetic: interval arithmetic compiles differently on each backend."""
    elapsed = (day.year() * 12 + day.month()) - (start.year() * 12 + start.month())
    last_day = day.day() == _days_in_month(day.year(), day.month())
    return (elapsed < months) | ((elapsed == months) & (day.day() < start.day()) & ~last_day)


def _month_day(index: ir.IntegerValue, day: ir.IntegerValue) -> ir.DateValue:
    """The date of month `index` (year * 12 + month - 1) on `day`, clamped to the end of a shorter month."""
    year, month = index // 12, index % 12 + 1
    return ibis.date(year, month, ibis.least(day.cast("int64"), _days_in_month(year, month)))


def _with_observation_start(t: ir.Table) -> ir.Table:
    """`t` with `_observation_start`: where a restructured contract's observation period starts — the first
    repayment date after the restructuring, or, when an instalment was missed since then, the repayment date
    after the missed one (a miss restarts the observation). Due dates are stepped back whole periods from the
    next due date; a contract with nothing left to fall due is observed from the restructuring itself.

    Computed in steps, each a column: written as one expression, every step is repeated inside the next in
    the SQL (220 kB of it), and DuckDB took seconds over a million rows to evaluate it."""
    next_due, restructured = t.next_due_date, t.restructured_date
    t = t.mutate(
        _months_per_period=_small_floor_div(ibis.literal(12, type="int64"), t.periods_per_year.cast("int64")),
        _due_index=next_due.year().cast("int64") * 12 + (next_due.month().cast("int64") - 1),
        # Stepping back to the restructuring's month lands on the due day, clamped to that month's end.
        _months_back=(
            (next_due.year() * 12 + next_due.month()) - (restructured.year() * 12 + restructured.month())
        ).cast("int64")
        - ibis.ifelse(
            ibis.least(next_due.day(), _days_in_month(restructured.year(), restructured.month()))
            > restructured.day(),
            0,
            1,
        ),
    )
    t = t.mutate(
        _first_after_index=t._due_index
        - _small_floor_div(t._months_back, t._months_per_period) * t._months_per_period,
        _after_miss_index=t._due_index - t.on_time_streak.cast("int64") * t._months_per_period,
    )
    t = t.mutate(
        _first_after=_month_day(t._first_after_index, next_due.day()),
        _after_miss=_month_day(t._after_miss_index, next_due.day()),
    )
    return t.mutate(
        _observation_start=ibis.ifelse(
            next_due.isnull(), restructured, ibis.greatest(t._first_after, t._after_miss)
        )
    )


def collateral_expr(valuations: ir.Table, as_of: dt.date | ir.DateScalar) -> ir.Table:
    """Per contract, from appraisals on or before `as_of`: the latest disposal value of its assets (summed),
    the one before it where every asset has one, and the date of the oldest latest appraisal.

    `valuations`: contract_no, asset_id, valuation_date, disposal_value_fen. `as_of` a date, or a date scalar
    of the expression's inputs (one expression, compiled once, then serves every day)."""
    day = ibis.literal(as_of, type="date") if isinstance(as_of, dt.date) else as_of
    known = valuations.filter(valuations.valuation_date <= day)
    newest_first = ibis.window(group_by=["contract_no", "asset_id"], order_by=ibis.desc("valuation_date"))
    ranked = known.mutate(_nth=ibis.row_number().over(newest_first))
    per_asset = ranked.group_by("contract_no", "asset_id").aggregate(
        latest=lambda t: t.disposal_value_fen.max(where=t._nth == 0),
        previous=lambda t: t.disposal_value_fen.max(where=t._nth == 1),
        valued_on=lambda t: t.valuation_date.max(),
    )
    return per_asset.group_by("contract_no").aggregate(
        disposal_value_fen=lambda t: t.latest.sum().cast("int64"),
        previous_disposal_value_fen=lambda t: ibis.ifelse(
            t.previous.count() == t.count(), t.previous.sum(), ibis.null("int64")
        ).cast("int64"),
        valued_on=lambda t: t.valued_on.min(),
    )


def _greatest(first: ir.Value, *others: ir.Value) -> ir.Value:
    # Spark refuses GREATEST with a single argument.
    return ibis.greatest(first, *others) if others else first


def _left_join(frame: ir.Table, other: ir.Table, columns: tuple[str, ...]) -> ir.Table:
    right = other.select(_key=other.contract_no, **{c: other[c] for c in columns})
    joined = frame.left_join(right, frame.contract_no == right._key)
    return joined.select(*frame.columns, *columns)


def _name_of(rank: ir.IntegerValue, values: dict[int, str | int], dtype: str) -> ir.Value:
    return ibis.cases(*((rank == r, ibis.literal(v, type=dtype)) for r, v in values.items()),
                      else_=ibis.null(dtype))  # fmt: skip


def classify_expr(
    positions: ir.Table,
    rules: RuleSet,
    *,
    lessee_types: ir.Table | None = None,
    collateral: ir.Table | None = None,
    previous: ir.Table | None = None,
    restructured: ir.Table | None = None,
    carry: tuple[str, ...] = (),
) -> ir.Table:
    """CLASSIFIED_COLUMNS for every row of `positions` (the book engine's columns), then the columns of
    `positions` named in `carry`, unchanged (a row number to restore the input's order, say).

    `lessee_types`: contract_no, lessee_type (for contagion, which applies to non-retail lessees);
    `collateral`: `collateral_expr`'s columns (for the collateral rules); `previous`: contract_no, from_class
    of the latest earlier run (for the upgrade conditions and the restructuring hold); `restructured`:
    contract_no, restructured_date (for the restructuring observation)."""
    t = positions.mutate(dpd=positions.dpd.cast("int64"))
    no_previous = t.mutate(from_class=ibis.null("string"))
    t = no_previous if previous is None else _left_join(t, previous, ("from_class",))
    previous_rank = ibis.cases(*((t.from_class == name, rank) for name, rank in RANK.items()),
                               else_=ibis.null("int64"))  # fmt: skip
    t = t.mutate(
        _live=t.status.isin(_LIVE_STATUSES) & (t.claim_balance_fen > 0), _previous_rank=previous_rank
    )

    # The last band that holds the DPD gives its class and rule (bands do not overlap).
    inside = []
    for band in reversed(rules.bands):
        holds = t.dpd >= band.start
        if band.end is not None:
            holds = holds & (t.dpd < band.end)
        inside.append((band, holds))
    t = t.mutate(
        _band_rank=ibis.cases(*((h, RANK[b.klass]) for b, h in inside), else_=RANK["normal"]),
        _band_rule=ibis.cases(*((h, b.rule) for b, h in inside), else_=rules.bands[0].rule),
    )

    # Each candidate rule becomes a boolean column `_applies_<n>` and an integer column `_rank_<n>`.
    candidates: list[str] = []

    def add(frame: ir.Table, rule: str, applies: ir.BooleanValue, rank: ir.IntegerValue) -> ir.Table:
        n = len(candidates)
        candidates.append(rule)
        return frame.mutate(**{f"_applies_{n}": applies, f"_rank_{n}": rank.cast("int64")})

    collateral_joined = collateral is not None and bool(
        rules.shortfall or rules.value_fall or rules.stale_after_days
    )
    if collateral is not None and collateral_joined:
        t = _left_join(t, collateral, ("disposal_value_fen", "previous_disposal_value_fen", "valued_on"))
        if rules.shortfall:
            short = rules.shortfall
            below = t.disposal_value_fen * _PPM < t.claim_balance_fen * _ppm(short.below_share_of_claim)
            t = add(t, short.rule, t._live & below.fill_null(False), ibis.literal(RANK[short.klass]))
        if rules.value_fall:
            fall = rules.value_fall
            fell = (t.previous_disposal_value_fen - t.disposal_value_fen) * _PPM >= (
                t.previous_disposal_value_fen * _ppm(fall.fall_share)
            )
            t = add(t, fall.rule, t._live & fell.fill_null(False), ibis.literal(RANK[fall.klass]))

    t = t.mutate(
        _rank=_greatest(
            t._band_rank,
            *(ibis.ifelse(t[f"_applies_{n}"], t[f"_rank_{n}"], 0) for n in range(len(candidates))),
        )
    )
    if rules.contagion and lessee_types is not None:
        spread = rules.contagion
        t = _left_join(t, lessee_types, ("lessee_type",))
        claim = ibis.ifelse(t._live, t.claim_balance_fen, 0)
        npl_claim = ibis.ifelse(t._rank >= RANK["substandard"], claim, 0)
        by_lessee = ibis.window(group_by=[t.lessor, t.lessee_id])  # same institution only (Art. 13)
        share_npl = npl_claim.sum().over(by_lessee) * _PPM > claim.sum().over(by_lessee) * _ppm(
            spread.above_share
        )
        applies = t._live & (t.lessee_type != "individual") & share_npl
        t = add(t, spread.rule, applies, ibis.literal(RANK[spread.klass]))

    if rules.arrears_elsewhere and rules.arrears_elsewhere.lessors:
        signal = rules.arrears_elsewhere
        in_arrears = t._live & (t.dpd > 0)
        by_lessee = ibis.window(group_by=t.lessee_id)
        # Lessors at which the lessee is in arrears: two or more, or one that is not this lessor.
        t = t.mutate(
            _first_in_arrears=t.lessor.min(where=in_arrears).over(by_lessee),
            _last_in_arrears=t.lessor.max(where=in_arrears).over(by_lessee),
        )
        elsewhere = (t._first_in_arrears != t._last_in_arrears) | (t._first_in_arrears != t.lessor)
        switched_on = t.lessor.isin(sorted(signal.lessors))
        t = add(
            t,
            signal.rule,
            t._live & switched_on & elsewhere.fill_null(False),
            ibis.literal(RANK[signal.klass]),
        )

    if rules.restructuring and restructured is not None:
        observation = rules.restructuring
        t = _left_join(t, restructured, ("restructured_date",))
        months = ibis.greatest(
            _small_floor_div(ibis.literal(observation.observation_min_periods * 12), t.periods_per_year),
            ibis.literal(observation.observation_min_months),
        )
        t = _with_observation_start(t)
        observed = (t.restructured_date <= t.as_of) & _before_months_after(
            t.as_of, t._observation_start, months
        )
        # A non-performing contract is not upgraded while it is observed.
        held = ibis.greatest(ibis.literal(RANK[observation.klass]), t._previous_rank.fill_null(0))
        t = add(t, observation.rule, t._live & observed.fill_null(False), held)

    if rules.upgrade and previous is not None:
        hold = rules.upgrade
        if hold.no_other_npl_at_lessor:
            # The lessee's other claims at this lessor, classed by every rule but this hold (so two cured
            # contracts of one lessee do not keep each other down).
            before_hold = _greatest(
                t._band_rank,
                *(ibis.ifelse(t[f"_applies_{n}"], t[f"_rank_{n}"], -1) for n in range(len(candidates))),
            )
            t = t.mutate(_npl_now=ibis.ifelse(t._live & (before_hold >= RANK["substandard"]), 1, 0))
            t = t.mutate(
                _other_npl=t._npl_now.sum().over(ibis.window(group_by=[t.lessor, t.lessee_id])) - t._npl_now
            )
        months_on_time = _small_floor_div(t.on_time_streak.cast("int64") * 12, t.periods_per_year)
        # 按两者孰长: both the periods and the months, whichever takes longer.
        earned = (
            (t.overdue_amount_fen == 0)
            & (t.on_time_streak >= hold.min_on_time_periods)
            & (months_on_time >= hold.min_on_time_months)
        )
        if hold.no_other_npl_at_lessor:
            earned = earned & (t._other_npl == 0)
        was_npl = t.from_class.isin(sorted(NON_PERFORMING)).fill_null(False)
        t = add(t, hold.rule, t._live & was_npl & ~earned, ibis.literal(RANK["substandard"]))

    applies = [t[f"_applies_{n}"] for n in range(len(candidates))]
    ranks = [t[f"_rank_{n}"] for n in range(len(candidates))]
    t = t.mutate(
        _worst=_greatest(t._band_rank, *(ibis.ifelse(a, r, -1) for a, r in zip(applies, ranks, strict=True)))
    )
    applies = [t[f"_applies_{n}"] for n in range(len(candidates))]
    ranks = [t[f"_rank_{n}"] for n in range(len(candidates))]
    worst = t._worst

    findings: list[ir.StringValue] = []
    if collateral_joined and rules.stale_after_days:
        # Leased assets are revalued at least every stale_after_days, more often when high risk.
        limit: ir.IntegerValue = ibis.literal(rules.stale_after_days, type="int64")
        if rules.stale_after_days_high_risk:
            limit = ibis.ifelse(
                worst >= RANK[rules.high_risk_from_class],
                ibis.literal(rules.stale_after_days_high_risk, type="int64"),
                limit,
            )
        age = t.as_of.delta(t.valued_on, unit="day").cast("int64")
        findings.append(
            ibis.cases(
                (t._live & t.valued_on.isnull(), ibis.literal(VALUATION_MISSING)),
                (
                    t._live & (age > limit),
                    VALUATION_STALE + " age=" + age.cast("string") + " limit=" + limit.cast("string"),
                ),
                else_=ibis.null("string"),
            )
        )

    # The first rule (in the rule set's order) that gives the worst class decides.
    deciding = ibis.cases(
        *(
            (a & (r == worst) & (t._band_rank < worst), ibis.literal(rule))
            for rule, a, r in zip(candidates, applies, ranks, strict=True)
        ),
        else_=t._band_rule,
    ) if candidates else t._band_rule  # fmt: skip
    band_reason = ibis.ifelse(
        t._band_rank > 0, t._band_rule + " dpd=" + t.dpd.cast("string"), ibis.null("string")
    )
    # CONCAT_WS skips nulls on every backend, as Polars' list.drop_nulls before the join does.
    reasons = ibis.literal("; ").join(
        [
            band_reason,
            *(
                ibis.ifelse(a, ibis.literal(rule), ibis.null("string"))
                for rule, a in zip(candidates, applies, strict=True)
            ),
            *findings,
        ]
    )
    t = t.mutate(
        _final=ibis.ifelse(t._live, worst, RANK["normal"]).cast("int64"),
        deciding_rule=ibis.ifelse(t._live, deciding, ibis.literal("not live")),
        reasons=reasons,
    )
    rate = _name_of(t._final, {RANK[c]: _ppm(rules.provision_rates[c]) for c in CLASSES}, "int64")
    provision = _per_million(t.claim_balance_fen * rate + _PPM // 2)
    if rules.shortfall and rules.shortfall.full_provision and collateral_joined:
        full = (
            t.claim_balance_fen
            if rules.shortfall.full_provision == "whole_claim"
            else ibis.greatest(t.claim_balance_fen - t.disposal_value_fen, 0)
        )
        fired = t[f"_applies_{candidates.index(rules.shortfall.rule)}"]
        provision = ibis.ifelse(fired, ibis.greatest(provision, full), provision)
    t = t.mutate(
        **{"class": _name_of(t._final, {r: c for c, r in RANK.items()}, "string")},
        provision_fen=ibis.ifelse(t._live, provision, 0).cast("int64"),
    )
    return t.select(*CLASSIFIED_COLUMNS, *carry)
