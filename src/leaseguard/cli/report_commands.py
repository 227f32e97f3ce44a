"""`leaseguard report regulatory`: every indicator of a rule set against its limit, filed once and written in
every format asked for; `report what-if`: which indicators a new contract would move; `report balance-sheet`:
the XLSX template a finance team fills in (`--template`), or a synthetic one for demos."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
)
from leaseguard.vocabulary import INDICATOR_RULE_SETS as SHIPPED
from leaseguard.vocabulary import Label, Lang

if TYPE_CHECKING:
    from leaseguard.errors import LeaseguardError
    from leaseguard.indicators.balance_sheet import BalanceSheet
    from leaseguard.indicators.engine import IndicatorReport
    from leaseguard.indicators.output import Signature
    from leaseguard.indicators.rules import IndicatorRuleSet
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


DRAFT_HINT = Label(
    "（如仍要写出标为 DRAFT 的报告，请用 --draft）", " (use --draft to write a report marked DRAFT anyway)"
)
NO_SUCH_LESSOR = Label(
    "--lessor {lessor!r}：库中没有该出租人（见 `leaseguard lessors list`）",
    "--lessor {lessor!r}: no such lessor in the store (see `leaseguard lessors list`)",
)


def _said(error: LeaseguardError) -> Label:
    """An error's words in both languages, to say inside a longer line."""
    return Label(error.text("zh"), error.text("en"))


def _fail_with_hint(error: LeaseguardError, draft: bool) -> NoReturn:
    """The error, and unless the report is a draft already, that --draft writes one anyway."""
    fail(
        Label("{error}{hint}", "{error}{hint}"),
        error=_said(error),
        hint=Label("", "") if draft else DRAFT_HINT,
    )


def _margin(value: float | None) -> Decimal | None:
    if value is None:
        return None
    if not 0 <= value <= 1:
        fail(
            Label(
                "--margin {value}：应为 0 到 1 之间的比例", "--margin {value}: must be a share from 0 to 1"
            ),
            value=value,
        )
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
        _fail_with_hint(error, draft)
    if sheet.as_of != day:
        fail(
            Label(
                "{path}：as_of {as_of} 不是报告日期 {day}",
                "{path}: as_of {as_of} is not the reporting date {day}",
            ),
            path=path,
            as_of=sheet.as_of,
            day=day,
        )
    if lessor is not None and sheet.lessor != lessor:
        fail(
            Label(
                "{path}：lessor {found!r} 不是 --lessor {lessor!r}；请提供该出租人的资产负债表",
                "{path}: lessor {found!r} is not --lessor {lessor!r}; give that lessor's balance sheet",
            ),
            path=path,
            found=sheet.lessor,
            lessor=lessor,
        )
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
            fail(
                Label(
                    "--lessor：库中有 {count} 个出租人（{codes}），请指定一个",
                    "--lessor: the store holds {count} lessors ({codes}); name one",
                ),
                count=len(lessors),
                codes=", ".join(sorted(lessors)),
            )
        lessor = next(iter(lessors), None)
    elif lessor not in lessors:
        fail(NO_SUCH_LESSOR, lessor=lessor)
    if rules is not None:
        return lessor, rules
    if lessor is None:
        fail(
            Label(
                "--rules：库中没有可据其监管类别选定指标体系的出租人；请指定 --rules",
                "--rules: the store holds no lessor whose regime could choose the rule set; name --rules",
            )
        )
    regime = (lessors[lessor].extra or {}).get("regime")
    try:
        return lessor, default_rule_set_for(regime, opened.setting("indicators", "default_rules"))
    except IndicatorRulesError as error:
        fail(Label("出租人 {lessor}：{error}", "lessor {lessor}: {error}"), lessor=lessor, error=_said(error))


def _rule_set(rules: str) -> IndicatorRuleSet:
    from leaseguard.indicators.rules import IndicatorRulesError, load_rule_set

    try:
        return load_rule_set(rules)
    except IndicatorRulesError as error:
        fail(error)


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
        _fail_with_hint(error, draft)
    finally:
        engine.dispose()


def _formats(value: str) -> list[str]:
    from leaseguard.indicators.output import FORMATS

    chosen: list[str] = []
    for part in value.split(","):
        fmt = part.strip().lower()
        if fmt not in FORMATS:
            fail(
                Label(
                    "--format {given!r}：请从 {formats} 中选一种（或用逗号分隔多种：html,xlsx,pdf）",
                    "--format {given!r}: choose one of {formats} (or several: html,xlsx,pdf)",
                ),
                given=part.strip(),
                formats=", ".join(FORMATS),
            )
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
                Label(
                    "--out {out}：{fmt} 报告应写入 {extension} 文件（文件即其名称所示）",
                    "--out {out}: a {fmt} report is written to a {extension} file (a file is what its name says)",
                ),
                out=out,
                fmt=fmt,
                extension=EXTENSIONS[fmt][0],
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
        fail(
            Label(
                "{option} {value!r}：应为 姓名，或 姓名,YYYY-MM-DD（签署日期）",
                "{option} {value!r}: NAME, or NAME,YYYY-MM-DD with the date signed",
            ),
            option=option,
            value=value,
        )
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

    opened = open_workspace(workspace)
    language = chosen_lang(lang, opened)
    formats = _formats(fmt)
    sign_off = SignOff(
        _signature(prepared_by, "--prepared-by"), _signature(reviewed_by, "--reviewed-by"),
        _signature(approved_by, "--approved-by"),
    )  # fmt: skip
    day = parse_day(as_of)
    lessor, rules = _lessor_and_rules(opened, lessor, rules)
    sheet = _sheet(opened, day, balance_sheet, draft, lessor)
    rule_set = _rule_set(rules)
    targets = _targets(out, formats, f"regulatory-{rule_set.id}-{sheet.lessor}-{day.isoformat()}")
    try:
        signer = log_settings(opened).signer
    except (EvidenceError, WorkspaceError) as error:
        fail(error)
    request = FilingRequest(
        ReportRequest(sheet.lessor, day, rule_set, sheet, _margin(margin), draft), tuple(targets), language,
        sign_off, "leaseguard cli",
    )  # fmt: skip
    engine = opened.engine()
    try:
        filed = file_regulatory_report(engine, request, signer=signer)
    except (IndicatorInputError, MissingInputError) as error:
        _fail_with_hint(error, draft)
    except (ReportFileError, EvidenceError) as error:
        fail(error)
    finally:
        engine.dispose()
    report = filed.report
    console.print(_table(report, language, filed.lessor_name))
    alerts = report.alerts()
    if alerts:
        console.print(
            Label(
                "[bold]{count} 项预警[/]（{alerts}）已记入存证日志，起始索引 {index}",
                "[bold]{count} alert(s)[/] ({alerts}) recorded in the evidence log from index {index}",
            ).text(
                language,
                count=len(alerts),
                alerts=("，" if language == "zh" else ", ").join(
                    _status_of(a.id, a.status, language) for a in alerts
                ),
                index=filed.evidence_index,
            )
        )
    written = ", ".join(str(path) for path, _ in filed.files)
    draft_word = Label("DRAFT 草稿 ", "DRAFT ").text(language) if report.draft else ""
    console.print(
        Label("{draft}报告 {report_id} → {written}", "{draft}report {report_id} → {written}").text(
            language, draft=draft_word, report_id=filed.report_id, written=written
        ),
        soft_wrap=True,
    )


def _status_of(indicator: str, status: str, lang: Lang) -> str:
    """An indicator's status in words: `id：预警` / `id: Warning`."""
    from leaseguard.indicators.output import STATUS_LABELS

    words = STATUS_LABELS[status].text(lang) if status in STATUS_LABELS else status
    return f"{indicator}：{words}" if lang == "zh" else f"{indicator}: {words}"


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
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """If we fund this contract (with borrowed money), which indicators move and by how much."""
    from leaseguard.indicators.engine import MissingInputError
    from leaseguard.indicators.output import STATUS_LABELS, WORDS, show_value
    from leaseguard.indicators.service import IndicatorInputError
    from leaseguard.money import grouped_yuan
    from leaseguard.usecases.regulatory_report import (
        ReportRequest,
        WhatIfFieldError,
        WhatIfRequest,
        new_contract,
    )
    from leaseguard.usecases.regulatory_report import what_if as what_if_report

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    given = {
        "lessee_id": lessee_id, "principal": principal, "lessee_name": lessee_name, "lessee_type": lessee_type,
        "group_id": group_id, "enterprise_size": enterprise_size,
    }  # fmt: skip
    try:
        new = new_contract(
            lessee_id=lessee_id, principal=principal, lessee_name=lessee_name, lessee_type=lessee_type,
            group_id=group_id, related_party=related_party, enterprise_size=enterprise_size,
        )  # fmt: skip
    except WhatIfFieldError as error:
        fail(
            Label("--{option} {given!r}：{error}", "--{option} {given!r}: {error}"),
            option=error.field.replace("_", "-"),
            given=given.get(error.field) or "",
            error=_said(error),
        )
    amount = new.principal_fen
    day = parse_day(as_of)
    sheet = _sheet(opened, day, balance_sheet, False)
    request = WhatIfRequest(ReportRequest(sheet.lessor, day, _rule_set(rules), sheet, _margin(margin)), new)
    engine = opened.engine()
    try:
        outcome = what_if_report(engine, request)
    except (IndicatorInputError, MissingInputError) as error:
        _fail_with_hint(error, False)
    finally:
        engine.dispose()
    title = Label(
        "假如 {lessor} 向 {lessee_id} 投放 {principal} 元",
        "what if {lessor} funds {principal} yuan to {lessee_id}",
    )
    table = Table(
        title=title.text(chosen, lessor=sheet.lessor, principal=grouped_yuan(amount), lessee_id=lessee_id)
    )
    table.add_column(WORDS["id"].text(chosen))
    for key in ("now", "after", "move", "status_now", "status_after"):
        table.add_column(
            WHAT_IF_WORDS[key].text(chosen), justify="left" if key.startswith("status") else "right"
        )

    def status(code: str) -> str:
        return STATUS_LABELS[code].text(chosen) if code in STATUS_LABELS else code

    for m in outcome.moves:
        if not m.moved:
            continue
        b, a = m.before, m.after
        table.add_row(
            b.id,
            show_value(b, b.value),
            show_value(a, a.value),
            show_value(a, m.move),
            status(b.status),
            status(a.status),
        )
    console.print(table)


WHAT_IF_WORDS = {
    "now": Label("当前", "now"),
    "after": Label("投放后", "after"),
    "move": Label("变动", "move"),
    "status_now": Label("当前状态", "status now"),
    "status_after": Label("投放后状态", "status after"),
}


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
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The balance-sheet template to fill in Excel (--template), or a synthetic balance sheet consistent with the
    stored book of a day (for demos and tests)."""
    if template:
        _template(out, as_of, lessor, workspace, lang)
        return
    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    if as_of is None or lessor is None:
        fail(
            Label(
                "生成合成资产负债表须给出 --as-of 和 --lessor（或用 --template）",
                "--as-of and --lessor are required for a synthetic balance sheet (or give --template)",
            )
        )
    if out.suffix.lower() not in (".yaml", ".yml", ".xlsx"):
        fail(
            Label(
                "--out {out}：资产负债表应写入 .xlsx 或 .yaml 文件",
                "--out {out}: a balance sheet is written to a .xlsx or .yaml file",
            ),
            out=out,
        )
    import polars as pl

    from leaseguard.indicators.balance_sheet import write_balance_sheet
    from leaseguard.indicators.service import IndicatorInputError, read_book
    from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet

    day = parse_day(as_of)
    engine = opened.engine()
    try:
        book = read_book(engine, lessor, day)
    except IndicatorInputError as error:
        fail(error)
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
        fail(
            Label(
                "{out}：无法写出资产负债表（{reason}）", "{out}: cannot write the balance sheet ({reason})"
            ),
            out=out,
            reason=error.strerror or error,
        )
    console.print(
        Label(
            "{lessor} 在 {day} 的合成资产负债表 → {out}",
            "synthetic balance sheet of {lessor} on {day} → {out}",
        ).text(chosen, lessor=lessor, day=day, out=out),
        soft_wrap=True,
    )


def _template(
    out: Path, as_of: str | None, lessor: str | None, workspace: Path | None, lang: str | None
) -> None:
    from leaseguard.indicators.balance_sheet import write_balance_sheet_template

    # The workspace is needed only to name the lessor; without one the run speaks --lang or Chinese.
    opened = open_workspace(workspace) if lessor is not None else None
    chosen = chosen_lang(lang, opened)
    if out.suffix.lower() != ".xlsx":
        fail(
            Label(
                "--out {out}：模板是工作簿，应写入 .xlsx 文件",
                "--out {out}: the template is a workbook, written to a .xlsx file",
            ),
            out=out,
        )
    day = parse_day(as_of) if as_of is not None else None
    name = ""
    if opened is not None and lessor is not None:
        from leaseguard.tenancy.service import lessor_name

        engine = opened.engine()
        try:
            name = lessor_name(engine, lessor)
        finally:
            engine.dispose()
        if not name:
            fail(NO_SUCH_LESSOR, lessor=lessor)
    try:
        write_balance_sheet_template(out, lessor=lessor or "", lessor_name=name, as_of=day)
    except OSError as error:
        fail(
            Label("{out}：无法写出模板（{reason}）", "{out}: cannot write the template ({reason})"),
            out=out,
            reason=error.strerror or error,
        )
    then = Label(
        "；请填写 C 列，然后运行 `leaseguard report regulatory --balance-sheet {out}`",
        "; fill in column C, then `leaseguard report regulatory --balance-sheet {out}`",
    )
    written = (
        Label("{lessor} 的资产负债表模板 → {out}", "balance-sheet template of {lessor} → {out}")
        if lessor
        else Label("资产负债表模板 → {out}", "balance-sheet template → {out}")
    )
    said = Label(written.zh + then.zh, written.en + then.en)
    console.print(said.text(chosen, lessor=lessor, out=out), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app)


__all__ = ["register"]
