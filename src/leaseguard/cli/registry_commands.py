"""`leaseguard assets check` and `leaseguard assets screen`: the ownership check from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    fail,
    open_workspace,
    progress_bar,
    speaking_lang,
)
from leaseguard.sheets import write_csv
from leaseguard.vocabulary import Label, Lang

if TYPE_CHECKING:
    import polars as pl

    from leaseguard.ingest.reports import FileReport


assets_app = typer.Typer(
    help="The ownership check: one asset before funding, or a whole book.", no_args_is_help=True
)

_VERDICT_STYLE = {"clear": "bold green", "review": "bold yellow", "block": "bold red"}
_ASSET_TYPES = ("vehicle", "machinery", "medical", "equipment", "other")


def _fen(amount: str | None) -> int | None:
    from leaseguard.money import MoneyError, parse_fen

    if amount is None:
        return None
    try:
        return parse_fen(amount, where="--invoice-amount")
    except MoneyError as error:
        fail(
            Label(
                "{error}（应为不小于 0、最多两位小数的元金额）",
                "{error} (a non-negative amount of yuan with at most 2 decimals)",
            ),
            error=error.text(speaking_lang()),
        )


@assets_app.command("check")
def check(
    lessor: Annotated[str, typer.Option(help="Code of the lessor asking (its own book shows in full).")],
    vin: Annotated[str | None, typer.Option(help="Vehicle identification number.")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Manufacturer serial number.")] = None,
    engine_no: Annotated[str | None, typer.Option(help="Engine number.")] = None,
    invoice_no: Annotated[str | None, typer.Option(help="VAT invoice number.")] = None,
    invoice_code: Annotated[str | None, typer.Option(help="VAT invoice code.")] = None,
    invoice_amount: Annotated[str | None, typer.Option(help="Invoice amount in yuan.")] = None,
    manufacturer: Annotated[str | None, typer.Option()] = None,
    model: Annotated[str | None, typer.Option()] = None,
    asset_type: Annotated[
        str | None, typer.Option(help="vehicle, machinery, medical, equipment, other")
    ] = None,
    purchase_contract_no: Annotated[str | None, typer.Option()] = None,
    lessee_id: Annotated[str | None, typer.Option(help="USCC or resident ID of the lessee.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer as JSON (the API's body, reasons in English).")
    ] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Check one asset against every lessor's register: clear, review or block, with every reason."""
    from leaseguard.evidence import EvidenceError, log_settings
    from leaseguard.registry.check import AssetFacts
    from leaseguard.tenancy.service import UnknownLessorError
    from leaseguard.usecases.asset_check import check_asset

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    if not any((vin, serial, engine_no, invoice_no)):
        fail(
            Label(
                "请至少给出 --vin、--serial、--engine-no、--invoice-no 之一",
                "give at least one of --vin, --serial, --engine-no, --invoice-no",
            )
        )
    if asset_type not in (None, *_ASSET_TYPES):
        fail(
            Label("--asset-type {given!r} 不是 {types} 之一", "--asset-type {given!r} is not one of {types}"),
            given=asset_type,
            types=", ".join(_ASSET_TYPES),
        )
    asked = AssetFacts(
        lessor=lessor,
        asset_type=asset_type,
        vin=vin,
        serial_no=serial,
        engine_no=engine_no,
        invoice_no=invoice_no,
        invoice_code=invoice_code,
        invoice_amount_fen=_fen(invoice_amount),
        manufacturer=manufacturer,
        model=model,
        purchase_contract_no=purchase_contract_no,
        lessee_id=lessee_id,
    )
    engine = opened.engine()
    try:
        answer = check_asset(engine, asked, asked_by="cli", channel="cli", signer=log_settings(opened).signer)
    except (UnknownLessorError, EvidenceError) as error:
        fail(error)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(answer.said_in(chosen).model_dump_json())
        return
    from leaseguard.registry.reasons import kind_label, verdict_label

    zh = chosen == "zh"
    style = _VERDICT_STYLE[answer.verdict]
    shown = verdict_label(answer.verdict, chosen)
    console.print(
        f"结论：[{style}]{shown}[/]（第 {answer.check_id} 次查询，登记簿共 {answer.register_size:,} 项）"
        if zh
        else f"verdict: [{style}]{shown}[/]  (check #{answer.check_id}, {answer.register_size:,} registered)"
    )
    for reason in answer.finding_reasons_in(chosen):
        console.print(f"  • {reason}")
    if answer.matches:
        headers = ("出租人", "登记日期", "融资", "匹配", "结论", "原因") if zh else (
            "lessor", "registered", "financing", "match", "verdict", "reasons"
        )  # fmt: skip
        financing = {True: "存续", False: "已结束", None: "未知"} if zh else {
            True: "active", False: "ended", None: "unknown"
        }  # fmt: skip
        own = "（本方）" if zh else " (own)"
        table = Table(*headers)
        for view, reasons in zip(answer.matches, answer.match_reasons_in(chosen), strict=True):
            table.add_row(
                view["lessor"] + (own if view["own_book"] else ""),
                str(view["registered_at"] or ""),
                financing[view["financing_active"]],
                kind_label(view["match_kind"], chosen),
                verdict_label(view["verdict"], chosen),
                ("；" if zh else "; ").join(reasons),
            )
        console.print(table)


@assets_app.command("screen")
def screen(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="An assets file (CSV/XLSX, the assets data contract) to screen, within itself and against "
            "the store, before it is loaded.",
            show_default=False,
        ),
    ] = None,
    lessor: Annotated[
        str | None,
        typer.Option(
            help="Screen the FILE for this lessor: its rows must be this lessor's, and other lessors' "
            "registrations show only what a check shows (their code, dates, the kind of match)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the matching pairs (CSV).")] = Path(
        "matches.csv"
    ),
    findings: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            help="Where to write one line per asset of the FILE: verdict and every finding (CSV; default "
            "findings.csv beside --out).",
            show_default=False,
        ),
    ] = None,
    screen_all: Annotated[
        bool, typer.Option("--all", help="Screen every registration in the store.")
    ] = False,
    summary: Annotated[
        Path | None,
        typer.Option(help="Also write a summary a risk officer can read: .xlsx workbook or .html page."),
    ] = None,
    errors: Annotated[
        Path,
        typer.Option(
            "--errors", help="Where to write the file's rejected rows as CSV (only when there are some)."
        ),
    ] = Path("screen-errors.csv"),
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Find every pair and cluster of registrations that are the same asset, across all lessors; for a FILE,
    one answer per asset (clear, review or block, and why)."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.ingest.reports import write_error_report
    from leaseguard.registry.reasons import verdict_label
    from leaseguard.registry.screen import ScreenResult, write_html_summary, write_summary
    from leaseguard.usecases.asset_screen import ScreenFileRequest, screen_assets_file, screen_whole_register

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    zh = chosen == "zh"
    if (file is None) == (not screen_all):
        fail(
            Label(
                "请给出要筛查的 FILE，或用 --all 筛查整个登记簿，二者选一",
                "give either a FILE to screen or --all to screen the whole register, not both",
            )
        )
    if screen_all and (findings is not None or lessor is not None):
        fail(
            Label(
                "--findings 和 --lessor 只用于 FILE：--all 筛查整个登记簿，只给出匹配对",
                "--findings and --lessor are for a FILE: --all screens the whole register, pairs only",
            )
        )
    if summary is not None and summary.suffix.lower() not in (".xlsx", ".html", ".htm"):
        fail(
            Label(
                "--summary {summary}：请给出 .xlsx 或 .html 文件名",
                "--summary {summary}: name an .xlsx or .html file",
            ),
            summary=summary,
        )
    findings_out = findings if findings is not None else out.with_name("findings.csv")
    if file is not None and findings_out.resolve() == out.resolve():
        fail(
            Label(
                "--findings {path} 与 --out 相同：请给两个不同的文件名",
                "--findings {path} is --out too: give them different names",
            ),
            path=findings_out,
        )
    report: FileReport | None = None
    file_rows = None
    if file is not None:
        report, file_rows = _read_assets_file(file, opened.setting("import", "max_amount_yuan", default=None))
    engine = opened.engine()
    try:
        with progress_bar() as progress:
            task = progress.add_task("权属筛查" if zh else "screen", total=None)

            def advance(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total)

            if file_rows is None:
                result: ScreenResult = screen_whole_register(engine, lang=chosen, progress=advance)
                answered = None
            else:
                request = ScreenFileRequest(rows=file_rows, lessor=lessor, lang=chosen)
                answered = screen_assets_file(engine, request, progress=advance)
                result = answered.screen
    except LeaseguardError as error:
        fail(error)
    finally:
        engine.dispose()
    write_csv(result.matches, out)
    counts = result.matches.group_by("verdict").len().sort("verdict")
    comma = "，" if zh else ", "
    by_verdict = comma.join(f"{verdict_label(v, chosen)} {n:,}" for v, n in counts.iter_rows())
    if zh:
        screened = (
            f"{file} 的 {result.assets:,} 行" if file is not None else f"登记簿中的 {result.assets:,} 项"
        )
        console.print(
            f"已筛查{screened}：候选对 {result.candidate_pairs:,} 个，匹配 {result.matches.height:,} 对"
            + (f"（{by_verdict}）" if by_verdict else "")
            + f" → {out}"
        )
    else:
        screened = (
            f"{result.assets:,} rows of {file}" if file is not None else f"{result.assets:,} registrations"
        )
        console.print(
            f"{screened}, {result.candidate_pairs:,} candidate pairs, {result.matches.height:,} matches"
            + (f" ({by_verdict})" if by_verdict else "")
            + f" → {out}"
        )
    if answered is not None:
        write_csv(answered.findings_table(), findings_out)
        verdicts = [f.verdict for f in answered.findings]
        per_verdict = comma.join(
            f"{verdict_label(v, chosen)} {verdicts.count(v):,}" for v in ("block", "review", "clear")
        )
        console.print(
            f"{len(verdicts):,} 项资产（{per_verdict}）→ {findings_out}"
            if zh
            else f"{len(verdicts):,} assets ({per_verdict}) → {findings_out}"
        )
    if summary:
        title = _screen_title(file, lessor, chosen)
        if summary.suffix.lower() == ".xlsx":
            write_summary(result, summary, lang=chosen)
        else:
            write_html_summary(result, summary, title=title, lang=chosen)
        console.print(f"摘要 → {summary}" if zh else f"summary → {summary}")
    if report is not None and report.errors:
        write_error_report([report], errors, chosen)
        for line in [e.line_text(chosen) for e in report.errors][:5]:
            console.print(f"  {line}")
        screened_rows = report.rows_read - report.rejected
        if zh:
            done = f"其余 {screened_rows:,} 行已筛查" if screened_rows else "没有合格的行，未做筛查"
        else:
            done = (
                f"the other {screened_rows:,} were screened"
                if screened_rows
                else "no row was good, nothing screened"
            )
        fail(
            Label(
                "{file} 中有 {count} 行被拒；{done}；完整清单见 {errors}",
                "{count} {rows} of {file} rejected; {done}; full list in {errors}",
            ),
            count=f"{report.rejected:,}",
            rows="row" if report.rejected == 1 else "rows",
            file=file,
            done=done,
            errors=errors,
        )


def _screen_title(file: Path | None, lessor: str | None, lang: Lang) -> str:
    if file is None:
        return "全部登记资产的权属筛查" if lang == "zh" else "Ownership screen of the whole register"
    if lang == "zh":
        return f"{file.name} 的权属筛查" + (f"（{lessor}）" if lessor else "")
    return f"Ownership screen of {file.name}" + (f" for {lessor}" if lessor else "")


def _read_assets_file(path: Path, max_amount_yuan: object) -> tuple[FileReport, pl.DataFrame]:
    """The good rows of an assets file in store columns, and the report of the bad ones."""
    from leaseguard.ingest.reports import FileProblem
    from leaseguard.usecases.asset_screen import read_assets_file

    try:
        report, rows = read_assets_file(
            path, max_amount_yuan=max_amount_yuan if isinstance(max_amount_yuan, int) else None
        )
    except FileProblem as problem:
        fail(
            Label("{path}：{problem}", "{path}: {problem}"), path=path, problem=problem.text(speaking_lang())
        )
    return report, rows


def register(app: typer.Typer) -> None:
    app.add_typer(assets_app, name="assets")
