"""`leaseguard book schedule CONTRACT_NO`: one contract's rent schedule, how it was paid, and its IRR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

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
from leaseguard.vocabulary import (
    POSITION_STATUS_LABELS,
    POSITION_STATUS_LABELS_EN,
    TERM_LABELS,
    TERM_LABELS_EN,
    Label,
    label_of,
)


def _micro_yuan(micro: int) -> str:
    """Millionths of a fen, shown to the fen."""
    from leaseguard.money import grouped_yuan
    from leaseguard.portfolio.allocation import MICRO

    return grouped_yuan(Decimal(micro) / MICRO)


def schedule(
    contract_no: Annotated[str, typer.Argument(help="The contract.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show what was paid by this day (default: today).")
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A contract's instalments (from its terms, or as imported), when each was paid in full, what of each
    is unpaid and the penalty it accrued by a day, where the contract stands then (rent overdue and penalty
    owed: the figures of `book export` and `cases claim`), and its internal rate of return."""
    from leaseguard.errors import InvalidInputError
    from leaseguard.money import grouped_yuan
    from leaseguard.portfolio.allocation import Allocation, AllocationError
    from leaseguard.portfolio.book_store import read_contract
    from leaseguard.portfolio.positions import BookPositions
    from leaseguard.portfolio.schedule import Instalment, internal_rate_of_return

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    zh = chosen == "zh"
    day = parse_day(as_of) if as_of else dt.date.today()
    try:
        allocation = Allocation.from_settings(opened.setting("book", default={}))
    except AllocationError as error:
        fail(error)
    engine = opened.engine()
    try:
        found = read_contract(engine, contract_no)
    finally:
        engine.dispose()
    if found is None:
        fail(Label("合同 {no} 不在库中", "contract {no} is not in the store"), no=contract_no)
    contracts, payments, lines = found
    book = BookPositions.from_frames(contracts, payments, lines, allocation)
    terms = contracts.row(0, named=True)
    instalments = book.instalments.sort("number")
    state = book.contract_state(contract_no, day)
    method = label_of(TERM_LABELS, TERM_LABELS_EN, terms["method"], "zh" if zh else "en")
    frequency = label_of(TERM_LABELS, TERM_LABELS_EN, terms["frequency"], "zh" if zh else "en")
    table = Table(
        title=f"{contract_no}：{method}，{frequency}，年利率 {terms['annual_rate']}"
        if zh
        else f"{contract_no}: {terms['method']}, {terms['frequency']}, rate {terms['annual_rate']}"
    )
    headers = ("期数", "应付日", "本金", "利息", "租金", "付清日") if zh else (
        "no.", "due", "principal", "interest", "amount", "paid in full on")  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right")
    arrears = Table(
        title=f"截至 {day}：未付租金与已计违约金（即 cases claim 的数字）"
        if zh
        else f"on {day}: unpaid and penalty accrued (the figures of cases claim)"
    )
    for header in (
        ("期数", "应付日", "未付", "已计违约金") if zh else ("no.", "due", "unpaid", "penalty accrued")
    ):
        arrears.add_column(header, justify="right")
    for k, line in enumerate(instalments.iter_rows(named=True)):
        paid_on = line["paid_in_full_on"]
        shown = "" if paid_on is None or paid_on > day else str(paid_on)
        table.add_row(
            str(line["number"]), str(line["due_date"]), f"{grouped_yuan(line['principal_fen'])}",
            f"{grouped_yuan(line['interest_fen'])}", f"{grouped_yuan(line['amount_fen'])}", shown,
        )  # fmt: skip
        unpaid, accrued = int(state.unpaid_fen[k]), int(state.accrued_micro[k])
        if unpaid or accrued:
            arrears.add_row(
                str(line["number"]), str(line["due_date"]), f"{grouped_yuan(unpaid)}", _micro_yuan(accrued)
            )
    console.print(table)
    if arrears.row_count:
        console.print(arrears)
    position = book.at(day).row(0, named=True)
    accrued_total = _micro_yuan(int(state.accrued_micro.sum()))
    # One short line each, so a narrow terminal does not break a figure.
    status = label_of(POSITION_STATUS_LABELS, POSITION_STATUS_LABELS_EN, position["status"], chosen)
    if zh:
        console.print(
            f"截至 {day}：{status}，逾期 {position['dpd']} 天，未偿本金 "
            f"{grouped_yuan(position['outstanding_principal_fen'])} 元"
        )
        console.print(f"逾期租金 {grouped_yuan(position['overdue_amount_fen'])} 元")
        console.print(
            f"违约金 {grouped_yuan(position['penalty_due_fen'])} 元（已计 {accrued_total}，"
            f"已付 {grouped_yuan(state.penalty_paid_fen)}）"
        )
    else:
        console.print(
            f"on {day}: {status}, {position['dpd']} days past due, outstanding principal "
            f"{grouped_yuan(position['outstanding_principal_fen'])} (yuan)"
        )
        console.print(f"overdue rent {grouped_yuan(position['overdue_amount_fen'])} (yuan)")
        console.print(
            f"penalty {grouped_yuan(position['penalty_due_fen'])} (yuan; accrued {accrued_total}"
            f", paid {grouped_yuan(state.penalty_paid_fen)})"
        )
    as_instalments = [
        Instalment(n, due, principal, interest, 0, principal + interest, 0)
        for n, due, principal, interest in instalments.select(
            "number", "due_date", "principal_fen", "interest_fen"
        ).iter_rows()
    ]
    try:
        rate = internal_rate_of_return(
            terms["principal_fen"], as_instalments, terms["frequency"], deposit_fen=terms["deposit_fen"]
        )
    except InvalidInputError as error:
        why = error.text(chosen)
        console.print(f"内部收益率：无（{why}）" if zh else f"internal rate of return: none ({why})")
        return
    console.print(
        f"内部收益率：名义年化 {rate.nominal_annual:.4%}，实际年化 {rate.effective_annual:.4%}"
        f"（保证金 {grouped_yuan(terms['deposit_fen'])} 元持有至期末）"
        if zh
        else f"internal rate of return: {rate.nominal_annual:.4%} a year nominal, {rate.effective_annual:.4%} "
        f"effective (deposit {grouped_yuan(terms['deposit_fen'])} held to the end)"
    )


def register(book_app: typer.Typer) -> None:
    book_app.command("schedule")(schedule)
