"""The store's side of enforcement: a contract's claim inputs read from the store."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

import polars as pl
from sqlalchemy import Engine, text

from leaseguard.enforcement.claims import Claim, ClaimInput, compute_claim
from leaseguard.enforcement.rules import ClaimRules
from leaseguard.portfolio.positions import SCHEDULE_LINE_COLUMNS, contract_instalments, read_contract


class UnknownContractError(LookupError):
    """No such contract in the store (or not the asking lessor's)."""


def _contract_clause(extra: object, contract_no: str) -> tuple[Decimal | None, bool | None]:
    """The contract's own penalty rate and acceleration clause, where its file gave them (in `extra`)."""
    data = json.loads(extra) if isinstance(extra, str) else (extra or {})
    if not isinstance(data, dict):
        return None, None
    rate = data.get("penalty_daily_rate")
    try:
        own_rate = Decimal(str(rate)) if rate not in (None, "") else None
    except InvalidOperation:
        raise ValueError(f"contract {contract_no}: penalty_daily_rate {rate!r} is not a number") from None
    clause = data.get("acceleration")
    own_clause = None if clause in (None, "") else str(clause).strip().lower() in ("true", "1", "yes", "是")
    return own_rate, own_clause


def claim_input(engine: Engine, contract_no: str, day: dt.date, *, lessor: str | None = None) -> ClaimInput:
    found = read_contract(engine, contract_no)
    if found is None:
        raise UnknownContractError(f"contract {contract_no} is not in the store")
    contracts, payments, lines = found
    with engine.connect() as connection:
        owner, extra = connection.execute(
            text("select lessor, extra from contracts where contract_no = :no"), {"no": contract_no}
        ).one()
        if lessor is not None and owner != lessor:
            raise UnknownContractError(f"contract {contract_no} is not in the store")
        values = connection.execute(
            text(
                "select v.asset_id, v.valuation_date, v.disposal_value_fen from valuations v join assets a "
                "on a.lessor = v.lessor and a.asset_id = v.asset_id where a.contract_no = :no"
            ),
            {"no": contract_no},
        ).all()
    latest: dict[str, tuple[str, int]] = {}
    for asset_id, valued_on, value in values:
        day_text = str(valued_on)[:10]
        if day_text <= day.isoformat() and (asset_id not in latest or latest[asset_id][0] < day_text):
            latest[asset_id] = (day_text, int(value))
    own_rate, own_clause = _contract_clause(extra, contract_no)
    built = contract_instalments(
        contracts.with_row_index("contract").with_columns(pl.col("contract").cast(pl.Int64)),
        lines if lines.height else pl.DataFrame(schema=SCHEDULE_LINE_COLUMNS),
    ).sort("number")
    terms = contracts.row(0, named=True)
    return ClaimInput(
        contract_no=contract_no,
        start_date=terms["start_date"],
        principal_fen=int(terms["principal_fen"]),
        deposit_fen=int(terms["deposit_fen"] or 0),
        instalments=tuple(built.select("number", "due_date", "principal_fen", "interest_fen").iter_rows()),
        payments=tuple(payments.select("paid_date", "amount_fen").iter_rows()),
        asset_value_fen=sum(value for _, value in latest.values()) if latest else None,
        penalty_daily_rate=own_rate,
        acceleration_allowed=own_clause,
    )


def claim_for_contract(
    engine: Engine, contract_no: str, day: dt.date, rules: ClaimRules, *, lessor: str | None = None
) -> Claim:
    """The claim on `day` for a contract of the store (NotDefaultedError when nothing is overdue)."""
    return compute_claim(claim_input(engine, contract_no, day, lessor=lessor), rules, day)
