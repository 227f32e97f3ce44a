"""`leaseguard cases …`: what a lessor claims from a defaulted lease (more of enforcement to come)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace
from leaseguard.enforcement.claims import NotDefaultedError, yuan
from leaseguard.enforcement.rules import ClaimRulesError, load_claim_rules
from leaseguard.enforcement.service import UnknownContractError, claim_for_contract

cases_app = typer.Typer(
    name="cases",
    help="Enforcement: claims on defaulted leases.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cases_app.command("claim")
def claim(
    contract_no: Annotated[str, typer.Argument(help="The defaulted contract.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The claim date (YYYY-MM-DD).")],
    rules: Annotated[
        Path | None, typer.Option(help="A claim-rules file (default: the shipped claims.yaml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the claim as JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """The claim on a day: overdue rent, penalty on each overdue instalment, acceleration, damages, the
    deposit set off, the costs of enforcement and the alternative (assets returned plus the shortfall), each
    figure with its arithmetic."""
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
    try:
        claim_rules = load_claim_rules(rules)
    except ClaimRulesError as error:
        fail(str(error))
    engine = open_workspace(workspace).engine()
    try:
        result = claim_for_contract(engine, contract_no, day, claim_rules)
    except (UnknownContractError, NotDefaultedError, ClaimRulesError, ValueError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({
            "contract_no": result.contract_no, "claim_date": day.isoformat(),
            "lines": [{"item": x.item, "label": x.label, "amount": yuan(x.amount_fen), "arithmetic": x.arithmetic}
                      for x in result.lines],
            "claim": yuan(result.claim_fen), "costs": yuan(result.costs_fen), "total": yuan(result.total_fen),
            "accelerated": result.accelerated, "notes": list(result.notes),
            "alternative_shortfall": None if result.alternative_shortfall_fen is None
            else yuan(result.alternative_shortfall_fen),
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return
    table = Table(title=f"{contract_no}: claim on {day} (rules v{claim_rules.version})")
    for header, justify in (("item", "left"), ("yuan", "right"), ("arithmetic", "left")):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for line in result.lines:
        table.add_row(line.label, yuan(line.amount_fen), line.arithmetic)
    table.add_row("诉请合计 claim", yuan(result.claim_fen), "")
    table.add_row("合计 total with costs", yuan(result.total_fen), "")
    console.print(table)
    if result.alternative_arithmetic:
        console.print(f"alternative: {result.alternative_arithmetic}")
    for note in result.notes:
        console.print(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app)
