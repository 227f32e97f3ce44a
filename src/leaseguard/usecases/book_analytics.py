"""Portfolio analytics as a job: vintage curves, roll rates, class migration, NPL ratios and the summary that
opens them, for the whole store or one lessor. `leaseguard book analytics` and (soon) the console's
/analytics page end here.

A lessor's analytics count its own book only: its contracts, their positions and their stored classes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.vocabulary import DEFAULT_LANG, Lang

if TYPE_CHECKING:
    import polars as pl

    from leaseguard.analytics.report import AnalyticsTables, WrittenReport
    from leaseguard.analytics.rules import AnalyticsRules
    from leaseguard.workspace import Workspace

Progress = Callable[[str, int, int], None]
COHORTS = ("month", "quarter")


def check_cohort(cohort: str | None) -> None:
    """Vintage cohorts are by month or by quarter; else InvalidInputError."""
    if cohort is not None and cohort not in COHORTS:
        raise InvalidInputError(f"--cohort {cohort!r}: use month or quarter")


def portfolio_analytics(
    workspace: Workspace,
    as_of: dt.date,
    *,
    lessor: str | None = None,
    history_from: dt.date | None = None,
    compare_with: dt.date | None = None,
    cohort: str | None = None,
    rules: AnalyticsRules | None = None,
    progress: Progress | None = None,
) -> AnalyticsTables:
    """The analytics of `as_of` under `rules` (default: the shipped ones) and the workspace's `book:`
    settings. NotFoundError when the store (or the lessor) has no contract; InvalidInputError for bad dates."""
    import polars as pl

    from leaseguard.analytics import book_data
    from leaseguard.analytics.dimensions import with_dimensions
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.analytics.service import compute_analytics
    from leaseguard.portfolio.allocation import Allocation

    check_cohort(cohort)
    rules = rules or load_analytics_rules()
    allocation = Allocation.from_settings(workspace.setting("book", default={}))
    engine = workspace.engine()
    try:
        contracts = with_dimensions(book_data.read_contracts(engine), rules.provinces)
        positions_at = book_data.positions_source(engine, allocation)
        classes_at = book_data.classes_source(engine)
        if lessor is not None:
            contracts = contracts.filter(pl.col("lessor") == lessor)
            if contracts.is_empty():
                raise NotFoundError(f"--lessor {lessor}: the store holds no contract of that lessor")
            positions_at, classes_at = _only(contracts, positions_at), _only(contracts, classes_at)
        if contracts.is_empty():
            raise NotFoundError("the store holds no contracts")
        try:
            return compute_analytics(
                as_of, contracts, positions_at, classes_at, rules, history_from=history_from,
                compare_with=compare_with, cohort=cohort, progress=progress,
            )  # fmt: skip
        except InvalidInputError:
            raise  # said in both languages already
        except ValueError as error:
            raise InvalidInputError(str(error)) from None
    finally:
        engine.dispose()


def _only(contracts: pl.DataFrame, source: Callable[[dt.date], Any]) -> Callable[[dt.date], Any]:
    """`source` restricted to the rows of `contracts`: a lessor's analytics never count another's book."""
    own = contracts.select("contract_no")

    def restricted(day: dt.date) -> Any:
        frame = source(day)
        return None if frame is None else frame.join(own, on="contract_no", how="semi")

    return restricted


def write_analytics(
    result: AnalyticsTables, rules: AnalyticsRules, out: Path, lang: Lang = DEFAULT_LANG
) -> WrittenReport:
    """The tables (CSV, one XLSX), charts (PNG) and report.html, headed and labelled in `lang`."""
    from leaseguard.analytics.report import write_report

    return write_report(result, rules, out, lang)
