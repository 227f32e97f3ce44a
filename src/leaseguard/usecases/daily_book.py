"""The daily book as jobs: run the day (classes, provisions, changes of class) and read a classified day back
for export. `leaseguard run daily`, `leaseguard book export` and (soon) the console's /book page and its
background jobs end here, so a day is run with the same settings and exported with the same columns.

Settings come from the workspace (`book:` in leaseguard.yaml); a bad setting, a busy store or an unknown rule
set is a LeaseguardError the caller renders (one CLI line, one API problem)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaseguard.errors import InvalidInputError, NotFoundError, StoreFaultError
from leaseguard.sheets import Column, write_csv, write_table
from leaseguard.vocabulary import (
    CLASS_LABELS,
    CLASS_LABELS_EN,
    DEFAULT_CLASSIFICATION_RULES,
    DEFAULT_LANG,
    Label,
    Lang,
)

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from leaseguard.classification.daily import DayResult
    from leaseguard.classification.rules import RuleSet
    from leaseguard.evidence.checkpoint import NoteSigner
    from leaseguard.portfolio.allocation import Allocation
    from leaseguard.tracking.alerts import AlertRules
    from leaseguard.usecases.tracking_alerts import TrackingAlertsRun
    from leaseguard.workspace import Workspace

EXPORT_FORMATS = (".csv", ".xlsx")


@dataclass(frozen=True)
class DailyRun:
    """What a run of one or more days did: the rule set it classified under and each day's figures."""

    rule_set: RuleSet
    days: list[DayResult]
    # The location alerts evaluated up to the end of each day run (none when no asset has a terminal).
    tracking: tuple[TrackingAlertsRun, ...] = ()


@dataclass(frozen=True)
class DailyJob:
    """A daily run with its settings read and checked, ready to run: a bad setting is refused before any
    work starts (and before a progress bar is shown)."""

    workspace: Workspace
    rule_set: RuleSet
    allocation: Allocation
    signer: NoteSigner | None
    tracking_rules: AlertRules | None = None

    def check_lessor(self, lessor: str) -> None:
        """UnknownLessorError unless the store has `lessor`, before any work starts (a run of one lessor)."""
        from leaseguard.tenancy.service import require_lessor

        engine = self.workspace.engine()
        try:
            with engine.connect() as connection:
                require_lessor(connection, lessor)
        finally:
            engine.dispose()

    def run(
        self,
        days: Sequence[dt.date],
        progress: Callable[[int, int], None] | None = None,
        *,
        lessor: str | None = None,
    ) -> DailyRun:
        """Classify and provision every contract on each of `days` (of `lessor`'s book only, when given: its
        own rows of each day replaced, another lessor's untouched), each day one transaction; then evaluate the
        location alerts of the tracked assets (of `lessor`, when given) up to each day's end, so the call list
        of the day sees them."""
        from leaseguard.classification.daily import run_days

        engine = self.workspace.engine()
        try:
            results = run_days(
                engine, days, self.rule_set, progress, self.allocation, self.signer, lessor=lessor
            )
            return DailyRun(self.rule_set, results, self._track(engine, days, lessor))
        finally:
            engine.dispose()

    def _track(
        self, engine: Engine, days: Sequence[dt.date], lessor: str | None
    ) -> tuple[TrackingAlertsRun, ...]:
        from leaseguard.tracking.alert_store import tracked_lessors
        from leaseguard.usecases.tracking_alerts import day_end, evaluate_tracking_alerts

        with engine.connect() as connection:
            tracked = tracked_lessors(connection)
        if not tracked or (lessor is not None and lessor not in tracked):
            return ()
        return tuple(
            evaluate_tracking_alerts(
                engine, day_end(day), lessor, rules=self.tracking_rules, signer=self.signer
            )
            for day in sorted(set(days))
        )


_WORKSPACE_KEY: Any = object()


def daily_job(workspace: Workspace, *, rules: str | None = None, signer: Any = _WORKSPACE_KEY) -> DailyJob:
    """The daily run under `rules` (a shipped rule set's id or a file; default: the workspace's `book.rules`),
    with the workspace's `book:` settings, signing the evidence log's records with the workspace's key — or with
    `signer` when given (the serving app's key; None: a workspace without keys, nothing signed)."""
    from leaseguard.classification.rules import load_rule_set
    from leaseguard.evidence import log_settings
    from leaseguard.portfolio.allocation import Allocation
    from leaseguard.usecases.tracking_alerts import workspace_alert_rules

    rule_set = load_rule_set(
        rules or str(workspace.setting("book", "rules", default=DEFAULT_CLASSIFICATION_RULES))
    )
    allocation = Allocation.from_settings(workspace.setting("book", default={}))
    if signer is _WORKSPACE_KEY:
        signer = log_settings(workspace).signer
    return DailyJob(workspace, rule_set, allocation, signer, workspace_alert_rules(workspace))


@dataclass(frozen=True)
class BookDay:
    """A classified day as the export shows it, and how many contracts' stored overdue amount differs from
    the book now (payments or settings changed since the run: the day wants running again)."""

    as_of: dt.date
    frame: pl.DataFrame
    moved_since_run: int


class DayNotRunError(NotFoundError):
    """No daily run is stored for the day asked."""


NO_DAILY_RUN = Label(
    "库中没有 {day} 的日终批处理：请先运行 `leaseguard run daily --as-of {day}`",
    "no daily run is stored for {day}: run `leaseguard run daily --as-of {day}` first",
)


def book_day(workspace: Workspace, day: dt.date, *, lessor: str | None = None) -> BookDay:
    """Every contract of the classified `day` (of `lessor` only, when given: the console's download): the stored
    classes beside the rent overdue and penalty owed in the book as it stands under the workspace's `book:`
    settings (the figures `cases claim` gives), and each lessor's legal name beside its code."""
    import polars as pl

    from leaseguard.classification.daily import stored_day
    from leaseguard.portfolio.allocation import Allocation
    from leaseguard.portfolio.positions import BookPositions
    from leaseguard.tenancy.service import lessor_names

    allocation = Allocation.from_settings(workspace.setting("book", default={}))
    engine = workspace.engine()
    try:
        frame = stored_day(engine, day, lessor=lessor)
        # Penalty owed is not stored with the day's classes; both figures come from the book as it stands (the
        # lessor's own book only, when the export is of one lessor).
        owed = None if frame is None else BookPositions.from_engine(engine, allocation, lessor=lessor).at(day)
        with engine.connect() as connection:
            names = lessor_names(connection)
    finally:
        engine.dispose()
    if frame is None or owed is None:
        raise DayNotRunError(NO_DAILY_RUN, day=day)
    frame = frame.join(
        owed.select("contract_no", pl.col("overdue_amount_fen").alias("overdue_rent_fen"), "penalty_due_fen"),
        on="contract_no",
        how="left",
    )
    frame = frame.with_columns(
        pl.col("lessor").replace_strict(names, default="", return_dtype=pl.String).alias("lessor_name")
    )
    moved = frame.filter(pl.col("overdue_rent_fen") != pl.col("overdue_amount_fen")).height
    return BookDay(day, frame, moved)


def export_columns(lang: Lang = DEFAULT_LANG) -> list[tuple[str, Column]]:
    """The export's columns, each with the stored column it comes from: the CSV writes them as named (money as
    yuan text), the XLSX under their headers in `lang` (money as numbers). The CSV's names are a contract;
    class_label and reason_codes came after them."""
    class_labels = CLASS_LABELS if lang == "zh" else CLASS_LABELS_EN

    def money(name: str, chinese: str, english: str) -> tuple[str, Column]:
        return f"{name}_fen", Column(name, f"{chinese}（元）", "money_fen", english=f"{english} (yuan)")

    return [
        ("contract_no", Column("contract_no", "合同编号", english="Contract")),
        ("as_of", Column("as_of", "数据日期", "date", english="As of")),
        ("dpd", Column("dpd", "逾期天数", "integer", english="Days past due")),
        money("outstanding_principal", "未偿本金", "Outstanding principal"),
        money("overdue_amount", "逾期金额", "Overdue amount"),
        ("class", Column("class", "五级分类", labels=class_labels, english="Class")),
        ("deciding_rule", Column("deciding_rule", "判定规则", english="Deciding rule")),
        money("provision", "拨备", "Provision"),
        ("lessor", Column("lessor", "出租人", english="Lessor")),
        money("claim_balance", "债权余额", "Claim balance"),
        ("reasons_text", Column("reasons", "判定依据", english="Reasons")),
        money("overdue_rent", "逾期租金", "Overdue rent"),
        money("penalty_due", "应付违约金", "Penalty due"),
        ("class_label", Column("class_label", "五级分类（文字）", english="Class (words)")),
        ("reasons", Column("reason_codes", "判定依据代码", english="Reason codes")),
        ("lessor_name", Column("lessor_name", "出租人名称", english="Lessor name")),
    ]


def check_export_path(out: Path) -> None:
    """The export is a .csv or an .xlsx file, and is what its name says; else InvalidInputError."""
    if out.suffix.lower() not in EXPORT_FORMATS:
        raise InvalidInputError(
            Label(
                "--out {out}：请写 .csv 或 .xlsx 文件名（文件即其名称所示）",
                "--out {out}: name a .csv or an .xlsx file (the file is what its name says)",
            ),
            out=out,
        )


EXPORT_PROGRESS_ROWS = 5_000  # a big workbook's progress is told every this many rows


def write_book_day(
    day: BookDay, out: Path, lang: Lang = DEFAULT_LANG, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the classified day to `out`: CSV (UTF-8 with BOM, money as yuan text, class as its code) or XLSX
    (a workbook: money as numbers in yuan, class in words); reasons in `lang`. The number of rows. `progress(done,
    total)` is told the rows written to a workbook every EXPORT_PROGRESS_ROWS rows."""
    import polars as pl

    from leaseguard.classification.reasons import render
    from leaseguard.money import yuan_column

    check_export_path(out)
    suffix = out.suffix.lower()
    labels = CLASS_LABELS if lang == "zh" else CLASS_LABELS_EN
    # Rendered once per distinct cell: a million contracts share a few thousand reasons.
    distinct = day.frame["reasons"].unique().drop_nulls().to_list()
    in_words = pl.col("reasons").replace_strict(
        {stored: render(stored, lang) for stored in distinct}, default=None, return_dtype=pl.String
    )
    frame = day.frame.with_columns(
        in_words.alias("reasons_text"),
        pl.col("class")
        .replace_strict(labels, default=pl.col("class"), return_dtype=pl.String)
        .alias("class_label"),
    )
    columns = export_columns(lang)
    if suffix == ".xlsx":
        sources = [source for source, _ in columns]
        rows = frame.with_columns(pl.col("as_of").cast(pl.Date)).select(sources).iter_rows()
        sheet = f"{day.as_of} " + ("五级分类" if lang == "zh" else "classes")
        if progress is not None:
            rows = _told(rows, frame.height, progress)
        return write_table(out, [column for _, column in columns], rows, sheet=sheet, lang=lang)

    def as_text(source: str, column: Column) -> pl.Expr:
        if column.kind == "money_fen":
            return yuan_column(pl.col(source)).alias(column.name)
        if column.kind == "date":
            return pl.col(source).cast(pl.String).alias(column.name)
        return pl.col(source).alias(column.name)

    write_csv(frame.select([as_text(source, column) for source, column in columns]), out)
    return frame.height


def _told(
    rows: Iterator[tuple[Any, ...]], total: int, progress: Callable[[int, int], None]
) -> Iterator[tuple[Any, ...]]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % EXPORT_PROGRESS_ROWS == 0:
            progress(done, total)
    progress(done, total)


class ExportWriteError(StoreFaultError):
    """The process writing an export's workbook failed; the message names its last line."""


def write_book_day_apart(
    day: BookDay, out: Path, lang: Lang = DEFAULT_LANG, progress: Callable[[int, int], None] | None = None
) -> int:
    """`write_book_day` of an XLSX in a process of its own (usecases.export_writer), telling `progress` as it goes:
    the same workbook, without holding this process's interpreter lock for the seconds a big one takes (a
    server's pages and its jobs' heartbeats run meanwhile). The number of rows."""
    import subprocess
    import sys
    import tempfile

    check_export_path(out)
    with tempfile.TemporaryDirectory(prefix="lg-export-") as folder:
        frame = Path(folder) / "day.parquet"
        day.frame.write_parquet(frame)
        spec = {"frame": str(frame), "as_of": day.as_of.isoformat(), "moved": day.moved_since_run,
                "out": str(out), "lang": lang}  # fmt: skip
        with (Path(folder) / "stderr.txt").open("w+", encoding="utf-8") as errors:
            writer = subprocess.Popen(
                [sys.executable, "-m", "leaseguard.usecases.export_writer"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True,
            )  # fmt: skip
            assert writer.stdin is not None and writer.stdout is not None
            writer.stdin.write(json.dumps(spec))
            writer.stdin.close()
            rows = 0
            for line in writer.stdout:
                done, total = (int(part) for part in line.split())
                rows = done
                if progress is not None:
                    progress(done, total)
            if writer.wait() != 0:
                errors.seek(0)
                last = (errors.read().strip().splitlines() or ["no message"])[-1]
                raise ExportWriteError(
                    Label("写出导出文件失败：{last}", "writing the export failed: {last}"), last=last
                )
    return rows
