"""`leaseguard import`: load data-contract files with a progress bar, a summary and a row-level error report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.progress import TaskID
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    error_console,
    fail,
    open_workspace,
    progress_bar,
)
from leaseguard.vocabulary import DATA_KINDS as KIND_NAMES
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from leaseguard.ingest import FileReport
    from leaseguard.vocabulary import Lang


COUNT_COLUMNS = ("read", "inserted", "updated", "unchanged", "rejected")
# The summary's words (the reasons' own words are rendered from their codes: leaseguard.ingest.reasons).
_HEADERS = {
    "title": Label("导入", "import"),
    "file": Label("文件", "file"),
    "status": Label("状态", "status"),
    "read": Label("读取行数", "read"),
    "inserted": Label("新增", "inserted"),
    "updated": Label("更新", "updated"),
    "unchanged": Label("未变", "unchanged"),
    "rejected": Label("拒绝", "rejected"),
}
_STATUS = {
    "loaded": Label("已导入", "loaded"),
    "partial": Label("部分导入", "partial"),
    "rejected": Label("未导入", "rejected"),
}
_WARNING = Label("注意：{warning}", "warning: {warning}")
_MORE = Label("… 另有 {count:,} 条", "… and {count:,} more")
_MORE_WARNINGS = Label("… 另有 {count:,} 条注意事项", "… and {count:,} more warnings")
_ALL_LOADED = Label("{files} 个文件共 {rows:,} 行全部导入", "all {rows:,} rows of {files} file(s) loaded")
_ERRORS_FOLDER = Label(
    "--errors {path}：文件夹 {folder} 不存在", "--errors {path}: the folder {folder} does not exist"
)
_LISTED = Label("{outcome}；完整清单见 {path}", "{outcome}; full list in {path}")
_UNWRITTEN = Label(
    "{outcome}；清单无法写入 {path}（{error}）",
    "{outcome}; the list of them could not be written to {path} ({error})",
)


def import_files(
    paths: Annotated[
        list[Path], typer.Argument(help="Files (CSV, XLSX) or folders of them.", show_default=False)
    ],
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Treat every file as this kind: {', '.join(KIND_NAMES)}.")
    ] = None,
    errors: Annotated[
        Path,
        typer.Option("--errors", help="Where to write every rejected row as CSV (only when there are some)."),
    ] = Path("import-errors.csv"),
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Load data files into the store: idempotent upserts, one transaction per file, every bad row reported."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.usecases.data_import import check_request
    from leaseguard.usecases.data_import import import_files as run_import

    if lang is not None:
        chosen_lang(lang)  # the checks below speak it too
    try:
        check_request(paths, kind)
    except LeaseguardError as error:
        fail(error)
    # Checked before loading: rows loaded and then no list of the rejected ones would help nobody.
    if not errors.parent.is_dir():
        fail(_ERRORS_FOLDER, path=errors, folder=errors.parent)
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    try:
        with progress_bar() as progress:
            tasks: dict[str, TaskID] = {}

            def advance(file_name: str, done: int, total: int) -> None:
                if file_name not in tasks:
                    tasks[file_name] = progress.add_task(file_name, total=total)
                progress.update(tasks[file_name], completed=done, total=total)

            outcome = run_import(opened, paths, kind=kind, progress=advance)
    except LeaseguardError as error:
        fail(error)
    reports = outcome.reports
    console.print(_summary_table(reports, chosen))
    shown = int(opened.setting("import", "errors_shown", default=20))
    warned = [_WARNING.text(chosen, warning=warning) for warning in outcome.warnings(chosen)]
    _print_some(warned, shown, _MORE_WARNINGS, chosen, "yellow")
    problems = outcome.problems(chosen)
    _print_some(problems, shown, _MORE, chosen)
    if not problems:
        console.print(_ALL_LOADED.text(chosen, files=len(reports), rows=outcome.rows_read))
        return
    try:
        outcome.write_error_report(errors, chosen)
    except OSError as error:
        fail(_UNWRITTEN, outcome=_outcome(reports, chosen), path=errors, error=error.strerror)
    fail(_LISTED, outcome=_outcome(reports, chosen), path=errors)


def _outcome(reports: list[FileReport], lang: Lang) -> str:
    """What was refused, worded so a file of which nothing loaded is never said to have had rows loaded."""
    parts: list[str] = []
    rows = sum(r.rejected for r in reports if not r.failed_as_a_whole)
    if rows:
        partial = sum(1 for r in reports if r.status == "partial")
        if lang == "zh":
            parts.append(f"{rows:,} 行被拒绝" + ("，所在文件的其他行已导入" if partial else ""))
        else:
            loaded = (
                f", the other rows of their file{'s' if partial > 1 else ''} were loaded" if partial else ""
            )
            parts.append(f"{rows:,} row(s) rejected{loaded}")
    nothing = [r.file for r in reports if r.status == "rejected"]
    if nothing:
        if lang == "zh":
            named = "、".join(nothing[:3]) + (f" 等另 {len(nothing) - 3} 个" if len(nothing) > 3 else "")
            parts.append(f"{len(nothing)} 个文件未导入：{named} 的任何一行都没有导入")
        else:
            named = ", ".join(nothing[:3]) + (f" and {len(nothing) - 3} more" if len(nothing) > 3 else "")
            parts.append(f"{len(nothing)} file(s) not loaded: nothing of {named} was loaded")
    return "; ".join(parts) if lang == "en" else "；".join(parts)


def _summary_table(reports: list[FileReport], lang: Lang) -> Table:
    # A borderless table fits an 80-column terminal; the file name is the one column allowed to fold.
    table = Table(title=_HEADERS["title"].text(lang), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(_HEADERS["file"].text(lang), overflow="fold")
    table.add_column(_HEADERS["status"].text(lang), no_wrap=True)
    for column in COUNT_COLUMNS:
        table.add_column(_HEADERS[column].text(lang), justify="right", no_wrap=True)
    for report in reports:
        name = Path(report.file).name
        notes = [] if name.lower().startswith(report.kind) else [report.kind]
        # Only an unusual encoding is worth the room: UTF-8 is what the data contract asks for.
        notes += [report.encoding] if report.encoding not in (None, "utf-8") else []
        label = f"{name} ({', '.join(notes)})" if notes else name
        counts = (report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected)
        style = {"loaded": "", "partial": "yellow", "rejected": "red"}[report.status]
        status = _STATUS[report.status].text(lang)
        table.add_row(label, status, *(f"{count:,}" for count in counts), style=style)
    return table


def _print_some(lines: list[str], shown: int, more: Label, lang: Lang, style: str | None = None) -> None:
    """The first `shown` lines on standard error, then how many more there are."""
    for line in lines[:shown]:
        error_console.print(line, style=style, highlight=False, markup=False, soft_wrap=True)
    if len(lines) > shown:
        error_console.print(more.text(lang, count=len(lines) - shown), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("import")(import_files)
