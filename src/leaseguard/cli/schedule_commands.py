"""`leaseguard book schedule CONTRACT_NO`: one contract's rent schedule, how it was paid, and its IRR."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace, parse_day
from leaseguard.portfolio.allocation import Allocation, AllocationError
from leaseguard.portfolio.positions import BookPositions, read_contract
from leaseguard.portfolio.schedule import Instalment, internal_rate_of_return


def schedule(
    contract_no: Annotated[str, typer.Argument(help="The contract.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show what was paid by this day (default: today).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A contract's instalments (from its terms, or as imported), when each was paid in full, where the
    contract stands on a day, and its internal rate of return."""
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
    table = Table(
        title=f"{contract_no}: {terms['method']}, {terms['frequency']}, rate {terms['annual_rate']}"
    )
    for header in ("no.", "due", "principal", "interest", "amount", "paid in full on"):
        table.add_column(header, justify="right")
    for line in instalments.iter_rows(named=True):
        paid_on = line["paid_in_full_on"]
        shown = "" if paid_on is None or paid_on > day else str(paid_on)
        table.add_row(
            str(line["number"]), str(line["due_date"]), f"{line['principal_fen'] / 100:,.2f}",
            f"{line['interest_fen'] / 100:,.2f}", f"{line['amount_fen'] / 100:,.2f}", shown,
        )  # fmt: skip
    console.print(table)
    position = book.at(day).row(0, named=True)
    console.print(
        f"on {day}: {position['status']}, {position['dpd']} days past due, overdue "
        f"{position['overdue_amount_fen'] / 100:,.2f}, penalty {position['penalty_due_fen'] / 100:,.2f}, "
        f"outstanding principal {position['outstanding_principal_fen'] / 100:,.2f} (yuan)"
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
        f"effective (deposit {terms['deposit_fen'] / 100:,.2f} held to the end)"
    )


def register(book_app: typer.Typer) -> None:
    book_app.command("schedule")(schedule)
