"""`leaseguard report regulatory`: every indicator of a rule set against its limit, written as a report;
`report what-if`: which indicators a new contract would move; `report balance-sheet`: a synthetic one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace, parse_day
from leaseguard.vocabulary import INDICATOR_RULE_SETS as SHIPPED

if TYPE_CHECKING:
    from leaseguard.indicators.balance_sheet import BalanceSheet
    from leaseguard.indicators.engine import IndicatorReport
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
        help="Balance-sheet file of the date (default: <workspace>/balance-sheets/<DATE>.yaml).",
        show_default=False,
    ),
]
MarginOption = Annotated[
    float | None,
    typer.Option("--margin", help="Warning margin as a share of the limit (default: the rule set's)."),
]
STATUS_STYLE = {"ok": "green", "warning": "yellow", "breach": "bold red", "missing_input": "magenta"}


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
        own = folder / lessor / f"{day.isoformat()}.yaml" if lessor else None
        path = own if own is not None and own.is_file() else folder / f"{day.isoformat()}.yaml"
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


def _compute(
    opened: Workspace, day: dt.date, rules: str, sheet: BalanceSheet, margin: Decimal | None, draft: bool
) -> IndicatorReport:
    from leaseguard.indicators.engine import MissingInputError, compute_report
    from leaseguard.indicators.rules import IndicatorRulesError, load_risk_weights, load_rule_set
    from leaseguard.indicators.service import IndicatorInputError, previous_values, read_book

    try:
        rule_set = load_rule_set(rules)
        weights = load_risk_weights()
    except IndicatorRulesError as error:
        fail(str(error))
    engine = opened.engine()
    try:
        book = read_book(engine, sheet.lessor, day)
        before_day, before = previous_values(engine, sheet.lessor, rule_set.id, day)
        return compute_report(
            rule_set, sheet, book, weights, as_of=day, margin=margin, draft=draft,
            previous=before, previous_as_of=before_day,
        )  # fmt: skip
    except (IndicatorInputError, MissingInputError) as error:
        fail(str(error) + ("" if draft else " (use --draft to write a report marked DRAFT anyway)"))
    finally:
        engine.dispose()


def _table(report: IndicatorReport) -> Table:
    from leaseguard.indicators.output import show_value

    title = ("DRAFT — " if report.draft else "") + f"{report.rule_set.id} · {report.lessor} · {report.as_of}"
    table = Table(title=title)
    for column in ("indicator", "value", "limit", "headroom", "status", "change"):
        table.add_column(column, justify="left" if column in ("indicator", "status") else "right")
    for r in report.results:
        limit = "—" if r.limit is None else f"{r.comparison} {show_value(r, r.limit)}"
        style = STATUS_STYLE.get(r.status, "")
        table.add_row(
            r.id, show_value(r, r.value), limit, show_value(r, r.headroom),
            f"[{style}]{r.status}[/]" if style else r.status, show_value(r, r.change),
        )  # fmt: skip
    return table


@report_app.command("regulatory")
def regulatory(
    as_of: AsOf,
    rules: OptionalRules = None,
    lessor: LessorOption = None,
    fmt: Annotated[str, typer.Option("--format", help="json, html, xlsx or pdf.")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: in the current folder).")
    ] = None,
    balance_sheet: SheetOption = None,
    margin: MarginOption = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Write a report from missing or inconsistent data, marked DRAFT.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Every indicator of a rule set with value, limit, headroom, status, top contributors and the change since
    the last filed report; alerts (warning or breach) go into the evidence log with the report."""
    from leaseguard.evidence.service import EvidenceError, log_settings
    from leaseguard.indicators.output import FORMATS, write_report
    from leaseguard.indicators.service import save_report
    from leaseguard.store.db import session_factory
    from leaseguard.workspace import WorkspaceError

    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    day = parse_day(as_of)
    opened = open_workspace(workspace)
    lessor, rules = _lessor_and_rules(opened, lessor, rules)
    sheet = _sheet(opened, day, balance_sheet, draft, lessor)
    report = _compute(opened, day, rules, sheet, _margin(margin), draft)
    try:
        signer = log_settings(opened).signer
    except (EvidenceError, WorkspaceError) as error:
        fail(str(error))
    target = out or Path(f"regulatory-{report.rule_set.id}-{report.lessor}-{day.isoformat()}.{fmt}")
    engine = opened.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            row = save_report(session, report, sheet.as_json(), signer=signer, produced_by="leaseguard cli")
            # Written inside the transaction: if the file cannot be written, the report and alerts are not kept.
            try:
                write_report(report, target, fmt)
            except OSError as error:
                fail(f"{target}: cannot write the report ({error.strerror or error})")
    except EvidenceError as error:
        fail(str(error))
    finally:
        engine.dispose()
    console.print(_table(report))
    alerts = report.alerts()
    if alerts:
        console.print(
            f"[bold]{len(alerts)} alert(s)[/] ({', '.join(a.id + ': ' + a.status for a in alerts)}) "
            f"recorded in the evidence log from index {row.evidence_index}"
        )
    console.print(f"{'DRAFT ' if report.draft else ''}report {row.id} → {target}")


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
    as_of: AsOf,
    lessor: Annotated[str, typer.Option("--lessor", help="Lessor whose book it is sized on.")],
    out: Annotated[Path, typer.Option("--out", help="YAML file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    workspace: WorkspaceOption = None,
) -> None:
    """A synthetic balance sheet consistent with the stored book of a day (for demos and tests)."""
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


def register(app: typer.Typer) -> None:
    app.add_typer(report_app)


__all__ = ["register"]
