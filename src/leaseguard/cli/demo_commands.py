"""`leaseguard demo`: init + synth + import + keys + serve, so a new user sees a working system at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import TaskID
from rich.table import Table

from leaseguard.cli.common import console, fail, progress_bar
from leaseguard.sheets import write_csv

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leaseguard.workspace import Workspace


# The day the synthetic book's payments run up to, and the day the demo classifies it.
BOOK_AS_OF = dt.date(2026, 10, 31)


DEMO_CASE_FILES = 20


def _case_files(workspace: Workspace, engine: Engine, day: dt.date) -> Path | None:
    """Court-ready case files for the first few loss-class contracts, so the demo shows one."""
    from leaseguard.enforcement.casefiles import select_contracts
    from leaseguard.enforcement.records import record_notice
    from leaseguard.evidence.service import log_settings
    from leaseguard.usecases.case_files import claim_rules, generate_case_files

    chosen = [no for no, _, _ in select_contracts(engine, day, classes=("loss",))][:DEMO_CASE_FILES]
    if not chosen:
        return None
    out = workspace.root / "cases"
    signer = log_settings(workspace).signer
    with console.status(f"writing case files for {len(chosen)} loss-class contracts"):
        # A lessor demands payment before it sues: the demo records a delivered demand (EMS, 15 days to pay)
        # for each, so that its complaints rest on one.
        for contract_no in chosen:
            record_notice(
                engine, signer, contract_no=contract_no, lessor=None, kind="demand",
                sent_on=day - dt.timedelta(days=40), delivered_on=day - dt.timedelta(days=37), method="ems",
                deadline_days=15,
            )  # fmt: skip
        summary = generate_case_files(workspace, day, out, rules=claim_rules(workspace), contracts=chosen)
    console.print(
        f"[bold]case files[/] {summary.generated} written, {summary.skipped} skipped with a reason → {out} "
        f"(leaseguard cases generate --as-of {day} --class doubtful,loss --out DIR for all)"
    )
    return out


def _file_indicators(workspace: Workspace, engine: Engine, day: dt.date) -> Path | None:
    """File the first lessor's nfra-2024 report of `day` on a synthetic balance sheet sized on its book."""
    import polars as pl
    from sqlalchemy import select

    from leaseguard.evidence.service import log_settings
    from leaseguard.indicators.balance_sheet import read_balance_sheet, write_balance_sheet
    from leaseguard.indicators.rules import load_rule_set as load_indicator_rules
    from leaseguard.indicators.service import read_book
    from leaseguard.store.models import Lessor
    from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet
    from leaseguard.usecases.regulatory_report import FilingRequest, ReportRequest, file_regulatory_report

    with engine.connect() as connection:
        first = connection.execute(select(Lessor.code).order_by(Lessor.code)).scalar()
    if first is None:
        return None
    book = read_book(engine, first, day)
    top = book.group_by("lessee_id").agg(pl.col("claim_balance_fen").sum()).sort("claim_balance_fen").tail(1)
    sheet = synthetic_balance_sheet(
        first, day, lease_receivables_fen=int(book["claim_balance_fen"].sum() or 0),
        required_provisions_fen=int(book["provision_fen"].sum() or 0),
        shareholder_ids=(*top["lessee_id"].to_list(), "SHAREHOLDER-2"),
        largest_exposures=book_exposures(book), npl_balance_fen=npl_balance(book),
    )  # fmt: skip
    sheet_file = workspace.root / "balance-sheets" / f"{day.isoformat()}.yaml"
    sheet_file.parent.mkdir(exist_ok=True)
    write_balance_sheet(sheet, sheet_file)
    out = workspace.root / f"regulatory-nfra-2024-{first}-{day.isoformat()}"
    request = ReportRequest(first, day, load_indicator_rules("nfra-2024"), read_balance_sheet(sheet_file))
    outputs = tuple((fmt, out.with_suffix(f".{fmt}")) for fmt in ("html", "xlsx", "pdf"))
    filed = file_regulatory_report(
        engine, FilingRequest(request, outputs, produced_by="demo"), signer=log_settings(workspace).signer
    )
    report = filed.report
    out = out.with_suffix(".html")
    counts = {s: sum(r.status == s for r in report.results) for s in ("ok", "warning", "breach")}
    console.print(
        f"[bold]indicators[/] {first} nfra-2024 on a synthetic balance sheet: {counts['ok']} ok, "
        f"{counts['warning']} warning, {counts['breach']} breach (alerts in the evidence log) → {out} (.xlsx, .pdf)"
    )
    return out


def demo(
    directory: Annotated[Path, typer.Argument(help="Workspace folder for the demo.")] = Path("workspace"),
    contracts: Annotated[int, typer.Option(min=10, help="Contracts in the synthetic book.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic book.")] = 42,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the API at the end.")] = True,
    host: Annotated[str | None, typer.Option(help="API host (default from the config).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default from the config).")] = None,
) -> None:
    """Set up a workspace with a synthetic book of leases, load it, issue keys and serve the API."""
    import polars as pl
    from sqlalchemy import select

    from leaseguard.money import grouped_yuan
    from leaseguard.store.db import session_factory, shown_url
    from leaseguard.store.models import Lessor
    from leaseguard.synth import generate_book
    from leaseguard.tenancy import create_key
    from leaseguard.usecases.asset_screen import screen_whole_register
    from leaseguard.usecases.daily_book import daily_job
    from leaseguard.usecases.data_import import import_files
    from leaseguard.workspace import WorkspaceError, init_workspace

    try:
        workspace = init_workspace(directory)
    except WorkspaceError as error:
        fail(str(error))
    console.print(f"[bold]1/4[/] workspace at {workspace.root} ({shown_url(workspace.database_url)})")

    book_dir = workspace.root / "synth"
    with progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        book = generate_book(book_dir, contracts=contracts, seed=seed, progress=advance, as_of=BOOK_AS_OF)
    console.print(f"[bold]2/4[/] synthetic book of {contracts:,} contracts in {book_dir}")

    with progress_bar() as progress:
        file_tasks: dict[str, TaskID] = {}

        def advance_import(file_name: str, done: int, total: int) -> None:
            if file_name not in file_tasks:
                file_tasks[file_name] = progress.add_task(f"import {file_name}", total=total)
            progress.update(file_tasks[file_name], completed=done, total=total)

        reports = import_files(workspace, [book_dir], progress=advance_import).reports
    table = Table(title="3/4 import", title_justify="left")
    for column in ("file", "read", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for report in reports:
        table.add_row(
            Path(report.file).name,
            f"{report.rows_read:,}",
            f"{report.inserted:,}",
            f"{report.updated:,}",
            f"{report.unchanged:,}",
            f"{report.rejected:,}",
        )
    console.print(table)
    rejected = sum(report.rejected for report in reports)
    if rejected:
        fail(f"{rejected} rows of the synthetic book were rejected; see the table above")
    with console.status(f"classifying the book on {BOOK_AS_OF} (cbirc-2023)"):
        [day] = daily_job(workspace, rules="cbirc-2023").run([BOOK_AS_OF]).days
    engine = workspace.engine()
    try:
        with console.status("screening the register for assets financed twice"):
            screened = screen_whole_register(engine)
        matches_file = workspace.root / "matches.csv"
        write_csv(screened.matches, matches_file)
        verdicts = dict(screened.matches.group_by("verdict").len().iter_rows())
        console.print(
            f"[bold]ownership screen[/] {screened.assets:,} assets: {verdicts.get('block', 0):,} pairs to block, "
            f"{verdicts.get('review', 0):,} to review → {matches_file}"
        )
        non_performing = sum(day.by_class.get(c, 0) for c in ("substandard", "doubtful", "loss"))
        console.print(
            f"[bold]daily run[/] {BOOK_AS_OF}: {day.contracts:,} contracts, {non_performing:,} non-performing, "
            f"provisions {grouped_yuan(day.provisions_fen)} yuan → leaseguard book export --as-of {BOOK_AS_OF}"
        )
        indicators_file = _file_indicators(workspace, engine, BOOK_AS_OF)
        case_files = _case_files(workspace, engine, BOOK_AS_OF)
        with session_factory(engine)() as session, session.begin():
            lessor_codes = session.scalars(select(Lessor.code).order_by(Lessor.code)).all()
            issued = [
                create_key(session, lessor=code, role="analyst", label="demo") for code in lessor_codes[:2]
            ]
    finally:
        engine.dispose()

    truth = pl.read_csv(book_dir / "ground_truth.csv", infer_schema=False)
    vins = truth.filter(pl.col("field") == "vin")["original_value"]
    example_vin = vins[0] if vins.len() else "LFV3A23C4P3000001"
    api_host = host or str(workspace.setting("api", "host", default="127.0.0.1"))
    api_port = port or int(workspace.setting("api", "port", default=8000))
    base = f"http://{api_host}:{api_port}"
    console.print("[bold]4/4[/] demo keys (analyst role; shown once, stored hashed):")
    for key in issued:
        console.print(f"  {key.lessor}: {key.key}")
    console.print("\nWhere to look:")
    console.print(f"  API docs        {base}/docs")
    if issued:
        console.print(
            f"  your contracts  curl -H 'Authorization: Bearer {issued[0].key}' {base}/v1/contracts"
        )
    if issued:
        console.print(
            f"  check an asset  curl -X POST -H 'X-API-Key: {issued[0].key}' -H 'Content-Type: application/json' "
            f'-d \'{{"vin": "{example_vin}"}}\' {base}/v1/assets/check'
        )
    if issued and indicators_file:
        console.print(
            f"  indicators      {indicators_file}; live: curl -H 'Authorization: Bearer {issued[0].key}' "
            f"'{base}/v1/indicators/nfra-2024?as_of={BOOK_AS_OF}'"
        )
    if case_files:
        console.print(
            f"  case files      {case_files} (complaint.pdf/.docx, evidence.zip per case; summary.xlsx)"
        )
    console.print(f"  the book        {book_dir} (ground_truth.csv lists the injected fraud)")
    console.print(f"  the store       {shown_url(workspace.database_url)}")
    console.print(
        f"  summary         {book.contracts:,} contracts, {book.assets:,} assets, {book.payments:,} payments"
    )
    if serve:
        from leaseguard.api.server import body_limit, run_server

        try:
            limit = body_limit(workspace)
        except WorkspaceError as error:
            fail(str(error))
        console.print(f"\nserving on {base} — Ctrl+C to stop")
        run_server(workspace.database_url, host=api_host, port=api_port, max_body_bytes=limit)


def register(app: typer.Typer) -> None:
    app.command()(demo)
