"""Early warning as a job: the day's call list of a lessor's live contracts, scored, signalled and tiered.
`leaseguard book warn` and the console's /collections page (usecases.collections) end here.

A lessor's list depends on its own book only: the other members' contracts are read for the one signal a
lessor may switch on (arrears elsewhere, a flag without the other member or its amounts) and for nothing
else (warning/signals.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.sheets import write_csv
from leaseguard.vocabulary import (
    CLASS_LABELS,
    CLASS_LABELS_EN,
    DEFAULT_LANG,
    SIGNAL_LABELS,
    SIGNAL_LABELS_EN,
    Label,
    Lang,
    label_of,
)

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from leaseguard.portfolio.allocation import Allocation
    from leaseguard.workspace import Workspace

Progress = Callable[[str, int, int], None]


class NoSuchLessorError(NotFoundError):
    """The store holds no contract of the lessor asked for."""


NO_CONTRACT_OF_LESSOR = Label(
    "--lessor {lessor}：库中没有该出租人的合同",
    "--lessor {lessor}: the store holds no contract of that lessor",
)


@dataclass(frozen=True)
class CallList:
    """The call list of `as_of`, worst tier and highest score first (the columns of WARNING_COLUMNS and one
    boolean per signal), with its tier labels as the rule file names them."""

    as_of: dt.date
    frame: pl.DataFrame
    tier_labels: dict[str, str]

    def tier_counts(self) -> list[tuple[str, int]]:
        """Each tier and how many contracts it holds, in call order."""
        import polars as pl

        tiers = self.frame.group_by("tier").agg(pl.len(), pl.col("call_order").min()).sort("call_order")
        return [(tier, count) for tier, count, _ in tiers.iter_rows()]


def call_list(
    workspace: Workspace,
    as_of: dt.date,
    *,
    lessor: str | None = None,
    compare_with: dt.date | None = None,
    model_file: Path | None = None,
    rules_file: Path | None = None,
    progress: Progress | None = None,
) -> CallList:
    """Score every live contract on `as_of` (of `lessor` only, when given), raise its signals and tier it,
    under the workspace's `book:` settings and the warning model and rules given (default: the shipped ones).
    A bad rule file, setting or date is an InvalidInputError; an unknown lessor NoSuchLessorError."""
    from leaseguard.portfolio.allocation import Allocation

    allocation = Allocation.from_settings(workspace.setting("book", default={}))
    engine = workspace.engine()
    try:
        return call_list_of(
            engine, as_of, allocation=allocation, lessor=lessor, compare_with=compare_with,
            model_file=model_file, rules_file=rules_file, progress=progress,
        )  # fmt: skip
    finally:
        engine.dispose()


def call_list_of(
    engine: Engine,
    as_of: dt.date,
    *,
    allocation: Allocation | None = None,
    lessor: str | None = None,
    compare_with: dt.date | None = None,
    model_file: Path | None = None,
    rules_file: Path | None = None,
    progress: Progress | None = None,
) -> CallList:
    """`call_list` on the store of `engine` (a server's own engine: the console's /collections), with the book's
    payment `allocation` (default: the shipped book settings)."""
    import polars as pl

    from leaseguard.analytics import book_data
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.tenancy.service import lessor_names
    from leaseguard.usecases.tracking_alerts import tracking_signals_at
    from leaseguard.warning.model import load_model
    from leaseguard.warning.rules import load_warning_rules
    from leaseguard.warning.service import compute_warnings

    model = load_model(model_file)
    rules = load_warning_rules(rules_file)
    with engine.connect() as connection:
        names = lessor_names(connection)
    contracts = book_data.read_contracts(engine)
    if lessor is not None and lessor not in set(contracts["lessor"].to_list()):
        raise NoSuchLessorError(NO_CONTRACT_OF_LESSOR, lessor=lessor)
    with engine.connect() as connection:
        tracking = tracking_signals_at(connection, as_of, lessor)
    try:
        warnings = compute_warnings(
            as_of, contracts, book_data.positions_source(engine, allocation), book_data.read_valuations(engine),
            model, rules, load_analytics_rules(), compare_with=compare_with, lessor=lessor,
            classes=book_data.latest_classes(engine, as_of), tracking=tracking, progress=progress,
        )  # fmt: skip
    except InvalidInputError:
        raise  # said in both languages already
    except ValueError as error:
        raise InvalidInputError(str(error)) from None
    warnings = warnings.with_columns(
        pl.col("lessor").replace_strict(names, default="", return_dtype=pl.String).alias("lessor_name")
    )
    return CallList(as_of, warnings, rules.tier_labels)


def signals_in_words(signals: str, lang: Lang = DEFAULT_LANG) -> str:
    """A call list's `signals` cell (codes joined by ';') in words."""
    names = [name for name in signals.split(";") if name]
    return ("、" if lang == "zh" else "; ").join(
        label_of(SIGNAL_LABELS, SIGNAL_LABELS_EN, n, lang) for n in names
    )


def check_call_list_path(out: Path) -> None:
    """The call list is a .csv file; else InvalidInputError."""
    if out.suffix.lower() != ".csv":
        raise InvalidInputError(
            Label(
                "--out {out}：请写 .csv 文件名（文件即其名称所示）",
                "--out {out}: name a .csv file (the file is what its name says)",
            ),
            out=out,
        )


def write_call_list(calls: CallList, out: Path, lang: Lang = DEFAULT_LANG) -> int:
    """The call list as CSV for people (UTF-8 with BOM): the contract's columns as named (money in yuan), then
    signals_text and class_label in `lang`, and the lessor's legal name. The number of rows."""
    import polars as pl

    from leaseguard.money import yuan_column
    from leaseguard.warning.service import WARNING_COLUMNS

    check_call_list_path(out)
    classes = CLASS_LABELS if lang == "zh" else CLASS_LABELS_EN
    distinct = calls.frame["signals"].unique().drop_nulls().to_list()
    written = calls.frame.select(*WARNING_COLUMNS, "lessor_name").with_columns(
        yuan_column(pl.col("overdue_amount_fen")).alias("overdue_amount_fen"),
        yuan_column(pl.col("outstanding_principal_fen")).alias("outstanding_principal_fen"),
        pl.col("tier_label") if lang == "zh" else pl.col("tier").alias("tier_label"),
        pl.col("signals")
        .replace_strict(
            {s: signals_in_words(s, lang) for s in distinct}, default=None, return_dtype=pl.String
        )
        .alias("signals_text"),
        pl.col("class")
        .replace_strict(classes, default=pl.col("class"), return_dtype=pl.String)
        .alias("class_label"),
    )
    written = written.rename(
        {"overdue_amount_fen": "overdue_amount", "outstanding_principal_fen": "outstanding_principal"}
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(written, out, date_format="%Y-%m-%d")
    return written.height
