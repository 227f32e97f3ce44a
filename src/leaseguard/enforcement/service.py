"""The store's side of enforcement: a contract's claim inputs read from the store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, text, update

from leaseguard.enforcement.claims import Claim, ClaimInput, compute_claim
from leaseguard.enforcement.rules import ClaimRules
from leaseguard.enforcement.tracking import (
    CaseState,
    LedgerEntry,
    PastEvent,
    case_state,
    check_correction,
    check_event,
)
from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import canonical_json
from leaseguard.money import parse_fen
from leaseguard.portfolio.book_store import read_contracts
from leaseguard.portfolio.positions import SCHEDULE_LINE_COLUMNS, contract_instalments
from leaseguard.store.db import as_date, in_list
from leaseguard.store.models import CaseEvent, EnforcementCase
from leaseguard.vocabulary import ACCELERATION, OPENED, Label

Found = TypeVar("Found")


class UnknownContractError(NotFoundError):
    """No such contract in the store (or not the asking lessor's)."""


NOT_IN_STORE = Label("库中没有合同 {contract_no}", "contract {contract_no} is not in the store")


@dataclass(frozen=True)
class _Clauses:
    """What the contract's own file says (its optional columns, kept in `extra`), where it says it."""

    penalty_daily_rate: Decimal | None = None
    acceleration_allowed: bool | None = None
    title_at_end: str | None = None
    purchase_price_fen: int | None = None


def extra_fields(extra: object) -> dict[str, Any]:
    """A stored row's optional columns (`extra`, JSON text on some drivers), as a dict."""
    data = json.loads(extra) if isinstance(extra, str) else extra
    return data if isinstance(data, dict) else {}


def _contract_clauses(data: dict[str, Any], contract_no: str) -> _Clauses:
    rate = data.get("penalty_daily_rate")
    try:
        own_rate = Decimal(str(rate)) if rate not in (None, "") else None
    except InvalidOperation:
        raise InvalidInputError(
            Label("合同 {contract_no}：penalty_daily_rate {rate!r} 不是数字",
                  "contract {contract_no}: penalty_daily_rate {rate!r} is not a number"),
            contract_no=contract_no, rate=rate,
        ) from None  # fmt: skip
    clause = data.get("acceleration")
    own_clause = None if clause in (None, "") else str(clause).strip().lower() in ("true", "1", "yes", "是")
    title = data.get("title_at_end")
    price = data.get("purchase_price")
    price_fen = (
        None
        if price in (None, "")
        else parse_fen(
            price,
            where=Label("合同 {no}：purchase_price", "contract {no}: purchase_price").filled(no=contract_no),
        )
    )
    return _Clauses(
        own_rate, own_clause, title if title in ("lessee", "lessor") else None,
        price_fen,
    )  # fmt: skip


@dataclass(frozen=True)
class ContractOnFile:
    """One contract as the store holds it for enforcement: the claim's inputs, the lessee, the row's optional
    columns and the latest appraisal of each of its assets by the claim date."""

    claim: ClaimInput
    lessor: str
    lessee_id: str
    lessee_name: str
    lessee_type: str
    term_months: int
    extra: dict[str, Any]
    appraisals: dict[str, tuple[dt.date, int]]  # asset_id → (valuation date, disposal value)


def read_contract_on_file(
    engine: Engine, contract_no: str, day: dt.date, *, lessor: str | None = None
) -> ContractOnFile:
    return the_one(read_contracts_on_file(engine, [contract_no], day, lessor=lessor), contract_no)


def the_one(found: Mapping[str, Found | Exception], contract_no: str) -> Found:
    """The contract's own entry of a batch read: its result, or the reason it has none raised."""
    entry = found.get(contract_no)
    if entry is None:
        raise UnknownContractError(NOT_IN_STORE, contract_no=contract_no)
    if isinstance(entry, Exception):
        raise entry
    return entry


def read_contracts_on_file(
    engine: Engine, contract_nos: Sequence[str], day: dt.date, *, lessor: str | None = None
) -> dict[str, ContractOnFile | ValueError]:
    """Contracts as the store holds them for enforcement, in a few queries for the lot: each found contract
    (of `lessor`, when given) maps to its file or to the error in its optional columns; the others are absent."""
    contracts, payments, lines = read_contracts(engine, contract_nos)
    if contracts.is_empty():
        return {}
    wanted = {"nos": contracts["contract_no"].to_list()}
    with engine.connect() as connection:
        rows = connection.execute(
            in_list(
                "select contract_no, extra, lessee_name, lessee_type from contracts where contract_no in :nos"
            ),
            wanted,
        ).all()
        values = connection.execute(
            in_list(
                "select a.contract_no, a.lessor, v.asset_id, v.valuation_date, v.disposal_value_fen from assets a "
                "join valuations v on v.lessor = a.lessor and v.asset_id = a.asset_id where a.contract_no in :nos"
            ),
            wanted,
        ).all()
    owners = dict(contracts.select("contract_no", "lessor").iter_rows())
    latest: dict[str, dict[str, tuple[dt.date, int]]] = {}
    for contract_no, asset_lessor, asset_id, valued_on, value in values:
        if asset_lessor != owners.get(contract_no):  # another lessor's asset under the same contract number
            continue
        valued, of_contract = as_date(valued_on), latest.setdefault(str(contract_no), {})
        if valued <= day and (asset_id not in of_contract or of_contract[asset_id][0] < valued):
            of_contract[str(asset_id)] = (valued, int(value))
    built = contract_instalments(
        contracts.with_row_index("contract").with_columns(pl.col("contract").cast(pl.Int64)),
        lines if lines.height else pl.DataFrame(schema=SCHEDULE_LINE_COLUMNS),
    )
    numbers = contracts["contract_no"].to_list()
    instalments: dict[str, list[tuple[int, dt.date, int, int]]] = {}
    for contract, number, due, principal, interest in built.select(
        "contract", "number", "due_date", "principal_fen", "interest_fen"
    ).iter_rows():
        instalments.setdefault(numbers[contract], []).append((number, due, principal, interest))
    paid: dict[str, list[tuple[dt.date, int]]] = {}
    for contract_no, paid_date, amount in payments.iter_rows():
        paid.setdefault(contract_no, []).append((paid_date, amount))
    on_row = {str(row[0]): row[1:] for row in rows}  # the row's extra, lessee_name, lessee_type
    found: dict[str, ContractOnFile | ValueError] = {}
    for terms in contracts.iter_rows(named=True):
        contract_no = terms["contract_no"]
        owner = terms["lessor"]
        extra, lessee_name, lessee_type = on_row[contract_no]
        if lessor is not None and owner != lessor:
            continue
        data = extra_fields(extra)
        try:
            clauses = _contract_clauses(data, contract_no)
        except ValueError as error:
            found[contract_no] = error
            continue
        appraised = latest.get(contract_no, {})
        claim = ClaimInput(
            contract_no=contract_no,
            start_date=terms["start_date"],
            principal_fen=int(terms["principal_fen"]),
            deposit_fen=int(terms["deposit_fen"] or 0),
            instalments=tuple(sorted(instalments.get(contract_no, []))),
            payments=tuple(paid.get(contract_no, [])),
            asset_value_fen=sum(value for _, value in appraised.values()) if appraised else None,
            penalty_daily_rate=clauses.penalty_daily_rate,
            acceleration_allowed=clauses.acceleration_allowed,
            annual_rate=Decimal(str(terms["annual_rate"])),
            residual_value_fen=int(terms["residual_value_fen"] or 0),
            title_at_end=clauses.title_at_end,
            purchase_price_fen=clauses.purchase_price_fen,
        )
        found[contract_no] = ContractOnFile(
            claim, str(owner), str(terms["lessee_id"]), str(lessee_name), str(lessee_type),
            int(terms["term_months"]), data, appraised,
        )  # fmt: skip
    return found


def claim_input(engine: Engine, contract_no: str, day: dt.date, *, lessor: str | None = None) -> ClaimInput:
    return read_contract_on_file(engine, contract_no, day, lessor=lessor).claim


def claim_for_contract(
    engine: Engine,
    contract_no: str,
    day: dt.date,
    rules: ClaimRules,
    *,
    lessor: str | None = None,
    remedy: str = ACCELERATION,
) -> Claim:
    """The claim on `day` for a contract of the store under one remedy (NotDefaultedError when nothing is
    overdue, RemedyUnavailableError when the remedy cannot be claimed)."""
    return compute_claim(claim_input(engine, contract_no, day, lessor=lessor), rules, day, remedy)


class CaseError(InvalidInputError):
    """A case that cannot be opened or moved; the message says why."""


class UnknownCaseError(NotFoundError):
    """No such case (or not the asking lessor's)."""


NO_SUCH_CASE = Label("案件 {case_id} 不存在", "case {case_id} does not exist")


def _deposit(connection: Connection, signer: NoteSigner | None, lessor: str, kind: str, ref: str,
             event: dict[str, object]) -> int | None:  # fmt: skip
    if signer is None:
        return None
    record = NewRecord(canonical_json(event), Provenance("leaseguard cases", "leaseguard enforcement"), kind,
                       "application/json", ref)  # fmt: skip
    return append_records(connection, [record], lessor=lessor, signer=signer).receipts[0].index


def insert_case(connection: Connection, contract_no: str, lessor: str, day: dt.date, claim_fen: int) -> int:
    """A new case, at the first stage, for a contract that has none; its id."""
    return int(
        connection.execute(
            insert(EnforcementCase)
            .values(contract_no=contract_no, lessor=lessor, opened_on=day, claim_fen=claim_fen, stage=OPENED)
            .returning(EnforcementCase.id)
        ).scalar_one()
    )


def open_case(
    engine: Engine, contract_no: str, day: dt.date, rules: ClaimRules, *, signer: NoteSigner | None = None
) -> tuple[int, Claim]:
    """Open an enforcement case on a defaulted contract: its claim on `day` is stored with the case and, with a
    signer, deposited in the evidence log in the same transaction."""
    claim = claim_for_contract(engine, contract_no, day, rules)
    with engine.begin() as connection:
        existing = connection.execute(
            select(EnforcementCase.id).where(EnforcementCase.contract_no == contract_no)
        ).first()
        if existing is not None:
            raise CaseError(
                Label("合同 {contract_no} 已有案件 {case_id}", "contract {contract_no} already has case {case_id}"),
                contract_no=contract_no, case_id=existing[0],
            )  # fmt: skip
        lessor = connection.execute(text("select lessor from contracts where contract_no = :no"),
                                    {"no": contract_no}).scalar_one()  # fmt: skip
        case_id = insert_case(connection, contract_no, lessor, day, claim.claim_fen)
        index = _deposit(connection, signer, lessor, "case-opened", f"case:{case_id}", {
            "case_id": case_id, "contract_no": contract_no, "opened_on": day.isoformat(),
            "claim_rules_sha256": rules.digest, "claim_fen": claim.claim_fen, "total_fen": claim.total_fen,
            "lines": [{"item": x.item, "amount_fen": x.amount_fen, "arithmetic": x.arithmetic} for x in claim.lines],
        })  # fmt: skip
        connection.execute(
            update(EnforcementCase).where(EnforcementCase.id == case_id).values(evidence_index=index)
        )
    return case_id, claim


def ledger_entries(connection: Connection, case_id: int) -> list[LedgerEntry]:
    """A case's ledger as recorded, its entries numbered 1, 2, … in recording order (corrections included)."""
    return read_ledgers(connection, [case_id]).get(case_id, [])


def read_ledgers(connection: Connection, case_ids: Sequence[int]) -> dict[int, list[LedgerEntry]]:
    """The ledgers of some cases in one query, by case: `ledger_entries` of each."""
    if not case_ids:
        return {}
    rows = connection.execute(
        select(CaseEvent.case_id, CaseEvent.id, CaseEvent.stage, CaseEvent.event_date, CaseEvent.recovered_fen,
               CaseEvent.note, CaseEvent.corrects, CaseEvent.reason, CaseEvent.evidence_index)
        .where(CaseEvent.case_id.in_(list(case_ids)))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    ).all()  # fmt: skip
    number_of: dict[int, int] = {}
    ledgers: dict[int, list[LedgerEntry]] = {}
    for case_id, row_id, stage, day, recovered, note, corrects, reason, index in rows:
        ledger = ledgers.setdefault(int(case_id), [])
        number_of[int(row_id)] = len(ledger) + 1
        ledger.append(
            LedgerEntry(
                len(ledger) + 1,
                stage,
                as_date(day),
                int(recovered),
                note,
                None if corrects is None else number_of.get(int(corrects)),
                reason,
                None if index is None else int(index),
            )
        )
    return ledgers


def _case_row(connection: Connection, case_id: int) -> Any:
    row = connection.execute(select(EnforcementCase).where(EnforcementCase.id == case_id)).first()
    if row is None:
        raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)
    return row


def _keep_state(connection: Connection, case_id: int, state: CaseState) -> None:
    # The case row carries where the case stands for the readers that do not replay the ledger.
    connection.execute(
        update(EnforcementCase)
        .where(EnforcementCase.id == case_id)
        .values(stage=state.stage, closed_on=state.closed_on)
    )


def add_event(
    engine: Engine,
    case_id: int,
    stage: str,
    event_date: dt.date,
    recovered_fen: int = 0,
    note: str | None = None,
    *,
    signer: NoteSigner | None = None,
    today: dt.date | None = None,
    over_claim_confirmed: bool = False,
) -> None:
    """Record a step of a case (checked against the steps in effect, corrected ones left out, and `today`, by
    default the date today) and, with a signer, deposit it as evidence."""
    with engine.begin() as connection:
        row = _case_row(connection, case_id)
        entries = ledger_entries(connection, case_id)
        state = case_state(entries)
        past = [PastEvent(s.stage or "", s.event_date, s.recovered_fen) for s in state.steps]
        check_event(
            case_id, as_date(row.opened_on), state.stage, past, stage, event_date, recovered_fen,
            today=today or dt.date.today(), claim_fen=row.claim_fen, over_claim_confirmed=over_claim_confirmed,
        )  # fmt: skip
        index = _deposit(connection, signer, row.lessor, "case-event", f"case:{case_id}:{stage}", {
            "case_id": case_id, "contract_no": row.contract_no, "entry": len(entries) + 1, "stage": stage,
            "event_date": event_date.isoformat(), "recovered_fen": recovered_fen, "note": note,
        })  # fmt: skip
        connection.execute(
            insert(CaseEvent).values(
                case_id=case_id,
                stage=stage,
                event_date=event_date,
                recovered_fen=recovered_fen,
                note=note,
                evidence_index=index,
            )
        )
        added = LedgerEntry(len(entries) + 1, stage, event_date, recovered_fen, note)
        _keep_state(connection, case_id, case_state([*entries, added]))


@dataclass(frozen=True)
class Correction:
    """A correction recorded: its entry number, the entry it corrects, and the case's state after it."""

    case_id: int
    entry: int
    corrects: int
    withdrawn: bool
    state: CaseState
    evidence_index: int | None


def correct_event(
    engine: Engine,
    case_id: int,
    entry: int,
    reason: str,
    *,
    stage: str | None = None,
    event_date: dt.date | None = None,
    recovered_fen: int | None = None,
    note: str | None = None,
    withdraw: bool = False,
    signer: NoteSigner | None = None,
    today: dt.date | None = None,
    over_claim_confirmed: bool = False,
) -> Correction:
    """Correct entry `entry` (numbered in recording order) of a case's ledger by appending an entry that names
    it: with `withdraw` the step never happened; otherwise the step as it should have been, each value not given
    kept from the entry corrected. Nothing recorded is changed or deleted; the case's state is recomputed with
    the corrected entry left out, and the correction is deposited in the evidence log with a signer."""
    if not reason.strip():
        raise CaseError(
            Label("案件 {case_id}：更正须写明原因", "case {case_id}: a correction needs its reason"),
            case_id=case_id,
        )
    given = (stage, event_date, recovered_fen, note)
    if withdraw and any(value is not None for value in given):
        raise CaseError(
            Label("案件 {case_id}：撤销不接受新的值（阶段、日期、回收金额、备注）",
                  "case {case_id}: a withdrawal takes no new values (stage, date, recovered, note)"),
            case_id=case_id,
        )  # fmt: skip
    if not withdraw and all(value is None for value in given):
        raise CaseError(
            Label("案件 {case_id}：请给出更正后的值（阶段、日期、回收金额或备注），或撤销该步骤",
                  "case {case_id}: give the corrected values (stage, date, recovered or note), or withdraw the step"),
            case_id=case_id,
        )  # fmt: skip
    with engine.begin() as connection:
        row = _case_row(connection, case_id)
        entries = ledger_entries(connection, case_id)
        original = next((e for e in entries if e.number == entry), None)
        if withdraw:
            correction = LedgerEntry(len(entries) + 1, None, original.event_date if original else dt.date.min,
                                     0, None, entry, reason)  # fmt: skip
        else:
            base = original or LedgerEntry(entry, None, dt.date.min, 0)
            correction = LedgerEntry(
                len(entries) + 1, stage if stage is not None else base.stage,
                event_date if event_date is not None else base.event_date,
                recovered_fen if recovered_fen is not None else base.recovered_fen,
                note if note is not None else base.note, entry, reason,
            )  # fmt: skip
        state = check_correction(
            case_id, as_date(row.opened_on), entries, correction, today=today or dt.date.today(),
            claim_fen=row.claim_fen, over_claim_confirmed=over_claim_confirmed,
        )  # fmt: skip
        ids = connection.execute(
            select(CaseEvent.id, CaseEvent.evidence_index)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.id)
        ).all()
        corrected_id, corrected_index = ids[entry - 1]
        index = _deposit(connection, signer, row.lessor, "case-correction", f"case:{case_id}:entry:{entry}", {
            "case_id": case_id, "contract_no": row.contract_no, "entry": correction.number, "corrects": entry,
            "corrects_evidence_index": corrected_index, "reason": reason, "withdrawn": withdraw,
            "stage": correction.stage, "event_date": None if withdraw else correction.event_date.isoformat(),
            "recovered_fen": correction.recovered_fen, "note": correction.note,
        })  # fmt: skip
        connection.execute(
            insert(CaseEvent).values(
                case_id=case_id, stage=correction.stage, event_date=correction.event_date,
                recovered_fen=correction.recovered_fen, note=correction.note, evidence_index=index,
                corrects=corrected_id, reason=reason,
            )
        )  # fmt: skip
        _keep_state(connection, case_id, state)
    return Correction(case_id, correction.number, entry, withdraw, state, index)


def read_cases(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every case (case_id, contract_no, lessor, opened_on, claim_fen, stage, closed_on) and every step in effect
    (case_id, stage, event_date, recovered_fen): corrected entries and withdrawals left out."""
    with engine.connect() as connection:
        cases = connection.execute(
            select(EnforcementCase.id, EnforcementCase.contract_no, EnforcementCase.lessor, EnforcementCase.opened_on,
                   EnforcementCase.claim_fen, EnforcementCase.stage, EnforcementCase.closed_on)
        ).all()  # fmt: skip
        corrected = select(CaseEvent.corrects).where(CaseEvent.corrects.is_not(None))
        events = connection.execute(
            select(CaseEvent.case_id, CaseEvent.stage, CaseEvent.event_date, CaseEvent.recovered_fen).where(
                CaseEvent.stage.is_not(None), CaseEvent.id.not_in(corrected)
            )
        ).all()
    case_frame = pl.DataFrame(
        [tuple(r) for r in cases],
        schema={"case_id": pl.Int64, "contract_no": pl.String, "lessor": pl.String, "opened_on": pl.Date,
                "claim_fen": pl.Int64, "stage": pl.String, "closed_on": pl.Date},
        orient="row",
    )  # fmt: skip
    event_frame = pl.DataFrame(
        [tuple(r) for r in events],
        schema={"case_id": pl.Int64, "stage": pl.String, "event_date": pl.Date, "recovered_fen": pl.Int64},
        orient="row",
    )
    return case_frame, event_frame
