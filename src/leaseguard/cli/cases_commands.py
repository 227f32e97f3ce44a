"""`leaseguard cases …`: what a lessor claims from a defaulted lease (more of enforcement to come)."""

from __future__ import annotations

import json
import signal
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
    parse_day,
    progress_bar,
)
from leaseguard.sheets import write_csv
from leaseguard.vocabulary import ACCELERATION, CLASSES, METHOD_LABELS, OPENED, REMEDIES, STAGE_LABELS, STAGES

if TYPE_CHECKING:
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
        fail(f"--remedy {remedy!r}: use {' or '.join(REMEDIES)}")


def _claim_rules(path: Path | None, opened: Workspace) -> ClaimRules:
    from leaseguard.enforcement.rules import ClaimRulesError
    from leaseguard.usecases.case_files import claim_rules

    try:
        return claim_rules(opened, path)
    except ClaimRulesError as error:
        fail(str(error))


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

    day = parse_day(as_of)
    _check_remedy(remedy)
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    try:
        rules_used = claim_rules(opened, rules)
        result = claim_on(opened, contract_no, day, rules=rules_used, remedy=remedy)
    except (LeaseguardError, ValueError) as error:
        fail(str(error))
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
        table.add_row(line.label, grouped_yuan(line.amount_fen), line.arithmetic)
    table.add_row("诉请合计" if zh else "claim", grouped_yuan(result.claim_fen), "")
    table.add_row("合计（含诉讼费用）" if zh else "total with costs", grouped_yuan(result.total_fen), "")
    console.print(table)
    for running in result.running:
        console.print(
            f"另：以{running.base_label}{grouped_yuan(running.base_fen)}元为基数，按{running.standard}，"
            f"自{running.since}起计算至实际清偿之日止"
        )
    for note in result.notes:
        console.print(f"提示：{note}")


def _signer(opened: Workspace) -> NoteSigner:
    from leaseguard.evidence import EvidenceError, log_settings

    try:
        return log_settings(opened).signer
    except EvidenceError as error:
        fail(str(error))


@cases_app.command("open")
def open_(
    contract_no: Annotated[str, typer.Argument(help="The defaulted contract.")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="The day the case opens; its claim is computed then.")
    ],
    rules: Annotated[Path | None, typer.Option(help="A claim-rules file (default: the shipped one).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Open an enforcement case: the claim on the day is stored with it and deposited in the evidence log."""
    from leaseguard.enforcement.claims import NotDefaultedError
    from leaseguard.enforcement.rules import ClaimRulesError
    from leaseguard.enforcement.service import CaseError, UnknownContractError, open_case
    from leaseguard.money import grouped_yuan

    day = parse_day(as_of)
    opened = open_workspace(workspace)
    claim_rules = _claim_rules(rules, opened)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        case_id, result = open_case(engine, contract_no, day, claim_rules, signer=signer)
    except (UnknownContractError, NotDefaultedError, CaseError, ClaimRulesError, ValueError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    console.print(
        f"case {case_id} opened for {contract_no} on {day}: claim {grouped_yuan(result.claim_fen)} yuan"
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
    workspace: WorkspaceOption = None,
) -> None:
    """Record a step of a case and the money it recovered; steps only move forward."""
    from leaseguard.enforcement.service import CaseError, UnknownCaseError, add_event
    from leaseguard.enforcement.tracking import CaseEventError
    from leaseguard.money import MoneyError, grouped_yuan, parse_fen

    day = parse_day(on, "--on")
    try:
        recovered_fen = parse_fen(recovered, where="--recovered")
    except MoneyError as error:
        fail(str(error))
    opened = open_workspace(workspace)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        add_event(engine, case_id, stage, day, recovered_fen, note, signer=signer,
                  over_claim_confirmed=confirm_over_claim)  # fmt: skip
    except (CaseError, CaseEventError, UnknownCaseError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    console.print(
        f"案件 {case_id}：{STAGE_LABELS.get(stage, stage)}（{stage}）{day}，回收 {grouped_yuan(recovered_fen)} 元"
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
    workspace: WorkspaceOption = None,
) -> None:
    """Correct a step recorded by mistake: a new ledger entry names the one it corrects and why, with the step as
    it should have been (the values not given are kept) or, with --withdraw, none. Nothing recorded is changed
    or deleted; the case's stage and recovery are computed without the corrected entry."""
    from leaseguard.enforcement.service import CaseError, UnknownCaseError, correct_event
    from leaseguard.enforcement.tracking import CaseEventError
    from leaseguard.money import MoneyError, grouped_yuan, parse_fen

    day = parse_day(on, "--on") if on is not None else None
    try:
        recovered_fen = parse_fen(recovered, where="--recovered") if recovered is not None else None
    except MoneyError as error:
        fail(str(error))
    opened = open_workspace(workspace)
    signer = _signer(opened)
    engine = opened.engine()
    try:
        done = correct_event(
            engine, case_id, entry, reason, stage=stage, event_date=day, recovered_fen=recovered_fen, note=note,
            withdraw=withdraw, signer=signer, over_claim_confirmed=confirm_over_claim,
        )  # fmt: skip
    except (CaseError, CaseEventError, UnknownCaseError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    what = "撤销" if done.withdrawn else "更正"
    console.print(
        f"案件 {case_id}：第 {done.entry} 条{what}第 {done.corrects} 条；现阶段 "
        f"{STAGE_LABELS.get(done.state.stage, done.state.stage)}（{done.state.stage}），"
        f"已回收 {grouped_yuan(done.state.recovered_fen)} 元"
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

    if stage is not None and stage not in (OPENED, *STAGES):
        fail(f"--stage {stage!r}: use one of {OPENED}, {', '.join(STAGES)}")
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
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
    workspace: WorkspaceOption = None,
) -> None:
    """Recovery rate and time to recovery by lessor, asset type, region and stage: CSV tables and PNG charts."""
    import polars as pl

    from leaseguard.analytics.book_data import read_contracts
    from leaseguard.analytics.dimensions import with_dimensions
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.enforcement.service import read_cases
    from leaseguard.enforcement.tracking import recovery_by
    from leaseguard.money import grouped_yuan, yuan_column

    day = parse_day(as_of)
    opened = open_workspace(workspace)
    engine = opened.engine()
    try:
        cases, events = read_cases(engine)
        rules = load_analytics_rules(None)
        dims = with_dimensions(read_contracts(engine), rules.provinces).select(
            "contract_no", "asset_type", "region"
        )
    finally:
        engine.dispose()
    if cases.is_empty():
        fail("no enforcement cases are stored: open one with `leaseguard cases open`")
    tables = recovery_by(cases, events, dims, day)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for dimension, table in tables.items():
        # People open these in Excel: amounts in yuan, never a `_fen` column.
        shown = table.with_columns(
            yuan_column(pl.col("claimed_fen")).alias("claimed_fen"),
            yuan_column(pl.col("recovered_fen")).alias("recovered_fen"),
        ).rename({"claimed_fen": "claimed", "recovered_fen": "recovered"})
        write_csv(shown, out / f"recovery_by_{dimension}.csv")
        figure, axes = plt.subplots(figsize=(7, 3.5))
        axes.bar([str(v) for v in table[dimension]], table["recovery_rate_percent"].fill_null(0).to_list())
        axes.set_ylabel("recovered, % of claim")
        axes.set_title(f"Recovery by {dimension} (to {day})")
        figure.autofmt_xdate()
        figure.tight_layout()
        figure.savefig(out / f"recovery_by_{dimension}.png", dpi=100)
        plt.close(figure)
    overall = tables["lessor"]
    claimed, recovered = int(overall["claimed_fen"].sum()), int(overall["recovered_fen"].sum())
    console.print(
        f"{cases.height:,} cases, claimed {grouped_yuan(claimed)}, recovered {grouped_yuan(recovered)} yuan "
        f"({(recovered * 100 / claimed) if claimed else 0:.1f} %) → {out}"
    )


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

    day = parse_day(as_of)
    _check_remedy(remedy)
    wanted: tuple[str, ...] | None = NON_PERFORMING
    if classes is not None:
        names = tuple(name.strip() for name in classes.split(",") if name.strip())
        unknown = [name for name in names if name not in (*CLASSES, "all")]
        if unknown or not names:
            fail(f"--class {classes!r}: use {', '.join(CLASSES)} or all")
        wanted = None if "all" in names else names
    if templates is not None and not templates.is_dir():
        fail(f"--templates {templates}: not a folder")
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        checked_environment(templates)
        rules_used = claim_rules(opened, rules)
        with progress_bar() as bar:
            task = bar.add_task("case files", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = generate_case_files(
                opened, day, out, rules=rules_used, lessor=lessor, classes=wanted, contracts=tuple(contracts or ()),
                templates=templates, progress=advance, workers=workers, remedy=remedy, lang=chosen,
            )  # fmt: skip
    except LeaseguardError as error:
        fail(str(error))
    except (_Stopped, KeyboardInterrupt) as stopped:
        # Each folder is written whole and each chunk's deposits in one transaction: a re-run finishes the rest.
        code = stopped.code if isinstance(stopped, _Stopped) else 130
        fail(
            f"stopped before the end; the case folders written so far are complete: re-run to finish {out}",
            code,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print(
        f"{summary.generated:,} case files written, {summary.skipped:,} skipped → {out} "
        f"(summary: {summary.summary_xlsx.name}, {summary.summary_csv.name})"
    )
    # Grouped by what went wrong (the reason's code), told by the first case's words.
    reasons: dict[str, tuple[int, str]] = {}
    for outcome in summary.outcomes:
        if outcome.status == SKIPPED and outcome.reasons:
            first = outcome.reasons[0]
            count, said = reasons.get(first.code, (0, outcome.reason_in(chosen)))
            reasons[first.code] = (count + 1, said)
    for count, said in sorted(reasons.values(), key=lambda item: -item[0])[:10]:
        console.print(f"  skipped {count:,}: {said}", highlight=False)


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum


def _stop(signum: int, _frame: object) -> None:
    raise _Stopped(signum)


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
    workspace: WorkspaceOption = None,
) -> None:
    """Record a demand (催告) on a contract: the complaint states it and lists the letter as evidence."""
    from leaseguard.enforcement.records import NoticeError, record_notice

    sent = parse_day(sent_on, "--sent-on")
    delivered = parse_day(delivered_on, "--delivered-on") if delivered_on else None
    opened = open_workspace(workspace)
    signer = _signer(opened) if file is not None else None
    engine = opened.engine()
    try:
        recorded = record_notice(
            engine, signer, contract_no=contract_no, lessor=lessor, kind=kind, sent_on=sent,
            delivered_on=delivered, method=method, deadline_days=deadline_days, addressee=addressee, document=file,
        )  # fmt: skip
    except NoticeError as error:
        fail(f"{contract_no}: {error}")
    finally:
        engine.dispose()
    what = "催告" if recorded.kind == "demand" else f"向保证人{recorded.addressee}的催告"
    line = f"{contract_no}: {what}已记录（{recorded.sent_on} 以{METHOD_LABELS[recorded.method]}发出"
    if recorded.delivered_on:
        line += f"，{recorded.delivered_on} 送达"
    if recorded.deadline is not None and recorded.deadline_days:
        line += f"，付款期限至 {recorded.deadline}"
    line += "）"
    if recorded.evidence_index is not None:
        line += f"；催告函存证索引 {recorded.evidence_index}"
    console.print(line)


@cases_app.command("templates")
def templates_(
    out: Annotated[Path, typer.Option("--out", help="Folder to copy the shipped templates into.")],
) -> None:
    """Copy the shipped (Chinese) complaint template for editing; use the copy with `cases generate --templates`."""
    from leaseguard.enforcement.complaint import copy_shipped_templates

    copied = copy_shipped_templates(out)
    if not copied:
        console.print(f"{out} already has the templates; nothing was overwritten")
    for path in copied:
        console.print(f"copied {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app)
