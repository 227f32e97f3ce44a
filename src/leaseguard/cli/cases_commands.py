"""`leaseguard cases …`: what a lessor claims from a defaulted lease (more of enforcement to come)."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

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
from leaseguard.sheets import write_csv
from leaseguard.vocabulary import (
    ACCELERATION,
    CLAIM_ITEM_LABELS_EN,
    CLASSES,
    METHOD_LABELS,
    METHOD_LABELS_EN,
    OPENED,
    REMEDIES,
    STAGE_LABELS,
    STAGE_LABELS_EN,
    STAGES,
    Label,
    Lang,
    label_of,
)

if TYPE_CHECKING:
    from leaseguard.enforcement.records import NoticeOnFile
    from leaseguard.enforcement.rules import ClaimRules
    from leaseguard.evidence.checkpoint import NoteSigner
    from leaseguard.workspace import Workspace

cases_app = typer.Typer(
    name="cases",
    help="Enforcement: claims on defaulted leases, cases and what they recover.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


RemedyOption = typer.Option(
    "--remedy", help="acceleration (all unpaid rent, the default) or termination (end the contract, take the "
    "assets back, claim the loss): a complaint pleads one.",
)  # fmt: skip


ConfirmOverClaimOption = Annotated[
    bool,
    typer.Option("--confirm-over-claim", help="Record it even though the recovery then exceeds the claim."),
]


def _check_remedy(remedy: str) -> None:
    if remedy not in REMEDIES:
        fail(
            Label("--remedy {remedy!r}：请用 {choices}", "--remedy {remedy!r}: use {choices}"),
            remedy=remedy,
            choices=Label(" 或 ".join(REMEDIES), " or ".join(REMEDIES)),
        )


def _refused(error: Exception) -> NoReturn:
    """A domain error in the run's language; any other refusal (a library's ValueError) as it says it."""
    from leaseguard.errors import LeaseguardError

    fail(error if isinstance(error, LeaseguardError) else str(error))


def _stage(code: str, lang: Lang) -> str:
    """A stage in words, with the code one types after it (--stage)."""
    words = label_of(STAGE_LABELS, STAGE_LABELS_EN, code, lang)
    return f"{words}（{code}）" if lang == "zh" else f"{words} ({code})"


def _claim_rules(path: Path | None, opened: Workspace) -> ClaimRules:
    from leaseguard.enforcement.rules import ClaimRulesError
    from leaseguard.usecases.case_files import claim_rules

    try:
        return claim_rules(opened, path)
    except ClaimRulesError as error:
        fail(error)


@cases_app.command("claim")
def claim(
    contract_no: Annotated[str, typer.Argument(help="The defaulted contract.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The claim date (YYYY-MM-DD).")],
    rules: Annotated[
        Path | None, typer.Option(help="A claim-rules file (default: the shipped claims.yaml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the claim as JSON.")] = False,
    remedy: Annotated[str, RemedyOption] = ACCELERATION,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The claim on a day under one remedy: overdue rent, the contract's penalty (or the loss of use of funds at
    the LPR), acceleration, damages, the deposit set off, or on termination the loss; the costs of enforcement;
    what runs on after the day; each figure with its arithmetic, and notes for the lawyer."""
    from leaseguard.enforcement.claims import claim_document
    from leaseguard.errors import LeaseguardError
    from leaseguard.money import grouped_yuan
    from leaseguard.usecases.case_files import claim_on, claim_rules

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(as_of)
    _check_remedy(remedy)
    try:
        rules_used = claim_rules(opened, rules)
        result = claim_on(opened, contract_no, day, rules=rules_used, remedy=remedy)
    except (LeaseguardError, ValueError) as error:
        _refused(error)
    if as_json:
        print(json.dumps(claim_document(result), ensure_ascii=False, indent=2))
        return
    zh = chosen == "zh"
    title = (
        f"{contract_no}：{day} 诉请（规则 v{rules_used.version}）"
        if zh
        else f"{contract_no}: claim on {day} (rules v{rules_used.version})"
    )
    table = Table(title=title)
    headers = (("项目", "left"), ("金额（元）", "right"), ("计算", "left")) if zh else (
        ("item", "left"), ("yuan", "right"), ("arithmetic", "left"))  # fmt: skip
    for header, justify in headers:
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for line in result.lines:
        # The table's English rows are lower case ("claim", "total with costs"), its items too.
        item = line.label if zh else CLAIM_ITEM_LABELS_EN.get(line.item, line.label).lower()
        table.add_row(item, grouped_yuan(line.amount_fen), line.arithmetic)
    table.add_row("诉请合计" if zh else "claim", grouped_yuan(result.claim_fen), "")
    table.add_row("合计（含诉讼费用）" if zh else "total with costs", grouped_yuan(result.total_fen), "")
    console.print(table)
    # The claim's own words (its lines, what runs on, the lawyer's notes) are those of the complaint: Chinese.
    for running in result.running:
        console.print(RUNS_ON.text(chosen, wording=running.wording))
    for note in result.notes:
        console.print(NOTE.text(chosen, note=note))


# What runs on is said in the complaint's own words in either language, as it will be pleaded.
RUNS_ON = Label("另：{wording}", "runs on until paid: {wording}")
NOTE = Label("提示：{note}", "note: {note}")


def _signer(opened: Workspace) -> NoteSigner:
    from leaseguard.evidence import EvidenceError, log_settings

    try:
        return log_settings(opened).signer
    except EvidenceError as error:
        fail(error)


@cases_app.command("open")
def open_(
    contract_no: Annotated[str, typer.Argument(help="The defaulted contract.")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="The day the case opens; its claim is computed then.")
    ],
    rules: Annotated[Path | None, typer.Option(help="A claim-rules file (default: the shipped one).")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Open an enforcement case: the claim on the day is stored with it and deposited in the evidence log."""
    from leaseguard.enforcement.claims import NotDefaultedError
    from leaseguard.enforcement.rules import ClaimRulesError
    from leaseguard.enforcement.service import CaseError, UnknownContractError, open_case
    from leaseguard.money import grouped_yuan

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(as_of)
    claim_rules = _claim_rules(rules, opened)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        case_id, result = open_case(engine, contract_no, day, claim_rules, signer=signer)
    except (UnknownContractError, NotDefaultedError, CaseError, ClaimRulesError, ValueError) as error:
        _refused(error)
    finally:
        engine.dispose()
    console.print(
        Label(
            "案件 {case_id} 已立案准备：合同 {contract_no}，{day}，诉请金额 {claim} 元",
            "case {case_id} opened for {contract_no} on {day}: claim {claim} yuan",
        ).text(
            chosen, case_id=case_id, contract_no=contract_no, day=day, claim=grouped_yuan(result.claim_fen)
        )
    )


@cases_app.command("event")
def event(
    case_id: Annotated[int, typer.Argument(help="The case.")],
    stage: Annotated[str, typer.Option(help=f"One of {', '.join(STAGES)}.")],
    on: Annotated[str, typer.Option("--on", help="The day it happened (YYYY-MM-DD).")],
    recovered: Annotated[
        str, typer.Option(help="Yuan recovered by this step (12000, 12,000 or 12000.00).")
    ] = "0",
    note: Annotated[str | None, typer.Option(help="What happened, in a few words.")] = None,
    confirm_over_claim: ConfirmOverClaimOption = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a step of a case and the money it recovered; steps only move forward."""
    from leaseguard.enforcement.service import CaseError, UnknownCaseError, add_event
    from leaseguard.enforcement.tracking import CaseEventError
    from leaseguard.money import MoneyError, grouped_yuan, parse_fen

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(on, "--on")
    try:
        recovered_fen = parse_fen(recovered, where="--recovered")
    except MoneyError as error:
        fail(error)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        add_event(engine, case_id, stage, day, recovered_fen, note, signer=signer,
                  over_claim_confirmed=confirm_over_claim)  # fmt: skip
    except (CaseError, CaseEventError, UnknownCaseError) as error:
        fail(error)
    finally:
        engine.dispose()
    console.print(
        Label(
            "案件 {case_id}：{stage} {day}，回收 {recovered} 元",
            "case {case_id}: {stage} on {day}, recovered {recovered} yuan",
        ).text(
            chosen,
            case_id=case_id,
            stage=_stage(stage, chosen),
            day=day,
            recovered=grouped_yuan(recovered_fen),
        )
    )


@cases_app.command("correct")
def correct(
    case_id: Annotated[int, typer.Argument(help="The case.")],
    entry: Annotated[
        int, typer.Option("--entry", help="The number of the ledger entry to correct (`cases show`).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is wrong, in a few words.")],
    stage: Annotated[
        str | None, typer.Option(help=f"The step as it should have been: one of {', '.join(STAGES)}.")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="The day it really happened (YYYY-MM-DD).")] = None,
    recovered: Annotated[
        str | None, typer.Option(help="Yuan it really recovered (12000, 12,000 or 12000.00).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="What happened, in a few words.")] = None,
    withdraw: Annotated[
        bool,
        typer.Option("--withdraw", help="The step never happened: it stops counting, with no step instead."),
    ] = False,
    confirm_over_claim: ConfirmOverClaimOption = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Correct a step recorded by mistake: a new ledger entry names the one it corrects and why, with the step as
    it should have been (the values not given are kept) or, with --withdraw, none. Nothing recorded is changed
    or deleted; the case's stage and recovery are computed without the corrected entry."""
    from leaseguard.enforcement.service import CaseError, UnknownCaseError, correct_event
    from leaseguard.enforcement.tracking import CaseEventError
    from leaseguard.money import MoneyError, grouped_yuan, parse_fen

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(on, "--on") if on is not None else None
    try:
        recovered_fen = parse_fen(recovered, where="--recovered") if recovered is not None else None
    except MoneyError as error:
        fail(error)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        done = correct_event(
            engine, case_id, entry, reason, stage=stage, event_date=day, recovered_fen=recovered_fen, note=note,
            withdraw=withdraw, signer=signer, over_claim_confirmed=confirm_over_claim,
        )  # fmt: skip
    except (CaseError, CaseEventError, UnknownCaseError) as error:
        fail(error)
    finally:
        engine.dispose()
    said = (
        Label(
            "案件 {case_id}：第 {entry} 条撤销第 {corrects} 条；现阶段 {stage}，已回收 {recovered} 元",
            "case {case_id}: entry {entry} withdraws entry {corrects}; now at {stage}, recovered {recovered} yuan",
        )
        if done.withdrawn
        else Label(
            "案件 {case_id}：第 {entry} 条更正第 {corrects} 条；现阶段 {stage}，已回收 {recovered} 元",
            "case {case_id}: entry {entry} corrects entry {corrects}; now at {stage}, recovered {recovered} yuan",
        )
    )
    console.print(
        said.text(
            chosen,
            case_id=case_id,
            entry=done.entry,
            corrects=done.corrects,
            stage=_stage(done.state.stage, chosen),
            recovered=grouped_yuan(done.state.recovered_fen),
        )
    )


@cases_app.command("list")
def list_(
    stage: Annotated[
        str | None, typer.Option(help=f"Only cases now at this stage: {OPENED}, {', '.join(STAGES)}.")
    ] = None,
    lessor: Annotated[
        str | None,
        typer.Option(
            "--lessor", help="The lessor whose cases to list (required when the store holds several)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the cases as the API lists them.")] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The lessor's enforcement cases: where each stands by its ledger (stage, claim, recovered)."""
    from leaseguard.cli.lookup_commands import cases_table, lookup_session
    from leaseguard.usecases.lookup import json_body, list_cases

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    if stage is not None and stage not in (OPENED, *STAGES):
        fail(
            Label("--stage {stage!r}：请用以下之一：{stages}", "--stage {stage!r}: use one of {stages}"),
            stage=stage, stages=", ".join((OPENED, *STAGES)),
        )  # fmt: skip
    with lookup_session(opened, lessor) as (session, at):
        found = list_cases(session, at, stage=stage)
    if as_json:
        print(json.dumps({"items": [json_body(case) for case in found.items]}, ensure_ascii=False, indent=2))
        return
    console.print(cases_table(found.items, chosen))


@cases_app.command("show")
def show(
    case_id: Annotated[int, typer.Argument(help="The case.")],
    lessor: Annotated[
        str | None,
        typer.Option("--lessor", help="The case's lessor (required when the store holds several)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the API's JSON body instead of tables.")
    ] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A case and its ledger: every entry as recorded, corrections with the entry they correct and why, and
    corrected entries marked as no longer counting."""
    from leaseguard.cli.lookup_commands import lookup_session, print_case, print_json
    from leaseguard.usecases.lookup import case_detail

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    with lookup_session(opened, lessor) as (session, at):
        detail = case_detail(session, at, case_id)
    if as_json:
        print_json(detail)
    else:
        print_case(detail, chosen)


@cases_app.command("report")
def report(
    as_of: Annotated[str, typer.Option("--as-of", help="Count what happened by this day.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the tables (CSV) and charts (PNG).")],
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Recovery rate and time to recovery by lessor, asset type, region and stage: CSV tables and PNG charts."""
    import polars as pl

    from leaseguard.analytics.book_data import read_contracts
    from leaseguard.analytics.dimensions import with_dimensions
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.charts import new_figure, png_bytes
    from leaseguard.enforcement.service import read_cases
    from leaseguard.enforcement.tracking import recovery_by
    from leaseguard.money import grouped_yuan, yuan_column

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(as_of)
    engine = opened.engine()
    try:
        cases, events = read_cases(engine)
        rules = load_analytics_rules(None)
        dims = with_dimensions(read_contracts(engine), rules.province_names(chosen)).select(
            "contract_no", "asset_type", "region"
        )
    finally:
        engine.dispose()
    if cases.is_empty():
        fail(
            Label("库中没有执行案件：请先用 `leaseguard cases open` 立案",
                  "no enforcement cases are stored: open one with `leaseguard cases open`")
        )  # fmt: skip
    tables = recovery_by(cases, events, dims, day, chosen)
    out.mkdir(parents=True, exist_ok=True)
    for dimension, table in tables.items():
        # People open these in Excel: amounts in yuan, never a `_fen` column.
        shown = table.with_columns(
            yuan_column(pl.col("claimed_fen")).alias("claimed_fen"),
            yuan_column(pl.col("recovered_fen")).alias("recovered_fen"),
        ).rename({"claimed_fen": "claimed", "recovered_fen": "recovered"})
        write_csv(shown, out / f"recovery_by_{dimension}.csv")
        # Drawn in the packaged CJK font: a region or a stage is named in Chinese.
        figure = new_figure(7, 3.5)
        axes = figure.subplots()
        names = table["stage_label" if dimension == "stage" else dimension]
        axes.bar([str(v) for v in names], table["recovery_rate_percent"].fill_null(0).to_list())
        axes.set_ylabel(CHART_AXIS.text(chosen))
        axes.set_title(CHART_TITLE.text(chosen, dimension=DIMENSION_WORDS[dimension].text(chosen), day=day))
        figure.autofmt_xdate()
        (out / f"recovery_by_{dimension}.png").write_bytes(png_bytes(figure))
    overall = tables["lessor"]
    claimed, recovered = int(overall["claimed_fen"].sum()), int(overall["recovered_fen"].sum())
    console.print(
        Label(
            "{cases:,} 个案件，诉请 {claimed} 元，已回收 {recovered} 元（{rate:.1f}%）→ {out}",
            "{cases:,} cases, claimed {claimed}, recovered {recovered} yuan ({rate:.1f} %) → {out}",
        ).text(
            chosen,
            cases=cases.height,
            claimed=grouped_yuan(claimed),
            recovered=grouped_yuan(recovered),
            rate=(recovered * 100 / claimed) if claimed else 0,
            out=out,
        ),
        soft_wrap=True,
    )


CHART_AXIS = Label("回收金额占诉请金额（%）", "recovered, % of claim")
CHART_TITLE = Label("按{dimension}的回收率（截至 {day}）", "Recovery by {dimension} (to {day})")
DIMENSION_WORDS = {
    "lessor": Label("出租人", "lessor"),
    "asset_type": Label("租赁物类型", "asset type"),
    "region": Label("地区", "region"),
    "stage": Label("阶段", "stage"),
}


@cases_app.command("generate")
def generate(
    as_of: Annotated[str, typer.Option("--as-of", help="The claim date (YYYY-MM-DD).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the case folders and summary.xlsx.")],
    lessor: Annotated[str | None, typer.Option("--lessor", help="Only this lessor's contracts.")] = None,
    classes: Annotated[
        str | None,
        typer.Option(
            "--class",
            help="Classes on the day's run to take to court, comma-separated, or 'all' "
            "(default: substandard,doubtful,loss).",
        ),
    ] = None,
    contracts: Annotated[
        list[str] | None, typer.Option("--contract", help="These contracts instead of a class (repeatable).")
    ] = None,
    templates: Annotated[
        Path | None, typer.Option(help="A folder of edited templates (see `cases templates`).")
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="A claim-rules file (default: the shipped one).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=64, help="Processes writing case folders (default: one per CPU)."
        ),
    ] = None,
    remedy: Annotated[str, RemedyOption] = ACCELERATION,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Court-ready case files in batch: per case a folder with the element-based complaint (DOCX, PDF) for one
    remedy, the preservation application, the claim, the exhibit list and the evidence bundle; a case that
    cannot be filed (no demand on record, an arbitration clause, no court to name, …) is skipped with its
    reason in summary.xlsx, which also lists the lawyer's notes and the documents still to add."""

    from leaseguard.enforcement.casefiles import NON_PERFORMING, SKIPPED
    from leaseguard.enforcement.complaint import checked_environment
    from leaseguard.errors import LeaseguardError
    from leaseguard.usecases.case_files import claim_rules, generate_case_files

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    day = parse_day(as_of)
    _check_remedy(remedy)
    wanted: tuple[str, ...] | None = NON_PERFORMING
    if classes is not None:
        names = tuple(name.strip() for name in classes.split(",") if name.strip())
        unknown = [name for name in names if name not in (*CLASSES, "all")]
        if unknown or not names:
            fail(
                Label("--class {classes!r}：请用 {choices} 或 all", "--class {classes!r}: use {choices} or all"),
                classes=classes, choices=", ".join(CLASSES),
            )  # fmt: skip
        wanted = None if "all" in names else names
    if templates is not None and not templates.is_dir():
        fail(
            Label("--templates {folder}：不是文件夹", "--templates {folder}: not a folder"), folder=templates
        )
    _STOP_REQUESTED.clear()
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        checked_environment(templates)
        rules_used = claim_rules(opened, rules)
        with progress_bar() as bar:
            task = bar.add_task(Label("案件文件", "case files").text(chosen), total=None)

            def advance(done: int, total: int) -> None:
                _stop_if_requested()
                bar.update(task, completed=done, total=total)

            summary = generate_case_files(
                opened, day, out, rules=rules_used, lessor=lessor, classes=wanted, contracts=tuple(contracts or ()),
                templates=templates, progress=advance, workers=workers, remedy=remedy, lang=chosen,
            )  # fmt: skip
    except LeaseguardError as error:
        fail(error)
    except (_Stopped, KeyboardInterrupt) as stopped:
        # Each folder is written whole and each chunk's deposits in one transaction: a re-run finishes the rest.
        code = stopped.code if isinstance(stopped, _Stopped) else 130
        fail(
            Label("未完成即已停止；已写出的案件文件夹都是完整的：重新运行即可完成 {out}",
                  "stopped before the end; the case folders written so far are complete: re-run to finish {out}"),
            code, out=out,
        )  # fmt: skip
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    console.print(
        Label(
            "已写出 {generated:,} 个案件文件夹，{skipped:,} 个未生成 → {out}（汇总：{xlsx}、{csv}）",
            "{generated:,} case files written, {skipped:,} skipped → {out} (summary: {xlsx}, {csv})",
        ).text(
            chosen,
            generated=summary.generated,
            skipped=summary.skipped,
            out=out,
            xlsx=summary.summary_xlsx.name,
            csv=summary.summary_csv.name,
        ),
        soft_wrap=True,
    )
    # Grouped by what went wrong (the reason's code), told by the first case's words.
    reasons: dict[str, tuple[int, str]] = {}
    for outcome in summary.outcomes:
        if outcome.status == SKIPPED and outcome.reasons:
            first = outcome.reasons[0]
            count, said = reasons.get(first.code, (0, outcome.reason_in(chosen)))
            reasons[first.code] = (count + 1, said)
    for count, said in sorted(reasons.values(), key=lambda item: -item[0])[:10]:
        console.print(
            Label("  未生成 {count:,} 个：{said}", "  skipped {count:,}: {said}").text(
                chosen, count=count, said=said
            ),
            highlight=False,
        )


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum


# SIGTERM and Ctrl+C (SIGINT) are noted here and acted on at the next progress step, between two cases. Raised
# from the handler, the stop landed wherever the main thread was: inside SQLAlchemy (which wrapped it), or inside
# logging's at-fork hook while the pool forked a worker, where Python printed the exception with its traceback
# and went on. The workers ignore Ctrl+C, which a terminal sends to them too (casefiles.end_with_parent): the
# batch stops them itself. Ctrl+C pressed again before that step stops the batch at once.
_STOP_REQUESTED: list[int] = []


def _stop(signum: int, _frame: object) -> None:
    if signum == signal.SIGINT and signal.SIGINT in _STOP_REQUESTED:
        raise KeyboardInterrupt
    _STOP_REQUESTED.append(signum)


def _stop_if_requested() -> None:
    if _STOP_REQUESTED:
        raise _Stopped(_STOP_REQUESTED[0])


@cases_app.command("notice")
def notice(
    contract_no: Annotated[str, typer.Argument(help="The contract the demand is about.")],
    sent_on: Annotated[str, typer.Option("--sent-on", help="The day it was sent (YYYY-MM-DD).")],
    method: Annotated[str, typer.Option("--method", help=f"How: {', '.join(METHOD_LABELS)}.")],
    delivered_on: Annotated[
        str | None, typer.Option("--delivered-on", help="The day it was delivered (YYYY-MM-DD).")
    ] = None,
    deadline_days: Annotated[
        int | None, typer.Option("--deadline-days", min=0, help="The period given to pay, in days.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="The letter (PDF, scan): deposited in the evidence log.")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="demand (to the lessee) or guarantee_demand (to a guarantor).")
    ] = "demand",
    addressee: Annotated[
        str | None,
        typer.Option("--addressee", help="The guarantor (name or ID number) of a guarantee_demand."),
    ] = None,
    lessor: Annotated[str | None, typer.Option("--lessor", help="The contract's lessor (checked).")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a demand (催告) on a contract: the complaint states it and lists the letter as evidence."""
    from leaseguard.enforcement.records import NoticeError, record_notice

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    sent = parse_day(sent_on, "--sent-on")
    delivered = parse_day(delivered_on, "--delivered-on") if delivered_on else None
    signer = _signer(opened) if file is not None else None
    engine = opened.engine()
    try:
        recorded = record_notice(
            engine, signer, contract_no=contract_no, lessor=lessor, kind=kind, sent_on=sent,
            delivered_on=delivered, method=method, deadline_days=deadline_days, addressee=addressee, document=file,
        )  # fmt: skip
    except NoticeError as error:
        fail(
            Label("{contract_no}：{error}", "{contract_no}: {error}"),
            contract_no=contract_no, error=Label(error.text("zh"), error.text("en")),
        )  # fmt: skip
    finally:
        engine.dispose()
    console.print(_notice_line(recorded, chosen), highlight=False, soft_wrap=True)


def _notice_line(recorded: NoticeOnFile, lang: Lang) -> str:
    """A recorded demand in one line: to whom, sent how and when, delivered, the period to pay, its evidence."""
    zh = lang == "zh"
    what = (
        ("催告" if zh else "demand")
        if recorded.kind == "demand"
        else (
            f"向保证人{recorded.addressee}的催告" if zh else f"demand to the guarantor {recorded.addressee}"
        )
    )
    method = label_of(METHOD_LABELS, METHOD_LABELS_EN, recorded.method, lang)
    parts = [f"{recorded.sent_on} 以{method}发出" if zh else f"sent {recorded.sent_on} by {method}"]
    if recorded.delivered_on:
        parts.append(f"{recorded.delivered_on} 送达" if zh else f"delivered {recorded.delivered_on}")
    if recorded.deadline is not None and recorded.deadline_days:
        parts.append(f"付款期限至 {recorded.deadline}" if zh else f"to pay by {recorded.deadline}")
    if zh:
        line = f"{recorded.contract_no}：{what}已记录（{'，'.join(parts)}）"
    else:
        line = f"{recorded.contract_no}: {what} recorded ({', '.join(parts)})"
    if recorded.evidence_index is not None:
        line += (
            f"；催告函存证索引 {recorded.evidence_index}"
            if zh
            else f"; the letter's evidence index {recorded.evidence_index}"
        )
    return line


@cases_app.command("templates")
def templates_(
    out: Annotated[Path, typer.Option("--out", help="Folder to copy the shipped templates into.")],
    lang: LangOption = None,
) -> None:
    """Copy the shipped (Chinese) complaint template for editing; use the copy with `cases generate --templates`."""
    from leaseguard.enforcement.complaint import copy_shipped_templates

    chosen = chosen_lang(lang)
    copied = copy_shipped_templates(out)
    if not copied:
        console.print(
            Label("{out} 中已有模板，未覆盖任何文件", "{out} already has the templates; nothing was overwritten")
            .text(chosen, out=out), soft_wrap=True,
        )  # fmt: skip
    for path in copied:
        console.print(Label("已复制 {path}", "copied {path}").text(chosen, path=path), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app)
