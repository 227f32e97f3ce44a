"""`leaseguard assets check` and `leaseguard assets screen`: the ownership check from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace, progress_bar
from leaseguard.sheets import write_csv

if TYPE_CHECKING:
    import polars as pl

    from leaseguard.ingest.reports import FileReport


assets_app = typer.Typer(
    help="The ownership check: one asset before funding, or a whole book.", no_args_is_help=True
)

_VERDICT_STYLE = {"clear": "bold green", "review": "bold yellow", "block": "bold red"}


def _fen(amount: str | None) -> int | None:
    from leaseguard.money import MoneyError, parse_fen

    if amount is None:
        return None
    try:
        return parse_fen(amount, where="--invoice-amount")
    except MoneyError as error:
        fail(f"{error} (a non-negative amount of yuan with at most 2 decimals)")


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Check one asset against every lessor's register: clear, review or block, with every reason."""
    from leaseguard.evidence import EvidenceError, log_settings
    from leaseguard.registry.check import AssetFacts
    from leaseguard.tenancy.service import UnknownLessorError
    from leaseguard.usecases.asset_check import check_asset

    if not any((vin, serial, engine_no, invoice_no)):
        fail("give at least one of --vin, --serial, --engine-no, --invoice-no")
    if asset_type not in (None, "vehicle", "machinery", "medical", "equipment", "other"):
        fail(f"--asset-type {asset_type!r} is not one of vehicle, machinery, medical, equipment, other")
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
    opened = open_workspace(workspace)
    engine = opened.engine()
    try:
        answer = check_asset(engine, asked, asked_by="cli", channel="cli", signer=log_settings(opened).signer)
    except (UnknownLessorError, EvidenceError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    if as_json:
        console.print_json(answer.model_dump_json())
        return
    style = _VERDICT_STYLE[answer.verdict]
    console.print(
        f"verdict: [{style}]{answer.verdict}[/]  (check #{answer.check_id}, {answer.register_size:,} registered)"
    )
    for finding in answer.findings:
        console.print(f"  • {finding.reason}")
    if answer.matches:
        table = Table("lessor", "registered", "financing", "match", "verdict", "reasons")
        for view in answer.matches:
            table.add_row(
                view["lessor"] + (" (own)" if view["own_book"] else ""),
                str(view["registered_at"] or ""),
                {True: "active", False: "ended", None: "unknown"}[view["financing_active"]],
                view["match_kind"],
                view["verdict"],
                "; ".join(view["reasons"]),
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
    out: Annotated[Path, typer.Option("--out", help="Where to write the matching pairs (CSV).")] = Path(
        "matches.csv"
    ),
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
    workspace: WorkspaceOption = None,
) -> None:
    """Find every pair and cluster of registrations that are the same asset, across all lessors."""
    from leaseguard.ingest.reports import write_error_report
    from leaseguard.registry.register import Register, load_registrations
    from leaseguard.registry.rules import load_rules
    from leaseguard.registry.screen import screen_file, screen_register, write_html_summary, write_summary

    if (file is None) == (not screen_all):
        fail("give either a FILE to screen or --all to screen the whole register, not both")
    if summary is not None and summary.suffix.lower() not in (".xlsx", ".html", ".htm"):
        fail(f"--summary {summary}: name an .xlsx or .html file")
    opened = open_workspace(workspace)
    report: FileReport | None = None
    file_rows = None
    if file is not None:
        report, file_rows = _read_assets_file(file, opened.setting("import", "max_amount_yuan", default=None))
    engine = opened.engine()
    try:
        with console.status("loading and indexing the register"):
            registered = load_registrations(engine)
            register = Register(registered, load_rules()) if file_rows is None else None
    finally:
        engine.dispose()
    with progress_bar() as progress:
        task = progress.add_task("compare candidate pairs", total=None)

        def advance(_stage: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if register is not None:
            result = screen_register(register, progress=advance)
        else:
            assert file_rows is not None
            result = screen_file(registered, file_rows, load_rules(), progress=advance)
    write_csv(result.matches, out)
    counts = result.matches.group_by("verdict").len().sort("verdict")
    screened = f"{result.assets:,} rows of {file}" if file is not None else f"{result.assets:,} registrations"
    by_verdict = ", ".join(f"{v}: {n:,}" for v, n in counts.iter_rows())
    console.print(
        f"{screened}, {result.candidate_pairs:,} candidate pairs, {result.matches.height:,} matches"
        + (f" ({by_verdict})" if by_verdict else "")
        + f" → {out}"
    )
    if summary:
        if summary.suffix.lower() == ".xlsx":
            write_summary(result, summary)
        else:
            write_html_summary(result, summary, title=f"Ownership screen of {file or 'the whole register'}")
        console.print(f"summary → {summary}")
    if report is not None and report.errors:
        write_error_report([report], errors)
        for line in [str(e) for e in report.errors][:5]:
            console.print(f"  {line}")
        rows = f"{report.rejected:,} row{'' if report.rejected == 1 else 's'}"
        screened_rows = report.rows_read - report.rejected
        done = (
            f"the other {screened_rows:,} were screened"
            if screened_rows
            else "no row was good, nothing screened"
        )
        fail(f"{rows} of {file} rejected; {done}; full list in {errors}")


def _read_assets_file(path: Path, max_amount_yuan: object) -> tuple[FileReport, pl.DataFrame]:
    """The good rows of an assets file in store columns, and the report of the bad ones."""
    from leaseguard.ingest.kinds import ASSETS
    from leaseguard.ingest.reading import read_table
    from leaseguard.ingest.reports import FileProblem, FileReport
    from leaseguard.ingest.validation import DEFAULT_MAX_AMOUNT_YUAN, References, validate

    report = FileReport(file=str(path), kind=ASSETS.name)
    try:
        table = read_table(path)
        limit = max_amount_yuan if isinstance(max_amount_yuan, int) else DEFAULT_MAX_AMOUNT_YUAN
        checked = validate(
            ASSETS, table, References(), file=str(path), max_amount_yuan=limit, check_references=False
        )
    except FileProblem as problem:
        fail(f"{path}: {problem}")
    report.rows_read = checked.rows_read
    report.errors, report.rejected = checked.errors, checked.rejected
    return report, checked.rows


def register(app: typer.Typer) -> None:
    app.add_typer(assets_app, name="assets")
