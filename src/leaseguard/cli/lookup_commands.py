"""`leaseguard contract show NO` and `leaseguard lessee show ID_OR_NAME`: everything on file at one lessor, in
tables people read (Chinese by default, `--lang en`), or with `--json` the API's body. The case tables are
also what `cases list` and `cases show` print."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from leaseguard.cli.common import LangOption, WorkspaceOption, chosen_lang, console, fail, open_workspace
from leaseguard.vocabulary import (
    CLASS_LABELS,
    CLASS_LABELS_EN,
    DECISION_LABELS,
    DECISION_LABELS_EN,
    DOCUMENT_KIND_LABELS,
    METHOD_LABELS,
    METHOD_LABELS_EN,
    STAGE_LABELS,
    STAGE_LABELS_EN,
    TERM_LABELS,
    TERM_LABELS_EN,
    VERDICT_LABELS,
    VERDICT_LABELS_EN,
    Label,
    Lang,
    label_of,
)

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from leaseguard.usecases.lookup import (
        AssetBrief,
        CaseDetail,
        CaseSummary,
        ClassChangeOut,
        ClassOnDay,
        ContractDetail,
        LesseeDetail,
    )

contract_app = typer.Typer(
    name="contract", help="Look up a contract: terms, payments, assets, class, case.", no_args_is_help=True
)
lessee_app = typer.Typer(
    name="lessee", help="Look up a lessee: contracts, assets, classes, checks, cases.", no_args_is_help=True
)

LessorOption = Annotated[
    str | None,
    typer.Option(
        "--lessor",
        help="The lessor whose records to show (required when the store holds several).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON body instead of tables.")]

WORDS = {
    "contract": Label("合同", "Contract"),
    "lessor": Label("出租人", "Lessor"),
    "lessee": Label("承租人", "Lessee"),
    "terms": Label("合同要素", "Terms"),
    "item": Label("项目", "Item"),
    "value": Label("内容", "Value"),
    "start_date": Label("起租日", "Start date"),
    "term_months": Label("租赁期限（月）", "Term (months)"),
    "principal": Label("融资本金（元）", "Principal (yuan)"),
    "annual_rate": Label("年利率", "Annual rate"),
    "method": Label("租金计算方式", "Method"),
    "frequency": Label("支付频率", "Frequency"),
    "residual_value": Label("留购价款/残值（元）", "Residual value (yuan)"),
    "deposit": Label("保证金（元）", "Deposit (yuan)"),
    "paid": Label("已收租金（元）", "Paid (yuan)"),
    "paid_detail": Label("{count} 笔，最近 {last}", "{count} payments, last on {last}"),
    "class_now": Label("五级分类（{day}）", "Class ({day})"),
    "class": Label("五级分类", "Class"),
    "name": Label("名称", "Name"),
    "records": Label("记录", "On file"),
    "no_class": Label("尚未分类（未运行日终）", "Not yet classified (no daily run)"),
    "dpd": Label("逾期天数", "Days past due"),
    "outstanding": Label("未偿本金（元）", "Outstanding principal (yuan)"),
    "overdue": Label("逾期金额（元）", "Overdue (yuan)"),
    "provision": Label("减值准备（元）", "Provision (yuan)"),
    "rule": Label("依据规则", "Deciding rule"),
    "class_history": Label("分类变动", "Changes of class"),
    "date": Label("日期", "Date"),
    "from_class": Label("原分类", "From"),
    "to_class": Label("新分类", "To"),
    "new": Label("首次分类", "First classified"),
    "assets": Label("租赁物", "Assets"),
    "asset_id": Label("资产编号", "Asset"),
    "asset_type": Label("类型", "Type"),
    "identifier": Label("车架号/出厂编号", "VIN / serial"),
    "make": Label("厂商型号", "Make and model"),
    "invoice": Label("发票金额（元）", "Invoice (yuan)"),
    "contract_no": Label("合同编号", "Contract"),
    "case": Label("执行案件", "Enforcement case"),
    "cases": Label("执行案件", "Enforcement cases"),
    "case_id": Label("案件", "Case"),
    "opened_on": Label("立案准备日", "Opened"),
    "stage": Label("阶段", "Stage"),
    "claim": Label("诉请金额（元）", "Claim (yuan)"),
    "recovered": Label("已回收（元）", "Recovered (yuan)"),
    "closed_on": Label("结案日", "Closed"),
    "notices": Label("催告", "Demands"),
    "sent_on": Label("发出日", "Sent"),
    "delivered_on": Label("送达日", "Delivered"),
    "how": Label("方式", "Method"),
    "documents": Label("存证文件", "Documents on record"),
    "kind": Label("类别", "Kind"),
    "title": Label("名称", "Title"),
    "index": Label("存证索引", "Evidence index"),
    "contracts": Label("合同", "Contracts"),
    "checks": Label("权属查询", "Ownership checks"),
    "asked_at": Label("查询时间", "Asked at"),
    "verdict": Label("结论", "Verdict"),
    "reasons": Label("原因", "Reasons"),
    "credit": Label("授信决策", "Credit decisions"),
    "decision": Label("决策", "Decision"),
    "score": Label("评分", "Score"),
    "total_outstanding": Label("未偿本金合计（元）", "Outstanding principal in all (yuan)"),
    "entries": Label("案件台账", "Case ledger"),
    "entry": Label("序号", "No."),
    "note": Label("备注", "Note"),
    "correction": Label("更正", "Correction"),
    "corrects": Label("更正第 {n} 条：{reason}", "corrects no. {n}: {reason}"),
    "withdraws": Label("撤销第 {n} 条：{reason}", "withdraws no. {n}: {reason}"),
    "corrected_by": Label("已被第 {n} 条更正，不计入", "corrected by no. {n}; not counted"),
    "several": Label(
        "以下承租人均符合“{text}”，请用编号查询：", "Several lessees answer to {text!r}; give the id:"
    ),
    "matches": Label("合同 {contracts} 份，租赁物 {assets} 件", "{contracts} contracts, {assets} assets"),
    "none": Label("无", "none"),
}


# Codes of the data contracts shown as words (to move to leaseguard.vocabulary beside the class labels).
def word(key: str, lang: Lang, **params: object) -> str:
    return WORDS[key].text(lang, **params)


def _code(code: str, lang: Lang) -> str:
    return label_of(TERM_LABELS, TERM_LABELS_EN, code, lang)


def _class(code: str | None, lang: Lang) -> str:
    return word("new", lang) if code is None else label_of(CLASS_LABELS, CLASS_LABELS_EN, code, lang)


def stage_text(code: str | None, lang: Lang) -> str:
    return "—" if code is None else label_of(STAGE_LABELS, STAGE_LABELS_EN, code, lang)


def _yuan(fen: int | None) -> str:
    from leaseguard.money import grouped_yuan

    return "" if fen is None else grouped_yuan(fen)


def _percent(rate: str) -> str:
    from decimal import Decimal

    return f"{(Decimal(rate) * 100).normalize():f}%"


def print_json(answer: BaseModel) -> None:
    from leaseguard.usecases.lookup import json_body

    print(json.dumps(json_body(answer), ensure_ascii=False, indent=2))


def _table(title: str, headers: Sequence[tuple[str, str]]) -> Table:
    # In a narrow terminal the identifier (the first column) stays whole: a contract number cut short with "…"
    # cannot be looked up.
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for position, (header, justify) in enumerate(headers):
        table.add_column(header, justify=justify, no_wrap=position == 0)  # type: ignore[arg-type]
    return table


def _paren(first: object, second: object, lang: Lang) -> str:
    return f"{first}（{second}）" if lang == "zh" else f"{first} ({second})"


def _lessor_line(lessor: str, name: str, lang: Lang) -> str:
    return f"{word('lessor', lang)} {_paren(lessor, name, lang)}"


def class_table(day_class: ClassOnDay | None, lang: Lang) -> Table | str:
    if day_class is None:
        return word("no_class", lang)
    table = _table(
        word("class_now", lang, day=day_class.as_of),
        [(word("item", lang), "left"), (word("value", lang), "right")],
    )
    table.add_row(word("class_now", lang, day=day_class.as_of), _class(day_class.klass, lang))
    table.add_row(word("dpd", lang), str(day_class.dpd))
    table.add_row(word("outstanding", lang), _yuan(day_class.outstanding_principal_fen))
    table.add_row(word("overdue", lang), _yuan(day_class.overdue_amount_fen))
    table.add_row(word("provision", lang), _yuan(day_class.provision_fen))
    table.add_row(word("rule", lang), day_class.deciding_rule)
    return table


def history_table(changes: Sequence[ClassChangeOut], lang: Lang, *, with_contract: bool = False) -> Table:
    headers = [(word("date", lang), "left")]
    if with_contract:
        headers.append((word("contract_no", lang), "left"))
    headers += [
        (word("from_class", lang), "left"),
        (word("to_class", lang), "left"),
        (word("rule", lang), "left"),
    ]
    table = _table(word("class_history", lang), headers)
    for change in changes:
        cells = [str(change.as_of)] + ([change.contract_no] if with_contract else [])
        table.add_row(
            *cells, _class(change.from_class, lang), _class(change.to_class, lang), change.deciding_rule
        )
    return table


def assets_table(assets: Sequence[AssetBrief], lang: Lang) -> Table:
    table = _table(
        word("assets", lang),
        [
            (word("asset_id", lang), "left"),
            (word("asset_type", lang), "left"),
            (word("identifier", lang), "left"),
            (word("make", lang), "left"),
            (word("invoice", lang), "right"),
            (word("contract_no", lang), "left"),
        ],
    )
    for asset in assets:
        make = " ".join(part for part in (asset.manufacturer, asset.model) if part)
        table.add_row(
            asset.asset_id,
            _code(asset.asset_type, lang),
            asset.vin or asset.serial_no or "",
            make,
            _yuan(asset.invoice_amount_fen),
            asset.contract_no or "",
        )
    return table


def cases_table(cases: Sequence[CaseSummary], lang: Lang) -> Table:
    table = _table(
        word("cases", lang),
        [
            (word("case_id", lang), "right"),
            (word("contract_no", lang), "left"),
            (word("lessee", lang), "left"),
            (word("opened_on", lang), "left"),
            (word("stage", lang), "left"),
            (word("claim", lang), "right"),
            (word("recovered", lang), "right"),
            (word("closed_on", lang), "left"),
        ],
    )
    for case in cases:
        table.add_row(
            str(case.case_id),
            case.contract_no,
            case.lessee_name,
            str(case.opened_on),
            stage_text(case.stage, lang),
            _yuan(case.claim_fen),
            _yuan(case.recovered_fen),
            str(case.closed_on or ""),
        )
    return table


def print_case(case: CaseDetail, lang: Lang) -> None:
    console.print(
        f"{word('case_id', lang)} {case.case_id} · {word('contract_no', lang)} {case.contract_no} · "
        f"{word('lessee', lang)} {_paren(case.lessee_name, case.lessee_id, lang)} · "
        f"{_lessor_line(case.lessor, case.lessor_name, lang)}",
        highlight=False,
    )
    console.print(cases_table([case], lang))
    table = _table(
        word("entries", lang),
        [
            (word("entry", lang), "right"),
            (word("date", lang), "left"),
            (word("stage", lang), "left"),
            (word("recovered", lang), "right"),
            (word("note", lang), "left"),
            (word("correction", lang), "left"),
        ],
    )
    for entry in case.entries:
        said = []
        if entry.corrects_entry is not None:
            key = "withdraws" if entry.stage is None else "corrects"
            said.append(word(key, lang, n=entry.corrects_entry, reason=entry.reason or ""))
        if entry.corrected_by_entry is not None:
            said.append(word("corrected_by", lang, n=entry.corrected_by_entry))
        style = "" if entry.in_effect else "dim strike"
        table.add_row(
            str(entry.entry),
            str(entry.event_date),
            stage_text(entry.stage, lang),
            _yuan(entry.recovered_fen) if entry.stage is not None else "",
            entry.note or "",
            "；".join(said),
            style=style or None,
        )
    console.print(table)


def _print_contract(detail: ContractDetail, lang: Lang) -> None:
    console.print(
        f"{word('contract', lang)} {detail.contract_no} · {_lessor_line(detail.lessor, detail.lessor_name, lang)} · "
        f"{word('lessee', lang)} {_paren(detail.lessee_name, detail.lessee_id, lang)}",
        highlight=False,
    )
    terms = _table(word("terms", lang), [(word("item", lang), "left"), (word("value", lang), "right")])
    paid = detail.payments
    paid_detail = word("paid_detail", lang, count=paid.count, last=paid.last_paid_date or "—")
    rows: list[tuple[str, str]] = [
        (word("start_date", lang), str(detail.start_date)),
        (word("term_months", lang), str(detail.term_months)),
        (word("principal", lang), _yuan(detail.principal_fen)),
        (word("annual_rate", lang), _percent(detail.annual_rate)),
        (word("method", lang), _code(detail.method, lang)),
        (word("frequency", lang), _code(detail.frequency, lang)),
        (word("residual_value", lang), _yuan(detail.residual_value_fen)),
        (word("deposit", lang), _yuan(detail.deposit_fen)),
        (word("paid", lang), _paren(_yuan(paid.total_paid_fen), paid_detail, lang)),
    ]
    for label, value in rows:
        terms.add_row(label, value)
    console.print(terms)
    console.print(class_table(detail.class_now, lang))
    if detail.class_history:
        console.print(history_table(detail.class_history, lang))
    if detail.assets:
        console.print(assets_table(detail.assets, lang))
    if detail.case is not None:
        console.print(cases_table([detail.case], lang))
    if detail.notices:
        notices = _table(
            word("notices", lang),
            [
                (word("kind", lang), "left"),
                (word("sent_on", lang), "left"),
                (word("how", lang), "left"),
                (word("delivered_on", lang), "left"),
                (word("index", lang), "right"),
            ],
        )
        for notice in detail.notices:
            notices.add_row(
                _code(notice.kind, lang) + (f" {notice.addressee}" if notice.addressee else ""),
                str(notice.sent_on),
                label_of(METHOD_LABELS, METHOD_LABELS_EN, notice.method, lang),
                str(notice.delivered_on or ""),
                "" if notice.evidence_index is None else str(notice.evidence_index),
            )
        console.print(notices)
    if detail.documents:
        documents = _table(
            word("documents", lang),
            [
                (word("kind", lang), "left"),
                (word("title", lang), "left"),
                (word("asset_id", lang), "left"),
                (word("index", lang), "right"),
            ],
        )
        for document in detail.documents:
            kind = DOCUMENT_KIND_LABELS.get(document.kind, document.kind) if lang == "zh" else document.kind
            documents.add_row(kind, document.title, document.asset_id or "", str(document.evidence_index))
        console.print(documents)


def _print_lessee(detail: LesseeDetail, lang: Lang) -> None:
    console.print(
        f"{word('lessee', lang)} {_paren(detail.lessee_name, detail.lessee_id, lang)} · "
        f"{_lessor_line(detail.lessor, detail.lessor_name, lang)} · "
        f"{word('total_outstanding', lang)} {_yuan(detail.outstanding_principal_fen)}",
        highlight=False,
    )
    contracts = _table(
        word("contracts", lang),
        [
            (word("contract_no", lang), "left"),
            (word("start_date", lang), "left"),
            (word("term_months", lang), "right"),
            (word("principal", lang), "right"),
            (word("class", lang), "left"),
            (word("dpd", lang), "right"),
            (word("outstanding", lang), "right"),
            (word("case_id", lang), "left"),
        ],
    )
    for c in detail.contracts:
        now = c.class_now
        contracts.add_row(
            c.contract_no,
            str(c.start_date),
            str(c.term_months),
            _yuan(c.principal_fen),
            "" if now is None else _paren(_class(now.klass, lang), now.as_of, lang),
            "" if now is None else str(now.dpd),
            "" if now is None else _yuan(now.outstanding_principal_fen),
            "" if c.case_id is None else f"{c.case_id} {stage_text(c.case_stage, lang)}",
        )
    console.print(contracts)
    if detail.assets:
        console.print(assets_table(detail.assets, lang))
    if detail.class_history:
        console.print(history_table(detail.class_history, lang, with_contract=True))
    if detail.checks:
        checks = _table(
            word("checks", lang),
            [
                (word("asked_at", lang), "left"),
                (word("asset_id", lang), "left"),
                (word("verdict", lang), "left"),
                (word("reasons", lang), "left"),
                (word("index", lang), "right"),
            ],
        )
        for check in detail.checks:
            checks.add_row(
                check.asked_at.strftime("%Y-%m-%d %H:%M"),
                check.asset_id or check.vin or check.serial_no or "",
                label_of(VERDICT_LABELS, VERDICT_LABELS_EN, check.verdict, lang),
                "；".join(check.reasons),
                "" if check.evidence_index is None else str(check.evidence_index),
            )
        console.print(checks)
    if detail.credit_decisions:
        credit = _table(
            word("credit", lang),
            [
                (word("date", lang), "left"),
                (word("decision", lang), "left"),
                (word("score", lang), "right"),
                (word("index", lang), "right"),
            ],
        )
        for decision in detail.credit_decisions:
            credit.add_row(
                str(decision.applied_on),
                label_of(DECISION_LABELS, DECISION_LABELS_EN, decision.decision, lang)
                if decision.decision
                else "",
                str(decision.score or ""),
                "" if decision.evidence_index is None else str(decision.evidence_index),
            )
        console.print(credit)
    if detail.cases:
        console.print(cases_table(detail.cases, lang))


@contextmanager
def lookup_session(workspace: Any, lessor: str | None) -> Iterator[tuple[Session, str]]:
    """A read session on the workspace's store and the lessor looked up at; a domain error raised inside (an
    unknown lessor, contract, lessee or case) is one line and exit 1, and the store is let go either way."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.store.db import session_factory
    from leaseguard.usecases.lookup import choose_lessor

    engine = workspace.engine()
    session = session_factory(engine)()
    try:
        yield session, choose_lessor(session, lessor)
    except LeaseguardError as error:
        fail(error)
    finally:
        session.close()
        engine.dispose()


@contract_app.command("show")
def contract_show(
    contract_no: Annotated[str, typer.Argument(help="The contract number.")],
    lessor: LessorOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A contract with everything on file: terms, payments, assets, class now and its changes, the case,
    demands and documents."""
    from leaseguard.usecases.lookup import contract_detail

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    with lookup_session(opened, lessor) as (session, at):
        detail = contract_detail(session, at, contract_no)
    if as_json:
        print_json(detail)
    else:
        _print_contract(detail, chosen)


@lessee_app.command("show")
def lessee_show(
    id_or_name: Annotated[str, typer.Argument(help="The lessee's id (USCC or ID number) or name.")],
    lessor: LessorOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A lessee at the lessor: every contract, asset, change of class, ownership check, credit decision and case.
    A name finds the lessee of exactly that name, else the one whose name contains it; when several answer,
    they are listed and the id is asked for."""
    from leaseguard.usecases.lookup import AmbiguousLesseeError, find_lessee, lessee_detail

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    with lookup_session(opened, lessor) as (session, at):
        try:
            detail = lessee_detail(session, at, find_lessee(session, at, id_or_name))
        except AmbiguousLesseeError as error:
            _print_matches(error, id_or_name, chosen)
            fail(
                Label(
                    "有 {count} 个承租人符合 {text!r}：请给出承租人编号",
                    "{count} lessees answer to {text!r}: give the lessee's id",
                ),
                count=len(error.matches),
                text=id_or_name,
            )
    if as_json:
        print_json(detail)
    else:
        _print_lessee(detail, chosen)


def _print_matches(error: Any, id_or_name: str, chosen: Lang) -> None:
    """The lessees a name answers to, for the user to pick one by id."""
    table = _table(
        word("several", chosen, text=id_or_name),
        [(word("lessee", chosen), "left"), ("", "left"), ("", "left")],
    )
    for match in error.matches:
        table.add_row(
            match.lessee_id,
            match.lessee_name,
            word("matches", chosen, contracts=match.contracts, assets=match.assets),
        )
    console.print(table)


def register(app: typer.Typer, *_: typer.Typer) -> None:
    app.add_typer(contract_app)
    app.add_typer(lessee_app)
