"""`leaseguard demo`: init + synth + import + keys + serve, so a new user sees a working system at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import typer
from rich.progress import TaskID
from rich.table import Table

from leaseguard.cli.common import LangOption, chosen_lang, console, fail, progress_bar, say, speaking_lang
from leaseguard.sheets import write_csv
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from leaseguard.workspace import Workspace


# The day the synthetic book's payments run up to, and the day the demo classifies it.
BOOK_AS_OF = dt.date(2026, 10, 31)


DEMO_CASE_FILES = 20
# The import table's columns: file, then rows read, inserted, updated, unchanged, rejected.
IMPORT_COLUMNS = (
    Label("文件", "file"),
    Label("读取", "read"),
    Label("新增", "inserted"),
    Label("更新", "updated"),
    Label("未变", "unchanged"),
    Label("拒绝", "rejected"),
)


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
    writing = Label(
        "正在为 {count} 份损失类合同生成案件材料", "writing case files for {count} loss-class contracts"
    )
    with console.status(writing.text(speaking_lang(), count=len(chosen))):
        # A lessor demands payment before it sues: the demo records a delivered demand (EMS, 15 days to pay)
        # for each, so that its complaints rest on one.
        for contract_no in chosen:
            record_notice(
                engine, signer, contract_no=contract_no, lessor=None, kind="demand",
                sent_on=day - dt.timedelta(days=40), delivered_on=day - dt.timedelta(days=37), method="ems",
                deadline_days=15,
            )  # fmt: skip
        summary = generate_case_files(workspace, day, out, rules=claim_rules(workspace), contracts=chosen)
    say(
        Label(
            "[bold]案件材料[/] 已生成 {generated} 份，{skipped} 份因故跳过 → {out}"
            "（全部生成：leaseguard cases generate --as-of {day} --class doubtful,loss --out DIR）",
            "[bold]case files[/] {generated} written, {skipped} skipped with a reason → {out} "
            "(leaseguard cases generate --as-of {day} --class doubtful,loss --out DIR for all)",
        ),
        generated=summary.generated,
        skipped=summary.skipped,
        out=out,
        day=day,
    )
    return out


# A few leased assets get a simulated BeiDou/GPS terminal and a short track (the console's 租赁物位置).
DEMO_TRACKED_ASSETS = 3
DEMO_TRACK_FIXES = 24
DEMO_TRACK_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class _Tracked:
    contract_no: str
    asset_ids: list[str]
    positions: int  # positions of the demo's terminals in the store
    reported: int  # of them, reported through the gateway by this run


def _track_assets(workspace: Workspace, engine: Engine, lessor: str) -> _Tracked | None:
    """Bind the first few of `lessor`'s leased assets to simulated JT/T 808 terminals (a trackers.csv, loaded
    like any data file) and have each terminal report a short track through the gateway (`tracking serve`'s,
    on a free loopback port), so the console's contract page shows where they are. A terminal whose asset has
    a position already reports nothing again (a second demo run adds no second track)."""
    import asyncio

    import polars as pl
    from sqlalchemy import and_, func, select

    from leaseguard.store.models import Asset, Contract, TrackingPosition
    from leaseguard.tracking.gateway import Gateway, GatewaySettings
    from leaseguard.tracking.jt808 import GMT8
    from leaseguard.tracking.simulate import report_track, walked_fixes
    from leaseguard.tracking.storage import StoreTerminalKeeper, last_positions
    from leaseguard.tracking.terminal import Terminal
    from leaseguard.usecases.data_import import import_files

    leased = (
        select(Asset.contract_no, Asset.asset_id)
        .join(Contract, and_(Contract.contract_no == Asset.contract_no, Contract.lessor == Asset.lessor))
        .where(Asset.lessor == lessor)
        .order_by(Asset.contract_no, Asset.asset_id)
        .limit(DEMO_TRACKED_ASSETS)
    )
    with engine.connect() as connection:
        assets = [(str(contract), str(asset)) for contract, asset in connection.execute(leased)]
    if not assets:
        return None
    now = dt.datetime.now(GMT8).replace(second=0, microsecond=0)
    installed = min(BOOK_AS_OF, now.date() - dt.timedelta(days=1))
    phones = [f"1390000{index:04d}" for index in range(1, len(assets) + 1)]
    trackers_file = workspace.root / "tracking" / "trackers.csv"
    trackers_file.parent.mkdir(exist_ok=True)
    write_csv(
        pl.DataFrame([
            {"lessor": lessor, "asset_id": asset_id, "terminal_phone": phone, "terminal_id": f"DEMO{index:03d}",
             "installed_on": installed.isoformat(), "kind": "wired"}
            for index, ((_, asset_id), phone) in enumerate(zip(assets, phones, strict=True), 1)
        ]),
        trackers_file,
    )  # fmt: skip
    (report,) = import_files(workspace, [trackers_file], kind="trackers").reports
    if report.rejected:
        return None
    with engine.connect() as connection:
        quiet = [
            (index, phone)
            for index, ((_, asset_id), phone) in enumerate(zip(assets, phones, strict=True))
            if not last_positions(connection, lessor, asset_id)
        ]

    async def report_tracks() -> int:
        gateway = Gateway(StoreTerminalKeeper(engine), GatewaySettings.from_settings(None))
        port = await gateway.start("127.0.0.1", 0)
        try:
            counts = await asyncio.gather(
                *(
                    report_track(
                        Terminal(phone, 2019 if index % 2 else 2013, terminal_id=f"DEMO{index + 1:03d}"),
                        walked_fixes(index, DEMO_TRACK_FIXES, DEMO_TRACK_EVERY, now),
                        host="127.0.0.1",
                        port=port,
                    )
                    for index, phone in quiet
                )
            )
        finally:
            await gateway.stop()
        return sum(counts)

    reported = asyncio.run(report_tracks()) if quiet else 0
    with engine.connect() as connection:
        positions = connection.execute(
            select(func.count())
            .select_from(TrackingPosition)
            .where(TrackingPosition.lessor == lessor, TrackingPosition.terminal_phone.in_(phones))
        ).scalar_one()
    return _Tracked(assets[0][0], [asset_id for _, asset_id in assets], int(positions), reported)


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
    say(
        Label(
            "[bold]监管指标[/] {lessor} nfra-2024（合成资产负债表）：{ok} 项达标，{warning} 项预警，{breach} 项超限"
            "（预警已记入证据日志）→ {out}（另有 .xlsx、.pdf）",
            "[bold]indicators[/] {lessor} nfra-2024 on a synthetic balance sheet: {ok} ok, {warning} warning, "
            "{breach} breach (alerts in the evidence log) → {out} (.xlsx, .pdf)",
        ),
        lessor=first,
        ok=counts["ok"],
        warning=counts["warning"],
        breach=counts["breach"],
        out=out,
    )
    return out


def demo(
    directory: Annotated[Path, typer.Argument(help="Workspace folder for the demo.")] = Path("workspace"),
    contracts: Annotated[int, typer.Option(min=10, help="Contracts in the synthetic book.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic book.")] = 42,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the API at the end.")] = True,
    host: Annotated[str | None, typer.Option(help="API host (default from the config).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default from the config).")] = None,
    lang: LangOption = None,
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

    chosen_lang(lang)  # a failure to set up is said in the language asked for
    try:
        workspace = init_workspace(directory)
    except WorkspaceError as error:
        fail(error)
    chosen = chosen_lang(lang, workspace)
    say(
        Label("[bold]1/4[/] 工作区：{root}（{url}）", "[bold]1/4[/] workspace at {root} ({url})"),
        root=workspace.root,
        url=shown_url(workspace.database_url),
    )

    book_dir = workspace.root / "synth"
    with progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        book = generate_book(book_dir, contracts=contracts, seed=seed, progress=advance, as_of=BOOK_AS_OF)
    say(
        Label(
            "[bold]2/4[/] 合成账簿：{contracts:,} 份合同，位于 {folder}",
            "[bold]2/4[/] synthetic book of {contracts:,} contracts in {folder}",
        ),
        contracts=contracts,
        folder=book_dir,
    )

    with progress_bar() as progress:
        file_tasks: dict[str, TaskID] = {}

        def advance_import(file_name: str, done: int, total: int) -> None:
            if file_name not in file_tasks:
                importing = Label("导入 {file}", "import {file}").text(chosen, file=file_name)
                file_tasks[file_name] = progress.add_task(importing, total=total)
            progress.update(file_tasks[file_name], completed=done, total=total)

        reports = import_files(workspace, [book_dir], progress=advance_import).reports
    table = Table(title=Label("3/4 导入", "3/4 import").text(chosen), title_justify="left")
    for position, column in enumerate(IMPORT_COLUMNS):
        table.add_column(column.text(chosen), justify="left" if position == 0 else "right")
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
        fail(
            Label(
                "合成账簿有 {rejected} 行被拒绝；见上表",
                "{rejected} rows of the synthetic book were rejected; see the table above",
            ),
            rejected=rejected,
        )
    classifying = Label(
        "正在对 {day} 的账簿做五级分类（cbirc-2023）", "classifying the book on {day} (cbirc-2023)"
    )
    with console.status(classifying.text(chosen, day=BOOK_AS_OF)):
        [day] = daily_job(workspace, rules="cbirc-2023").run([BOOK_AS_OF]).days
    engine = workspace.engine()
    try:
        screening = Label(
            "正在筛查登记簿中被重复融资的租赁物", "screening the register for assets financed twice"
        )
        with console.status(screening.text(chosen)):
            screened = screen_whole_register(engine)
        matches_file = workspace.root / "matches.csv"
        write_csv(screened.matches, matches_file)
        verdicts = dict(screened.matches.group_by("verdict").len().iter_rows())
        say(
            Label(
                "[bold]权属筛查[/] {assets:,} 项租赁物：{block:,} 对应拒绝，{review:,} 对需复核 → {file}",
                "[bold]ownership screen[/] {assets:,} assets: {block:,} pairs to block, {review:,} to review → {file}",
            ),
            assets=screened.assets,
            block=verdicts.get("block", 0),
            review=verdicts.get("review", 0),
            file=matches_file,
        )
        non_performing = sum(day.by_class.get(c, 0) for c in ("substandard", "doubtful", "loss"))
        say(
            Label(
                "[bold]日终批处理[/] {day}：{contracts:,} 份合同，{npl:,} 份不良，拨备 {provisions} 元"
                " → leaseguard book export --as-of {day}",
                "[bold]daily run[/] {day}: {contracts:,} contracts, {npl:,} non-performing, provisions {provisions}"
                " yuan → leaseguard book export --as-of {day}",
            ),
            day=BOOK_AS_OF,
            contracts=day.contracts,
            npl=non_performing,
            provisions=grouped_yuan(day.provisions_fen),
        )
        indicators_file = _file_indicators(workspace, engine, BOOK_AS_OF)
        case_files = _case_files(workspace, engine, BOOK_AS_OF)
        with engine.connect() as connection:
            first_lessor = connection.execute(select(Lessor.code).order_by(Lessor.code)).scalar()
        tracked = _track_assets(workspace, engine, first_lessor) if first_lessor else None
        if tracked is not None:
            say(
                Label(
                    "[bold]定位终端[/] {assets} 项租赁物（{ids}）绑定了模拟的北斗/GPS 终端（tracking/trackers.csv），"
                    "共 {positions} 个定位点（本次经 JT/T 808 网关上报 {reported} 个）→ 控制台合同 {contract} 页面的"
                    "「租赁物位置」",
                    "[bold]terminals[/] {assets} leased assets ({ids}) bound to simulated BeiDou/GPS terminals "
                    "(tracking/trackers.csv), {positions} positions ({reported} reported through the JT/T 808 "
                    "gateway by this run) → the console's page of contract {contract}, section 租赁物位置",
                ),
                assets=len(tracked.asset_ids),
                ids="、".join(tracked.asset_ids) if chosen == "zh" else ", ".join(tracked.asset_ids),
                positions=tracked.positions,
                reported=tracked.reported,
                contract=tracked.contract_no,
            )
        with session_factory(engine)() as session, session.begin():
            lessor_codes = session.scalars(select(Lessor.code).order_by(Lessor.code)).all()
            issued = [
                create_key(session, lessor=code, role="analyst", label="demo") for code in lessor_codes[:2]
            ]
            person = _demo_person(session, workspace, lessor_codes[0]) if lessor_codes else None
    finally:
        engine.dispose()

    truth = pl.read_csv(book_dir / "ground_truth.csv", infer_schema=False)
    vins = truth.filter(pl.col("field") == "vin")["original_value"]
    example_vin = vins[0] if vins.len() else "LFV3A23C4P3000001"
    api_host = host or str(workspace.setting("api", "host", default="127.0.0.1"))
    api_port = port or int(workspace.setting("api", "port", default=8000))
    base = f"http://{api_host}:{api_port}"
    say(
        Label(
            "[bold]4/4[/] 演示用 API 密钥（analyst 角色；仅显示这一次，只保存其哈希值）：",
            "[bold]4/4[/] demo keys (analyst role; shown once, stored hashed):",
        )
    )
    for key in issued:
        say(Label("  {lessor}：{key}", "  {lessor}: {key}"), lessor=key.lessor, key=key.key)
    say(Label("\n去哪里看：", "\nWhere to look:"))
    if person is not None:
        say(
            Label(
                "  控制台          {url}（用户 {username}，密码 {password}，出租人 {lessor}，admin 角色）",
                "  the console     {url} (user {username}, password {password}, lessor {lessor}, admin role)",
            ),
            url=f"{base}/login",
            username=DEMO_USER,
            password=person[1],
            lessor=person[0],
        )
    if person is not None and tracked is not None:
        say(
            Label("  租赁物位置      {url}", "  asset positions {url}"),
            url=f"{base}/contracts/{quote(tracked.contract_no, safe='')}",
        )
    say(Label("  API 文档        {url}", "  API docs        {url}"), url=f"{base}/docs")
    if issued:
        bearer = f"curl -H 'Authorization: Bearer {issued[0].key}'"
        say(
            Label("  你的合同        {command}", "  your contracts  {command}"),
            command=f"{bearer} {base}/v1/contracts",
        )
        check = (
            f"curl -X POST -H 'X-API-Key: {issued[0].key}' -H 'Content-Type: application/json' "
            f'-d \'{{"vin": "{example_vin}"}}\' {base}/v1/assets/check'
        )
        say(Label("  核查租赁物      {command}", "  check an asset  {command}"), command=check)
        if indicators_file:
            say(
                Label(
                    "  监管指标        {file}；实时：{command}", "  indicators      {file}; live: {command}"
                ),
                file=indicators_file,
                command=f"{bearer} '{base}/v1/indicators/nfra-2024?as_of={BOOK_AS_OF}'",
            )
    if case_files:
        say(
            Label(
                "  案件材料        {folder}（每案 complaint.pdf/.docx 和 evidence.zip；汇总 summary.xlsx）",
                "  case files      {folder} (complaint.pdf/.docx, evidence.zip per case; summary.xlsx)",
            ),
            folder=case_files,
        )
    say(
        Label(
            "  账簿            {folder}（ground_truth.csv 列出注入的欺诈）",
            "  the book        {folder} (ground_truth.csv lists the injected fraud)",
        ),
        folder=book_dir,
    )
    say(Label("  数据库          {url}", "  the store       {url}"), url=shown_url(workspace.database_url))
    say(
        Label(
            "  概况            {contracts:,} 份合同，{assets:,} 项租赁物，{payments:,} 笔付款",
            "  summary         {contracts:,} contracts, {assets:,} assets, {payments:,} payments",
        ),
        contracts=book.contracts,
        assets=book.assets,
        payments=book.payments,
    )
    if serve:
        from leaseguard.api.server import body_limit, run_server

        try:
            limit = body_limit(workspace)
        except WorkspaceError as error:
            fail(error)
        say(Label("\n服务地址 {base} — 按 Ctrl+C 停止", "\nserving on {base} — Ctrl+C to stop"), base=base)
        run_server(workspace.database_url, host=api_host, port=api_port, max_body_bytes=limit)


DEMO_USER = "demo"


def _demo_person(session: Session, workspace: Workspace, lessor: str) -> tuple[str, str]:
    """The console user `demo` (admin of `lessor`) with a new random password, made or reset each run, so the
    demo's console can be signed in to at once: (lessor, password)."""
    import secrets

    from leaseguard.usecases import people

    policy = people.people_policy(workspace)
    length = max(16, policy.min_password_length)
    password = secrets.token_urlsafe(length)[:length]
    try:
        user = people.reset_password(session, DEMO_USER, password, policy)
        return user.lessor, password
    except people.UnknownUserError:
        people.create_user(
            session, username=DEMO_USER, lessor=lessor, role="admin", password=password, policy=policy
        )
        return lessor, password


def register(app: typer.Typer) -> None:
    app.command()(demo)
