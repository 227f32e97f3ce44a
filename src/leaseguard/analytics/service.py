"""`compute_analytics`: month-end positions through the vintage and roll-rate trackers, stored classes into
migration and NPL tables. Sources are plain functions of a date, so the store, A's positions engine or a
test's hand-built frames can feed it alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from leaseguard.analytics.calendar import month_ends, previous_month_end
from leaseguard.analytics.classes import class_migration, migration_matrix, npl_ratios
from leaseguard.analytics.report import NO_CLASSES_BEFORE, NO_CLASSES_TODAY, AnalyticsTables
from leaseguard.analytics.roll_rates import RollRateTracker, roll_rate_matrix
from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.analytics.summary import book_summary
from leaseguard.analytics.vintage import VintageTracker
from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label, Reason

PositionsAt = Callable[[dt.date], pl.DataFrame]  # positions (the shared schema) of every contract on a date
ClassesAt = Callable[[dt.date], pl.DataFrame | None]  # contract_no, class on a date; None when not stored
Progress = Callable[[str, int, int], None]  # (stage: a code of STAGES, done, total)

# The stages a long run reports, as codes; a progress bar shows their words.
MONTH_END_POSITIONS = "month_end_positions"
STAGES = {MONTH_END_POSITIONS: Label("逐月末计算头寸", "positions by month-end")}

POSITION_COLUMNS = ("contract_no", "as_of", "status", "dpd", "outstanding_principal_fen", "claim_balance_fen")


def compute_analytics(
    as_of: dt.date,
    contracts: pl.DataFrame,
    positions_at: PositionsAt,
    classes_at: ClassesAt,
    rules: AnalyticsRules,
    *,
    history_from: dt.date | None = None,
    compare_with: dt.date | None = None,
    cohort: str | None = None,
    progress: Progress | None = None,
) -> AnalyticsTables:
    """`contracts`: one row per contract with contract_no, start_date, principal_fen and the NPL dimension
    columns. History runs by month-end from `history_from` (default: the earliest start date) to `as_of`;
    migration compares the classes at `compare_with` (default: the previous month-end) with those at as_of."""
    compare_with = compare_with or previous_month_end(as_of)
    if compare_with >= as_of:
        raise InvalidInputError(
            Label(
                "分类迁移的对比日期 {compare_with} 不早于 as_of {as_of}",
                "the migration's earlier date {compare_with} is not before as_of {as_of}",
            ),
            compare_with=compare_with,
            as_of=as_of,
        )
    first = history_from or contracts["start_date"].min()
    if not isinstance(first, dt.date):
        first = as_of
    dates = month_ends(min(first, as_of), as_of)
    vintage = VintageTracker(rules.vintage.dpd_thresholds)
    rolls = RollRateTracker(rules)
    kept: dict[dt.date, pl.DataFrame] = {}
    for step, day in enumerate(dates):
        if progress:
            progress(MONTH_END_POSITIONS, step, len(dates))
        positions = positions_at(day).select(POSITION_COLUMNS)
        vintage.add(positions)
        rolls.add(positions)
        if day in (as_of, compare_with):
            kept[day] = positions
    if progress:
        progress(MONTH_END_POSITIONS, len(dates), len(dates))
    if compare_with not in kept:
        kept[compare_with] = positions_at(compare_with).select(POSITION_COLUMNS)
    transitions = rolls.transitions()
    result = AnalyticsTables(
        as_of=as_of,
        vintage=vintage.curves(contracts, cohort or rules.vintage.cohort),
        roll_transitions=transitions,
        roll_matrix=roll_rate_matrix(transitions, rules, rules.roll_rates.months),
    )
    classes_now = classes_at(as_of)
    if classes_now is None:
        result.notes.append(Reason(NO_CLASSES_TODAY, {"day": as_of}))
        return result
    balances = kept[as_of].select("contract_no", "claim_balance_fen")
    provisions = ["provision_fen"] if "provision_fen" in classes_now.columns else []
    book = (
        classes_now.select("contract_no", "class", *provisions)
        .join(balances, on="contract_no", how="left")
        .with_columns(pl.col("claim_balance_fen").fill_null(0))
        .join(contracts.select("contract_no", *rules.npl_dimensions), on="contract_no", how="left")
    )
    result.npl = npl_ratios(book, rules)
    top = rules.summary.top_movers
    result.summary = book_summary(as_of, book, rules.npl_classes, top_movers=top)
    classes_before = classes_at(compare_with)
    if classes_before is None:
        result.notes.append(Reason(NO_CLASSES_BEFORE, {"day": compare_with}))
        return result
    result.summary = book_summary(
        as_of, book, rules.npl_classes, earlier=classes_before, compared_with=compare_with, top_movers=top
    )
    earlier = classes_before.select("contract_no", "class").join(
        kept[compare_with].select("contract_no", "claim_balance_fen"), on="contract_no", how="left"
    )
    result.migration = class_migration(earlier, classes_now, rules)
    result.migration_matrix = migration_matrix(result.migration)
    result.migration_from = compare_with
    return result
