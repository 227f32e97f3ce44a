"""Portfolio analytics as a job: vintage curves, roll rates, class migration, NPL ratios and the summary that
opens them, for the whole store or one lessor. `leaseguard book analytics` (through a workspace) and the
console's /analytics page (through the served store, `analytics_of_store`) end here.

A lessor's analytics count its own book only: its contracts, their positions and their stored classes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from leaseguard.analytics.report import AnalyticsTables, WrittenReport
    from leaseguard.analytics.rules import AnalyticsRules
    from leaseguard.portfolio.allocation import Allocation
    from leaseguard.workspace import Workspace

Progress = Callable[[str, int, int], None]
COHORTS = ("month", "quarter")
NO_CONTRACT_OF_LESSOR = Label(
    "--lessor {lessor}：库中没有该出租人的合同",
    "--lessor {lessor}: the store holds no contract of that lessor",
)


def check_cohort(cohort: str | None) -> None:
    """Vintage cohorts are by month or by quarter; else InvalidInputError."""
    if cohort is not None and cohort not in COHORTS:
        raise InvalidInputError(
            Label("--cohort {cohort!r}：请用 month 或 quarter", "--cohort {cohort!r}: use month or quarter"),
            cohort=cohort,
        )


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
    from leaseguard.portfolio.allocation import Allocation

    engine = workspace.engine()
    try:
        return analytics_of_store(
            engine, as_of, allocation=Allocation.from_settings(workspace.setting("book", default={})),
            lessor=lessor, history_from=history_from, compare_with=compare_with, cohort=cohort, rules=rules,
            progress=progress,
        )  # fmt: skip
    finally:
        engine.dispose()


def analytics_of_store(
    engine: Engine,
    as_of: dt.date,
    *,
    allocation: Allocation,
    lessor: str | None = None,
    history_from: dt.date | None = None,
    compare_with: dt.date | None = None,
    cohort: str | None = None,
    rules: AnalyticsRules | None = None,
    progress: Progress | None = None,
) -> AnalyticsTables:
    """`portfolio_analytics` over a store's `engine` (left open) with the book's payment `allocation`: what a
    server that holds an engine and the workspace's book settings calls."""

    from leaseguard.analytics import book_data
    from leaseguard.analytics.dimensions import with_dimensions
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.analytics.service import compute_analytics

    check_cohort(cohort)
    rules = rules or load_analytics_rules()
    # A lessor's analytics read its own rows only (its contracts, payments, schedule lines and stored classes,
    # each by the lessor in the WHERE clause): the other lessors' book is neither read nor built.
    contracts = with_dimensions(book_data.read_contracts(engine, lessor=lessor), rules.province_names())
    positions_at = book_data.positions_source(engine, allocation, lessor=lessor)
    classes_at = book_data.classes_source(engine, lessor=lessor)
    if lessor is not None:
        if contracts.is_empty():
            raise NotFoundError(NO_CONTRACT_OF_LESSOR, lessor=lessor)
        positions_at, classes_at = _only(contracts, positions_at), _only(contracts, classes_at)
    if contracts.is_empty():
        raise NotFoundError(Label("库中没有合同", "the store holds no contracts"))
    try:
        return compute_analytics(
            as_of, contracts, positions_at, classes_at, rules, history_from=history_from,
            compare_with=compare_with, cohort=cohort, progress=progress,
        )  # fmt: skip
    except InvalidInputError:
        raise  # said in both languages already
    except ValueError as error:
        raise InvalidInputError(str(error)) from None


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
