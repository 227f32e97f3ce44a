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
    say,
)
from leaseguard.vocabulary import CLASS_LABELS, CLASS_LABELS_EN, CLASSES, Label, label_of
from leaseguard.vocabulary import CLASSIFICATION_RULE_SETS as SHIPPED
from leaseguard.vocabulary import DEFAULT_CLASSIFICATION_RULES as DEFAULT_RULES

run_app = typer.Typer(name="run", help="Batch jobs over the whole book.", no_args_is_help=True)


def _days(as_of: str | None, start: str | None, end: str | None, month_ends: bool) -> list[dt.date]:
    if as_of and (start or end):
        fail(
            Label(
                "请给出 --as-of DATE，或 --from DATE --to DATE，二者选一",
                "give either --as-of DATE or --from DATE --to DATE, not both",
            )
        )
    if as_of:
        return [parse_day(as_of, "--as-of")]
    if not (start and end):
        fail(
            Label(
                "请给出 --as-of DATE；要重建历史，请给出 --from DATE 和 --to DATE",
                "give --as-of DATE, or --from DATE and --to DATE to rebuild history",
            )
        )
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if last < first:
        fail(
            Label("--to {last} 早于 --from {first}", "--to {last} is before --from {first}"),
            last=last,
            first=first,
        )
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
    lessor: Annotated[
        str | None,
        typer.Option(
            "--lessor",
            help="Only this lessor's book: its contracts read, its rows of each day replaced, no other lessor's "
            "touched (default: every lessor, one run day each).",
        ),
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Classify and provision every contract on a day (or every day of a range), each day in one transaction:
    every lessor's book, each from its own, or one lessor's with --lessor."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.money import grouped_yuan
    from leaseguard.tracking.jt808 import GMT8
    from leaseguard.usecases.daily_book import daily_job

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    days = _days(as_of, start, end, month_ends)
    try:
        job = daily_job(opened, rules=rules)
        if lessor is not None:
            job.check_lessor(lessor)  # before the progress bar: an unknown lessor is one line
        with progress_bar() as progress:
            task = progress.add_task(
                f"五级分类（{job.rule_set.id}）" if chosen == "zh" else f"classify ({job.rule_set.id})",
                total=len(days),
            )

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            run = job.run(days, advance, lessor=lessor)
    except LeaseguardError as error:
        fail(error)
    rule_set, results = run.rule_set, run.days
    shown = results[-4:]
    zh = chosen == "zh"
    last = (f"，最近 {len(shown)} 天" if zh else f", last {len(shown)} days") if len(results) > 4 else ""
    of_lessor = "" if lessor is None else (f"，出租人 {lessor}" if zh else f", lessor {lessor}")
    table = Table(title=f"{rule_set.id} v{rule_set.version}{of_lessor}{last}")
    table.add_column("")
    for result in shown:
        table.add_column(result.as_of.isoformat(), justify="right")

    def row(chinese: str, english: str, cells: list[str]) -> None:
        table.add_row(chinese if zh else english, *cells)

    row("合同数", "contracts", [f"{r.contracts:,}" for r in shown])
    for klass in CLASSES:
        table.add_row(
            label_of(CLASS_LABELS, CLASS_LABELS_EN, klass, chosen),
            *(f"{r.by_class.get(klass, 0):,}" for r in shown),
        )
    row("分类变动", "changes of class", [f"{r.changes:,}" for r in shown])
    row("拨备（元）", "provisions (yuan)", [grouped_yuan(r.provisions_fen) for r in shown])
    row("一般准备（元）", "general reserve (yuan)", [grouped_yuan(r.general_reserve_fen) for r in shown])
    row("多付合同数", "overpaid contracts", [f"{r.overpaid_contracts:,}" for r in shown])
    row("多付金额（元）", "overpaid (yuan)", [grouped_yuan(r.overpaid_fen) for r in shown])
    row("冲正付款笔数", "reversed payments", [f"{r.reversals:,}" for r in shown])
    row("租赁物从未评估", "assets never valued", [f"{r.missing_valuations:,}" for r in shown])
    row("评估已过期", "valuations stale", [f"{r.stale_valuations:,}" for r in shown])
    console.print(table)
    if run.tracking:
        say(
            Label(
                "位置报警（评估至 {until}）：新增 {opened}，解除 {cleared}；"
                "`leaseguard tracking alerts` 列出未解除的报警",
                "location alerts (evaluated up to {until}): {opened} raised, {cleared} cleared; "
                "`leaseguard tracking alerts` lists the open ones",
            ),
            until=run.tracking[-1].as_of.astimezone(GMT8).strftime("%Y-%m-%d %H:%M"),
            opened=sum(one.opened for one in run.tracking),
            cleared=sum(one.cleared for one in run.tracking),
        )
    rerun = [r.as_of.isoformat() for r in results if r.rerun_after_earlier]
    if rerun:
        listed = "、".join(rerun[:10]) if zh else ", ".join(rerun[:10])
        more = len(rerun) - 10
        console.print(
            f"以下日期在较早日期之后重新运行，其分类变动以较早日期为准：{listed}"
            + (f" 等另 {more:,} 天" if more > 0 else "")
            if zh
            else f"run again after the earlier day, so their changes of class follow it: {listed}"
            + (f" and {more:,} more" if more > 0 else "")
        )
    over_reversed = results[-1].over_reversed
    if over_reversed:
        unit = "元" if zh else "yuan"
        listed = ", ".join(
            f"{number} ({day}, {grouped_yuan(excess)} {unit})" for number, day, excess in over_reversed[:5]
        )
        more = len(over_reversed) - 5
        console.print(
            f"[yellow]注意：[/]{len(over_reversed):,} 份合同的冲正金额大于此前已付金额（超出部分冲抵其后的付款）："
            f"{listed}" + (f" 等另 {more:,} 份" if more > 0 else "")
            if zh
            else f"[yellow]warning:[/] {len(over_reversed):,} contracts have reversals larger than what was paid "
            f"before them (the excess is set against later payments): {listed}"
            + (f" and {more:,} more" if more > 0 else "")
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
    from leaseguard.usecases.daily_book import book_day, check_export_path, write_book_day

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(as_of, "--as-of")
    try:
        check_export_path(out)  # before the day is read: the file must be what its name says
        classified = book_day(opened, day)
        written = write_book_day(classified, out, chosen)
    except LeaseguardError as error:
        fail(error)
    zh = chosen == "zh"
    console.print(f"{day} 的 {written:,} 份合同 → {out}" if zh else f"{written:,} contracts of {day} → {out}")
    moved = classified.moved_since_run
    if moved:
        console.print(
            f"[yellow]注意：[/]{moved:,} 份合同在 {day} 日终批处理时存下的 overdue_amount 与组合中现在的 overdue_rent "
            f"不同（此后付款或 book: 设置有变）：请重新运行 `leaseguard run daily --as-of {day}`"
            if zh
            else f"[yellow]warning:[/] {moved:,} contracts' overdue_amount stored by the run of {day} differs from "
            f"overdue_rent in the book now (payments or book: settings changed since): rerun "
            f"`leaseguard run daily --as-of {day}`"
        )


def register(app: typer.Typer, book_app: typer.Typer) -> None:
    app.add_typer(run_app)
    book_app.command("export")(export)
