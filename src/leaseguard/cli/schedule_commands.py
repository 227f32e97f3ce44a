"""`leaseguard book schedule CONTRACT_NO`: one contract's rent schedule, how it was paid, and its IRR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace, parse_day


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
    workspace: WorkspaceOption = None,
) -> None:
    """A contract's instalments (from its terms, or as imported), when each was paid in full, what of each
    is unpaid and the penalty it accrued by a day, where the contract stands then (rent overdue and penalty
    owed: the figures of `book export` and `cases claim`), and its internal rate of return."""
    from leaseguard.money import grouped_yuan
    from leaseguard.portfolio.allocation import Allocation, AllocationError
    from leaseguard.portfolio.book_store import read_contract
    from leaseguard.portfolio.positions import BookPositions
    from leaseguard.portfolio.schedule import Instalment, internal_rate_of_return

    day = parse_day(as_of) if as_of else dt.date.today()
    opened = open_workspace(workspace)
    try:
        allocation = Allocation.from_settings(opened.setting("book", default={}))
    except AllocationError as error:
        fail(str(error))
    engine = opened.engine()
    try:
        found = read_contract(engine, contract_no)
    finally:
        engine.dispose()
    if found is None:
        fail(f"contract {contract_no} is not in the store")
    contracts, payments, lines = found
    book = BookPositions.from_frames(contracts, payments, lines, allocation)
    terms = contracts.row(0, named=True)
    instalments = book.instalments.sort("number")
    state = book.contract_state(contract_no, day)
    table = Table(
        title=f"{contract_no}: {terms['method']}, {terms['frequency']}, rate {terms['annual_rate']}"
    )
    for header in ("no.", "due", "principal", "interest", "amount", "paid in full on"):
        table.add_column(header, justify="right")
    arrears = Table(title=f"on {day}: unpaid and penalty accrued (the figures of cases claim)")
    for header in ("no.", "due", "unpaid", "penalty accrued"):
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
    console.print(
        f"on {day}: {position['status']}, {position['dpd']} days past due, outstanding principal "
        f"{grouped_yuan(position['outstanding_principal_fen'])} (yuan)"
    )
    # One short line each, so a narrow terminal does not break a figure.
    console.print(f"overdue rent {grouped_yuan(position['overdue_amount_fen'])} (yuan)")
    accrued_total = _micro_yuan(int(state.accrued_micro.sum()))
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
    except ValueError as error:
        console.print(f"internal rate of return: none ({error})")
        return
    console.print(
        f"internal rate of return: {rate.nominal_annual:.4%} a year nominal, {rate.effective_annual:.4%} "
        f"effective (deposit {grouped_yuan(terms['deposit_fen'])} held to the end)"
    )


def register(book_app: typer.Typer) -> None:
    book_app.command("schedule")(schedule)
