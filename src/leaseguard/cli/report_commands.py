"""`leaseguard report regulatory`: every indicator of a rule set against its limit, filed once and written in
every format asked for; `report what-if`: which indicators a new contract would move; `report balance-sheet`:
the XLSX template a finance team fills in (`--template`), or a synthetic one for demos."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
)
from leaseguard.vocabulary import INDICATOR_RULE_SETS as SHIPPED

if TYPE_CHECKING:
    from leaseguard.indicators.balance_sheet import BalanceSheet
    from leaseguard.indicators.engine import IndicatorReport
    from leaseguard.indicators.output import Signature
    from leaseguard.indicators.rules import IndicatorRuleSet
    from leaseguard.vocabulary import Lang
    from leaseguard.workspace import Workspace


report_app = typer.Typer(name="report", help="Regulatory reports over the book.", no_args_is_help=True)

AsOf = Annotated[
    str, typer.Option("--as-of", help="Reporting date (YYYY-MM-DD); the book's daily run of it.")
]
Rules = Annotated[str, typer.Option("--rules", help=f"Rule set: {', '.join(SHIPPED)}, or a rule-set file.")]
OptionalRules = Annotated[
    str | None,
    typer.Option(
        "--rules",
        help=f"Rule set: {', '.join(SHIPPED)}, or a rule-set file (default: the one of the lessor's regime).",
        show_default=False,
    ),
]
LessorOption = Annotated[
    str | None,
    typer.Option(
        "--lessor",
        help="The lessor reported on: its balance sheet and book only (required when the store holds several).",
        show_default=False,
    ),
]
SheetOption = Annotated[
    Path | None,
    typer.Option(
        "--balance-sheet",
        help="Balance-sheet file of the date: the XLSX template filled in (report balance-sheet --template) or "
        "YAML (default: <workspace>/balance-sheets/[<LESSOR>/]<DATE>.yaml or .xlsx).",
        show_default=False,
    ),
]
MarginOption = Annotated[
    float | None,
    typer.Option("--margin", help="Warning margin as a share of the limit (default: the rule set's)."),
]
STATUS_STYLE = {"ok": "green", "warning": "yellow", "breach": "bold red", "missing_input": "magenta"}
SignerOption = "NAME, or NAME,YYYY-MM-DD with the date signed; blank lines to sign on when not given."
EXTENSIONS = {"json": (".json",), "html": (".html", ".htm"), "xlsx": (".xlsx",), "pdf": (".pdf",)}


def _margin(value: float | None) -> Decimal | None:
    if value is None:
        return None
    if not 0 <= value <= 1:
        fail(f"--margin {value}: must be a share from 0 to 1")
    return Decimal(str(value))


def _sheet(
    opened: Workspace, day: dt.date, path: Path | None, draft: bool, lessor: str | None = None
) -> BalanceSheet:
    from leaseguard.indicators.balance_sheet import BalanceSheetError, read_balance_sheet

    if path is None:
        folder = opened.root / "balance-sheets"
        places = [folder / lessor] if lessor else []
        candidates = [
            place / f"{day.isoformat()}{suffix}"
            for place in (*places, folder)
            for suffix in (".yaml", ".xlsx")
        ]
        path = next((c for c in candidates if c.is_file()), candidates[-2])
    try:
        sheet = read_balance_sheet(path, draft=draft)
    except BalanceSheetError as error:
        fail(str(error) + ("" if draft else " (use --draft to write a report marked DRAFT anyway)"))
    if sheet.as_of != day:
        fail(f"{path}: as_of {sheet.as_of} is not the reporting date {day}")
    if lessor is not None and sheet.lessor != lessor:
        fail(f"{path}: lessor {sheet.lessor!r} is not --lessor {lessor!r}; give that lessor's balance sheet")
    return sheet


def _lessor_and_rules(opened: Workspace, lessor: str | None, rules: str | None) -> tuple[str | None, str]:
    """The lessor reported on and its rule set: --rules, else the one of the lessor's regime."""
    from leaseguard.indicators.rules import IndicatorRulesError, default_rule_set_for
    from leaseguard.store.db import session_factory
    from leaseguard.tenancy import list_lessors

    engine = opened.engine()
    try:
        with session_factory(engine)() as session:
            lessors = {row.code: row for row in list_lessors(session)}
    finally:
        engine.dispose()
    if lessor is None:
        if len(lessors) > 1:
            fail(f"--lessor: the store holds {len(lessors)} lessors ({', '.join(sorted(lessors))}); name one")
        lessor = next(iter(lessors), None)
    elif lessor not in lessors:
        fail(f"--lessor {lessor!r}: no such lessor in the store (see `leaseguard lessors list`)")
    if rules is not None:
        return lessor, rules
    if lessor is None:
        fail("--rules: the store holds no lessor whose regime could choose the rule set; name --rules")
    regime = (lessors[lessor].extra or {}).get("regime")
    try:
        return lessor, default_rule_set_for(regime, opened.setting("indicators", "default_rules"))
    except IndicatorRulesError as error:
        fail(f"lessor {lessor}: {error}")


def _rule_set(rules: str) -> IndicatorRuleSet:
    from leaseguard.indicators.rules import IndicatorRulesError, load_rule_set

    try:
        return load_rule_set(rules)
    except IndicatorRulesError as error:
        fail(str(error))


def _compute(
    opened: Workspace, day: dt.date, rules: str, sheet: BalanceSheet, margin: Decimal | None, draft: bool
) -> IndicatorReport:
    from leaseguard.indicators.engine import MissingInputError
    from leaseguard.indicators.service import IndicatorInputError
    from leaseguard.usecases.regulatory_report import ReportRequest, compute_regulatory_report

    request = ReportRequest(sheet.lessor, day, _rule_set(rules), sheet, margin, draft)
    engine = opened.engine()
    try:
        return compute_regulatory_report(engine, request)
    except (IndicatorInputError, MissingInputError) as error:
        fail(str(error) + ("" if draft else " (use --draft to write a report marked DRAFT anyway)"))
    finally:
        engine.dispose()


def _formats(value: str) -> list[str]:
    from leaseguard.indicators.output import FORMATS

    chosen: list[str] = []
    for part in value.split(","):
        fmt = part.strip().lower()
        if fmt not in FORMATS:
            fail(f"--format {part.strip()!r}: choose one of {', '.join(FORMATS)} (or several: html,xlsx,pdf)")
        if fmt not in chosen:
            chosen.append(fmt)
    return chosen


def _targets(out: Path | None, formats: list[str], stem: str) -> list[tuple[str, Path]]:
    """Where each format goes: --out itself for one format (its extension is the format's), --out with each
    format's extension for several, a folder's default names, or the default names here."""
    if out is None or out.is_dir():
        folder = out or Path()
        return [(fmt, folder / f"{stem}.{fmt}") for fmt in formats]
    known = {suffix: fmt for fmt, suffixes in EXTENSIONS.items() for suffix in suffixes}
    suffix = out.suffix.lower()
    if len(formats) == 1:
        fmt = formats[0]
        if suffix in EXTENSIONS[fmt]:
            return [(fmt, out)]
        if suffix in known or suffix:
            fail(
                f"--out {out}: a {fmt} report is written to a {EXTENSIONS[fmt][0]} file (a file is what its name says)"
            )
        return [(fmt, out.with_name(f"{out.name}.{fmt}"))]
    base = out.with_suffix("") if suffix in known else out
    return [(fmt, base.with_name(f"{base.name}.{fmt}")) for fmt in formats]


def _signature(value: str | None, option: str) -> Signature:
    from leaseguard.indicators.output import Signature

    if value is None or not value.strip():
        return Signature()
    name, _, day = value.partition(",")
    if not name.strip():
        fail(f"{option} {value!r}: {SignerOption}")
    return Signature(name.strip(), parse_day(day.strip(), option) if day.strip() else None)


def _table(report: IndicatorReport, lang: Lang, lessor_name: str = "") -> Table:
    from leaseguard.indicators.output import COMPARISON_SIGNS, STATUS_LABELS, WORDS, show_value

    lessor = f"{lessor_name}（{report.lessor}）" if lessor_name else report.lessor
    draft = WORDS["draft_title"].text(lang) if report.draft else ""
    table = Table(title=f"{draft}{report.rule_set.id} · {lessor} · {report.as_of}")
    for key in ("id", "value", "limit", "headroom", "status", "change"):
        table.add_column(WORDS[key].text(lang), justify="left" if key in ("id", "status") else "right")
    for r in report.results:
        sign = COMPARISON_SIGNS.get(r.comparison, r.comparison)
        limit = "—" if r.limit is None else f"{sign} {show_value(r, r.limit)}"
        style = STATUS_STYLE.get(r.status, "")
        status = STATUS_LABELS[r.status].text(lang) if r.status in STATUS_LABELS else r.status
        table.add_row(
            r.id, show_value(r, r.value), limit, show_value(r, r.headroom),
            f"[{style}]{status}[/]" if style else status, show_value(r, r.change),
        )  # fmt: skip
    return table


@report_app.command("regulatory")
def regulatory(
    as_of: AsOf,
    rules: OptionalRules = None,
    lessor: LessorOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="json, html, xlsx or pdf, or several separated by commas: html,xlsx,pdf."
        ),
    ] = "html",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write (its extension is the format's); with several formats the name without extension "
            "or a folder (default: regulatory-<RULES>-<LESSOR>-<DATE>.<FORMAT> here).",
        ),
    ] = None,
    balance_sheet: SheetOption = None,
    margin: MarginOption = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Write a report from missing or inconsistent data, marked DRAFT.")
    ] = False,
    prepared_by: Annotated[str | None, typer.Option("--prepared-by", help=f"编制 — {SignerOption}")] = None,
    reviewed_by: Annotated[str | None, typer.Option("--reviewed-by", help=f"复核 — {SignerOption}")] = None,
    approved_by: Annotated[str | None, typer.Option("--approved-by", help=f"审批 — {SignerOption}")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Every indicator of a rule set with value, limit, headroom, status, top contributors and the change since
    the last filed report, filed once and written in every format asked for; the filing, its files and its
    alerts (warning or breach) go into the evidence log with the report."""
    from leaseguard.evidence.service import EvidenceError, log_settings
    from leaseguard.indicators.engine import MissingInputError
    from leaseguard.indicators.output import SignOff
    from leaseguard.indicators.service import IndicatorInputError
    from leaseguard.usecases.regulatory_report import (
        FilingRequest,
        ReportFileError,
        ReportRequest,
        file_regulatory_report,
    )
    from leaseguard.workspace import WorkspaceError

    formats = _formats(fmt)
    sign_off = SignOff(
        _signature(prepared_by, "--prepared-by"), _signature(reviewed_by, "--reviewed-by"),
        _signature(approved_by, "--approved-by"),
    )  # fmt: skip
    day = parse_day(as_of)
    opened = open_workspace(workspace)
    language = chosen_lang(lang, opened)
    lessor, rules = _lessor_and_rules(opened, lessor, rules)
    sheet = _sheet(opened, day, balance_sheet, draft, lessor)
    rule_set = _rule_set(rules)
    targets = _targets(out, formats, f"regulatory-{rule_set.id}-{sheet.lessor}-{day.isoformat()}")
    try:
        signer = log_settings(opened).signer
    except (EvidenceError, WorkspaceError) as error:
        fail(str(error))
    request = FilingRequest(
        ReportRequest(sheet.lessor, day, rule_set, sheet, _margin(margin), draft), tuple(targets), language,
        sign_off, "leaseguard cli",
    )  # fmt: skip
    engine = opened.engine()
    try:
        filed = file_regulatory_report(engine, request, signer=signer)
    except (IndicatorInputError, MissingInputError) as error:
        fail(str(error) + ("" if draft else " (use --draft to write a report marked DRAFT anyway)"))
    except (ReportFileError, EvidenceError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    report = filed.report
    console.print(_table(report, language, filed.lessor_name))
    alerts = report.alerts()
    if alerts:
        console.print(
            f"[bold]{len(alerts)} alert(s)[/] ({', '.join(a.id + ': ' + a.status for a in alerts)}) "
            f"recorded in the evidence log from index {filed.evidence_index}"
        )
    written = ", ".join(str(path) for path, _ in filed.files)
    console.print(f"{'DRAFT ' if report.draft else ''}report {filed.report_id} → {written}", soft_wrap=True)


@report_app.command("what-if")
def what_if(
    as_of: AsOf,
    rules: Rules,
    lessee_id: Annotated[str, typer.Option("--lessee-id", help="Lessee of the new contract.")],
    principal: Annotated[str, typer.Option("--principal", help="Amount financed, yuan.")],
    lessee_type: Annotated[
        str, typer.Option("--lessee-type", help="enterprise or individual.")
    ] = "enterprise",
    lessee_name: Annotated[str, typer.Option("--lessee-name")] = "",
    group_id: Annotated[str | None, typer.Option("--group-id")] = None,
    related_party: Annotated[bool, typer.Option("--related-party")] = False,
    enterprise_size: Annotated[str | None, typer.Option("--enterprise-size")] = None,
    balance_sheet: SheetOption = None,
    margin: MarginOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """If we fund this contract (with borrowed money), which indicators move and by how much."""
    from leaseguard.indicators.balance_sheet import BalanceSheetError, to_fen
    from leaseguard.indicators.engine import NewContract, compute_report, with_contract
    from leaseguard.indicators.output import show_value
    from leaseguard.indicators.rules import load_risk_weights
    from leaseguard.indicators.service import read_book

    if lessee_type not in ("enterprise", "individual"):
        fail(f"--lessee-type {lessee_type!r}: enterprise or individual")
    try:
        amount = to_fen(principal, "--principal")
    except BalanceSheetError as error:
        fail(str(error))
    if amount <= 0:
        fail("--principal must be above zero")
    day = parse_day(as_of)
    opened = open_workspace(workspace)
    sheet = _sheet(opened, day, balance_sheet, False)
    before = _compute(opened, day, rules, sheet, _margin(margin), False)
    new = NewContract(lessee_id, lessee_name, lessee_type, amount, group_id, related_party, enterprise_size)
    engine = opened.engine()
    try:
        book = read_book(engine, sheet.lessor, day)
    finally:
        engine.dispose()
    book_after, sheet_after = with_contract(book, sheet, new)
    after = compute_report(
        before.rule_set, sheet_after, book_after, load_risk_weights(), as_of=day, margin=_margin(margin)
    )
    table = Table(title=f"what if {sheet.lessor} funds {principal} yuan to {lessee_id}")
    for column in ("indicator", "now", "after", "move", "status now", "status after"):
        table.add_column(column)
    for b, a in zip(before.results, after.results, strict=True):
        move = None if a.value is None or b.value is None else a.value - b.value
        if move == 0 and a.status == b.status:
            continue
        table.add_row(
            b.id, show_value(b, b.value), show_value(a, a.value), show_value(a, move), b.status, a.status
        )
    console.print(table)


@report_app.command("balance-sheet")
def balance_sheet_command(
    out: Annotated[
        Path, typer.Option("--out", help="File to write: .xlsx (the template, filled or not) or .yaml.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Reporting date (YYYY-MM-DD); required without --template.", show_default=False
        ),
    ] = None,
    lessor: Annotated[
        str | None,
        typer.Option(
            "--lessor",
            help="Lessor whose balance sheet it is; required without --template.",
            show_default=False,
        ),
    ] = None,
    template: Annotated[
        bool,
        typer.Option(
            "--template",
            help="Write the empty XLSX template a finance team fills in Excel (then report regulatory "
            "--balance-sheet FILE.xlsx reads it); without it, a synthetic balance sheet sized on the book.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed (synthetic only).")] = 42,
    workspace: WorkspaceOption = None,
) -> None:
    """The balance-sheet template to fill in Excel (--template), or a synthetic balance sheet consistent with the
    stored book of a day (for demos and tests)."""
    if template:
        _template(out, as_of, lessor, workspace)
        return
    if as_of is None or lessor is None:
        fail("--as-of and --lessor are required for a synthetic balance sheet (or give --template)")
    if out.suffix.lower() not in (".yaml", ".yml", ".xlsx"):
        fail(f"--out {out}: a balance sheet is written to a .xlsx or .yaml file")
    import polars as pl

    from leaseguard.indicators.balance_sheet import write_balance_sheet
    from leaseguard.indicators.service import IndicatorInputError, read_book
    from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet

    day = parse_day(as_of)
    opened = open_workspace(workspace)
    engine = opened.engine()
    try:
        book = read_book(engine, lessor, day)
    except IndicatorInputError as error:
        fail(str(error))
    finally:
        engine.dispose()
    top = book.group_by("lessee_id").agg(pl.col("claim_balance_fen").sum()).sort("claim_balance_fen").tail(1)
    sheet = synthetic_balance_sheet(
        lessor, day,
        lease_receivables_fen=int(book["claim_balance_fen"].sum() or 0),
        required_provisions_fen=int(book["provision_fen"].sum() or 0),
        shareholder_ids=(*top["lessee_id"].to_list(), "SHAREHOLDER-2"), seed=seed,
        largest_exposures=book_exposures(book), npl_balance_fen=npl_balance(book),
    )  # fmt: skip
    try:
        write_balance_sheet(sheet, out)
    except OSError as error:
        fail(f"{out}: cannot write the balance sheet ({error.strerror or error})")
    console.print(f"synthetic balance sheet of {lessor} on {day} → {out}")


def _template(out: Path, as_of: str | None, lessor: str | None, workspace: Path | None) -> None:
    from leaseguard.indicators.balance_sheet import write_balance_sheet_template

    if out.suffix.lower() != ".xlsx":
        fail(f"--out {out}: the template is a workbook, written to a .xlsx file")
    day = parse_day(as_of) if as_of is not None else None
    name = ""
    if lessor is not None:
        from leaseguard.tenancy.service import lessor_name

        opened = open_workspace(workspace)
        engine = opened.engine()
        try:
            name = lessor_name(engine, lessor)
        finally:
            engine.dispose()
        if not name:
            fail(f"--lessor {lessor!r}: no such lessor in the store (see `leaseguard lessors list`)")
    try:
        write_balance_sheet_template(out, lessor=lessor or "", lessor_name=name, as_of=day)
    except OSError as error:
        fail(f"{out}: cannot write the template ({error.strerror or error})")
    console.print(f"balance-sheet template{' of ' + lessor if lessor else ''} → {out}; fill in column C, then "
                  f"`leaseguard report regulatory --balance-sheet {out}`")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(report_app)


__all__ = ["register"]
