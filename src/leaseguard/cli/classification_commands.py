"""`leaseguard run daily` and `leaseguard book export`: classify the book on a day, and write it out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    fail,
    open_workspace,
    parse_day,
    progress_bar,
)
from leaseguard.vocabulary import CLASSES
from leaseguard.vocabulary import CLASSIFICATION_RULE_SETS as SHIPPED
from leaseguard.vocabulary import DEFAULT_CLASSIFICATION_RULES as DEFAULT_RULES

run_app = typer.Typer(name="run", help="Batch jobs over the whole book.", no_args_is_help=True)


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
    from leaseguard.errors import LeaseguardError
    from leaseguard.money import grouped_yuan
    from leaseguard.usecases.daily_book import daily_job

    days = _days(as_of, start, end, month_ends)
    opened = open_workspace(workspace)
    try:
        job = daily_job(opened, rules=rules)
        with progress_bar() as progress:
            task = progress.add_task(f"classify ({job.rule_set.id})", total=len(days))

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            run = job.run(days, advance)
    except LeaseguardError as error:
        fail(str(error))
    rule_set, results = run.rule_set, run.days
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


def export(
    as_of: Annotated[str, typer.Option("--as-of", help="The day whose classes to write (YYYY-MM-DD).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="File to write: .csv (yuan as text) or .xlsx (a workbook, yuan as numbers)."
        ),
    ],
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """One row per contract of a classified day: contract_no, as_of, dpd, outstanding_principal,
    overdue_amount, class, deciding_rule, provision (money in yuan), then lessor, claim_balance, reasons, and
    overdue_rent and penalty_due: the book's rent overdue and penalty owed on the day under the workspace's
    `book:` settings, the figures `cases claim` and `book schedule` give; then class_label and reason_codes.
    Reasons and the XLSX's headers and classes in --lang."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.usecases.daily_book import book_day, write_book_day

    day = parse_day(as_of, "--as-of")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"--out {out}: name a .csv or an .xlsx file (the file is what its name says)")
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    try:
        classified = book_day(opened, day)
        written = write_book_day(classified, out, chosen)
    except LeaseguardError as error:
        fail(str(error))
    console.print(f"{written:,} contracts of {day} → {out}")
    if classified.moved_since_run:
        console.print(
            f"[yellow]warning:[/] {classified.moved_since_run:,} contracts' overdue_amount stored by the run of "
            f"{day} differs from overdue_rent in the book now (payments or book: settings changed since): rerun "
            f"`leaseguard run daily --as-of {day}`"
        )


def register(app: typer.Typer, book_app: typer.Typer) -> None:
    app.add_typer(run_app)
    book_app.command("export")(export)
