"""`leaseguard run daily` and `leaseguard book export`: classify the book on a day, and write it out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace, parse_day, progress_bar
from leaseguard.sheets import Column, write_csv, write_table
from leaseguard.vocabulary import CLASS_LABELS, CLASSES
from leaseguard.vocabulary import CLASSIFICATION_RULE_SETS as SHIPPED

if TYPE_CHECKING:
    import polars as pl


run_app = typer.Typer(name="run", help="Batch jobs over the whole book.", no_args_is_help=True)

EXPORT_COLUMNS = (
    "contract_no", "as_of", "dpd", "outstanding_principal", "overdue_amount", "class", "deciding_rule", "provision",
    "lessor", "claim_balance", "reasons", "overdue_rent", "penalty_due",
)  # fmt: skip
DEFAULT_RULES = "cbirc-2023"


def _days(as_of: str | None, start: str | None, end: str | None, month_ends: bool) -> list[dt.date]:
    if as_of and (start or end):
        fail("give either --as-of DATE or --from DATE --to DATE, not both")
    if as_of:
        return [parse_day(as_of, "--as-of")]
    if not (start and end):
        fail("give --as-of DATE, or --from DATE and --to DATE to rebuild history")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if last < first:
        fail(f"--to {last} is before --from {first}")
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if month_ends:
        days = [d for d in days if (d + dt.timedelta(days=1)).day == 1]
    return days


@run_app.command("daily")
def daily(
    as_of: Annotated[str | None, typer.Option("--as-of", help="The day to classify (YYYY-MM-DD).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of a history rebuild.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of a history rebuild.")] = None,
    month_ends: Annotated[bool, typer.Option(help="With --from/--to, only the month-ends.")] = False,
    rules: Annotated[
        str | None,
        typer.Option(
            help=f"Rule set: {' or '.join(SHIPPED)}, or a rule-set file (default: book.rules, {DEFAULT_RULES})."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Classify and provision every contract on a day (or every day of a range), each day in one transaction."""
    from leaseguard.classification.daily import DailyRunBusyError, run_days
    from leaseguard.classification.rules import RuleSetError, load_rule_set
    from leaseguard.evidence import EvidenceError, log_settings
    from leaseguard.money import grouped_yuan
    from leaseguard.portfolio.allocation import Allocation, AllocationError

    days = _days(as_of, start, end, month_ends)
    opened = open_workspace(workspace)
    try:
        rule_set = load_rule_set(rules or str(opened.setting("book", "rules", default=DEFAULT_RULES)))
        allocation = Allocation.from_settings(opened.setting("book", default={}))
        signer = log_settings(opened).signer
    except (RuleSetError, AllocationError, EvidenceError) as error:
        fail(str(error))
    engine = opened.engine()
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"classify ({rule_set.id})", total=len(days))
            results = run_days(
                engine,
                days,
                rule_set,
                lambda done, total: progress.update(task, completed=done, total=total),
                allocation,
                signer,
            )
    except DailyRunBusyError as error:
        fail(str(error))
    finally:
        engine.dispose()
    shown = results[-4:]
    title = f"{rule_set.id} v{rule_set.version}" + (f", last {len(shown)} days" if len(results) > 4 else "")
    table = Table(title=title)
    table.add_column("")
    for result in shown:
        table.add_column(result.as_of.isoformat(), justify="right")
    table.add_row("contracts", *(f"{r.contracts:,}" for r in shown))
    for klass in CLASSES:
        table.add_row(klass, *(f"{r.by_class.get(klass, 0):,}" for r in shown))
    table.add_row("changes of class", *(f"{r.changes:,}" for r in shown))
    table.add_row("provisions (yuan)", *(f"{grouped_yuan(r.provisions_fen)}" for r in shown))
    table.add_row("general reserve (yuan)", *(f"{grouped_yuan(r.general_reserve_fen)}" for r in shown))
    table.add_row("overpaid contracts", *(f"{r.overpaid_contracts:,}" for r in shown))
    table.add_row("overpaid (yuan)", *(f"{grouped_yuan(r.overpaid_fen)}" for r in shown))
    table.add_row("reversed payments", *(f"{r.reversals:,}" for r in shown))
    table.add_row("assets never valued", *(f"{r.missing_valuations:,}" for r in shown))
    table.add_row("valuations stale", *(f"{r.stale_valuations:,}" for r in shown))
    console.print(table)
    rerun = [r.as_of.isoformat() for r in results if r.rerun_after_earlier]
    if rerun:
        console.print(
            f"run again after the earlier day, so their changes of class follow it: {', '.join(rerun[:10])}"
            + (f" and {len(rerun) - 10:,} more" if len(rerun) > 10 else "")
        )
    over_reversed = results[-1].over_reversed
    if over_reversed:
        listed = ", ".join(
            f"{number} ({day}, {grouped_yuan(excess)} yuan)" for number, day, excess in over_reversed[:5]
        )
        more = f" and {len(over_reversed) - 5:,} more" if len(over_reversed) > 5 else ""
        console.print(
            f"[yellow]warning:[/] {len(over_reversed):,} contracts have reversals larger than what was paid "
            f"before them (the excess is set against later payments): {listed}{more}"
        )


def _export_columns() -> list[tuple[str, Column]]:
    """The export's columns, each with the stored column it comes from: the CSV writes them as named (money as
    yuan text), the XLSX under their Chinese labels (money as numbers)."""
    return [
        ("contract_no", Column("contract_no", "合同编号")),
        ("as_of", Column("as_of", "数据日期", "date")),
        ("dpd", Column("dpd", "逾期天数", "integer")),
        ("outstanding_principal_fen", Column("outstanding_principal", "未偿本金（元）", "money_fen")),
        ("overdue_amount_fen", Column("overdue_amount", "逾期金额（元）", "money_fen")),
        ("class", Column("class", "五级分类", labels=CLASS_LABELS)),
        ("deciding_rule", Column("deciding_rule", "判定规则")),
        ("provision_fen", Column("provision", "拨备（元）", "money_fen")),
        ("lessor", Column("lessor", "出租人")),
        ("claim_balance_fen", Column("claim_balance", "债权余额（元）", "money_fen")),
        ("reasons", Column("reasons", "判定依据")),
        ("overdue_rent_fen", Column("overdue_rent", "逾期租金（元）", "money_fen")),
        ("penalty_due_fen", Column("penalty_due", "应付违约金（元）", "money_fen")),
    ]


def _csv_column(source: str, column: Column) -> pl.Expr:
    import polars as pl

    from leaseguard.money import yuan_column

    if column.kind == "money_fen":
        return yuan_column(pl.col(source)).alias(column.name)
    if column.kind == "date":
        return pl.col(source).cast(pl.String).alias(column.name)
    return pl.col(source).alias(column.name)


def export(
    as_of: Annotated[str, typer.Option("--as-of", help="The day whose classes to write (YYYY-MM-DD).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="File to write: .csv (yuan as text) or .xlsx (a workbook, yuan as numbers)."
        ),
    ],
    workspace: WorkspaceOption = None,
) -> None:
    """One row per contract of a classified day: contract_no, as_of, dpd, outstanding_principal,
    overdue_amount, class, deciding_rule, provision (money in yuan), then lessor, claim_balance, reasons, and
    overdue_rent and penalty_due: the book's rent overdue and penalty owed on the day under the workspace's
    `book:` settings, the figures `cases claim` and `book schedule` give."""
    import polars as pl

    from leaseguard.classification.daily import stored_day
    from leaseguard.portfolio.allocation import Allocation, AllocationError
    from leaseguard.portfolio.positions import BookPositions

    day = parse_day(as_of, "--as-of")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"--out {out}: name a .csv or an .xlsx file (the file is what its name says)")
    opened = open_workspace(workspace)
    try:
        allocation = Allocation.from_settings(opened.setting("book", default={}))
    except AllocationError as error:
        fail(str(error))
    engine = opened.engine()
    try:
        frame = stored_day(engine, day)
        # Penalty owed is not stored with the day's classes; both figures come from the book as it stands.
        owed = None if frame is None else BookPositions.from_engine(engine, allocation).at(day)
    finally:
        engine.dispose()
    if frame is None or owed is None:
        fail(f"no daily run is stored for {day}: run `leaseguard run daily --as-of {day}` first")
    frame = frame.join(
        owed.select("contract_no", pl.col("overdue_amount_fen").alias("overdue_rent_fen"), "penalty_due_fen"),
        on="contract_no",
        how="left",
    )
    moved = frame.filter(pl.col("overdue_rent_fen") != pl.col("overdue_amount_fen")).height
    columns = _export_columns()
    if out.suffix.lower() == ".xlsx":
        sources = [source for source, _ in columns]
        rows = frame.with_columns(pl.col("as_of").cast(pl.Date)).select(sources).iter_rows()
        write_table(out, [column for _, column in columns], rows, sheet=f"{day} 五级分类")
    else:
        frame.select([_csv_column(source, column) for source, column in columns]).pipe(write_csv, out)
    console.print(f"{frame.height:,} contracts of {day} → {out}")
    if moved:
        console.print(
            f"[yellow]warning:[/] {moved:,} contracts' overdue_amount stored by the run of {day} differs from "
            f"overdue_rent in the book now (payments or book: settings changed since): rerun "
            f"`leaseguard run daily --as-of {day}`"
        )


def register(app: typer.Typer, book_app: typer.Typer) -> None:
    app.add_typer(run_app)
    book_app.command("export")(export)
