"""Look things up at one lessor: a contract, a lessee with everything of theirs, an enforcement case and its
ledger. `leaseguard contract show`, `lessee show`, `cases list` / `cases show` and GET /v1/contracts/{no},
/v1/lessees/{id}, /v1/cases, /v1/cases/{id} all end here and answer with the models below, so the CLI's
`--json` prints exactly the API's body.

Every read takes the asking lessor and puts it in its WHERE clause: another lessor's contract, lessee or case
is answered exactly like one that does not exist. The store reads are the reader section at the end of this
module (parameterised SQLAlchemy Core), with the enforcement readers (`notices_on_record`,
`documents_of_contracts`, `read_ledgers`) reused as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import Session

from leaseguard.enforcement.records import documents_of_contracts, notices_on_record
from leaseguard.enforcement.service import (
    NO_SUCH_CASE,
    NOT_IN_STORE,
    UnknownCaseError,
    UnknownContractError,
    read_ledgers,
)
from leaseguard.enforcement.tracking import LedgerEntry, case_state
from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.money import yuan_text
from leaseguard.store.db import as_date
from leaseguard.store.models import (
    Asset,
    AssetCheck,
    BookRun,
    ClassChange,
    Contract,
    ContractClass,
    CreditApplication,
    EnforcementCase,
    Lessor,
    Payment,
)
from leaseguard.timestamps import UtcDatetime
from leaseguard.vocabulary import Label

# --- answers -----------------------------------------------------------------------------------------------
# Money on the wire as everywhere in the API: yuan as a decimal string beside the exact integer fen.


class ContractOut(BaseModel):
    """A contract's terms as stored (GET /v1/contracts lists these)."""

    contract_no: str
    lessor: str
    lessee_id: str
    lessee_name: str
    lessee_type: str
    group_id: str | None
    related_party: bool
    industry: str | None
    start_date: dt.date
    term_months: int
    principal: str
    principal_fen: int
    annual_rate: str
    method: str
    frequency: str
    residual_value: str
    residual_value_fen: int
    deposit: str
    deposit_fen: int
    extra: dict[str, Any] | None

    @classmethod
    def of(cls, row: Contract) -> ContractOut:
        return cls(**_contract_fields(row))


def _contract_fields(row: Contract) -> dict[str, Any]:
    return {
        "contract_no": row.contract_no,
        "lessor": row.lessor,
        "lessee_id": row.lessee_id,
        "lessee_name": row.lessee_name,
        "lessee_type": row.lessee_type,
        "group_id": row.group_id,
        "related_party": row.related_party,
        "industry": row.industry,
        "start_date": row.start_date,
        "term_months": row.term_months,
        "principal": yuan_text(row.principal_fen),
        "principal_fen": row.principal_fen,
        "annual_rate": f"{Decimal(row.annual_rate):.6f}",  # the store's six places, as api.money.rate
        "method": row.method,
        "frequency": row.frequency,
        "residual_value": yuan_text(row.residual_value_fen),
        "residual_value_fen": row.residual_value_fen,
        "deposit": yuan_text(row.deposit_fen),
        "deposit_fen": row.deposit_fen,
        "extra": row.extra,
    }


class PaymentsSummary(BaseModel):
    count: int
    total_paid: str
    total_paid_fen: int
    last_paid_date: dt.date | None


class ClassOnDay(BaseModel):
    """A contract's class on the latest daily run that classified it."""

    model_config = ConfigDict(populate_by_name=True)

    as_of: dt.date
    klass: str = Field(alias="class", description="normal, special_mention, substandard, doubtful or loss")
    dpd: int = Field(description="Days past due.")
    outstanding_principal: str
    outstanding_principal_fen: int
    overdue_amount: str
    overdue_amount_fen: int
    provision: str
    provision_fen: int
    deciding_rule: str


class ClassChangeOut(BaseModel):
    """A contract moving from one class to another on a daily run (from_class null: first classified)."""

    as_of: dt.date
    contract_no: str
    from_class: str | None
    to_class: str
    deciding_rule: str
    reasons: str

    @classmethod
    def of_row(cls, row: Any) -> ClassChangeOut:
        """A `class_changes` row as read (its day as the store gives it)."""
        return cls(
            as_of=as_date(row.as_of),
            contract_no=row.contract_no,
            from_class=row.from_class,
            to_class=row.to_class,
            deciding_rule=row.deciding_rule,
            reasons=row.reasons,
        )


class AssetBrief(BaseModel):
    asset_id: str
    asset_type: str
    vin: str | None
    serial_no: str | None
    engine_no: str | None
    manufacturer: str | None
    model: str | None
    invoice_no: str | None
    invoice_amount: str | None
    invoice_amount_fen: int | None
    invoice_date: dt.date | None
    contract_no: str | None
    registered_at: dt.date | None


class NoticeOut(BaseModel):
    """A demand on record, read from the record's own fields (enforcement.records.NoticeOnFile)."""

    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="demand (to the lessee) or guarantee_demand (to a guarantor)")
    addressee: str | None
    sent_on: dt.date
    delivered_on: dt.date | None
    method: str
    deadline_days: int | None
    evidence_index: int | None


class DocumentOut(BaseModel):
    """A document on record, read from the record's own fields (enforcement.records.DocumentOnFile)."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    title: str
    asset_id: str | None
    file_name: str
    sha256: str
    evidence_index: int


class CaseEntryOut(BaseModel):
    """One entry of a case's ledger, as recorded. A correction names the entry it corrects; a corrected entry
    stays on record with `corrected_by_entry` and no longer counts (`in_effect` false)."""

    entry: int = Field(description="The entry's number in the case's ledger, 1 first.")
    stage: str | None = Field(description="The step; null for an entry that withdraws the step it corrects.")
    event_date: dt.date
    recovered: str
    recovered_fen: int
    note: str | None
    corrects_entry: int | None
    reason: str | None = Field(description="Why the entry it corrects was wrong.")
    corrected_by_entry: int | None
    in_effect: bool
    evidence_index: int | None


class CaseSummary(BaseModel):
    """Where a case stands, computed from its ledger with corrected entries left out."""

    case_id: int
    contract_no: str
    lessor: str
    lessee_id: str
    lessee_name: str
    opened_on: dt.date
    claim: str
    claim_fen: int
    stage: str
    recovered: str
    recovered_fen: int
    closed_on: dt.date | None
    last_step_on: dt.date | None


class CaseDetail(CaseSummary):
    lessor_name: str
    evidence_index: int | None = Field(
        description="Where the case's opening (its claim) is in the evidence log."
    )
    entries: list[CaseEntryOut]


class ContractDetail(ContractOut):
    """A contract with everything on file about it at its lessor."""

    lessor_name: str
    payments: PaymentsSummary
    assets: list[AssetBrief]
    class_now: ClassOnDay | None
    class_history: list[ClassChangeOut]
    case: CaseSummary | None
    notices: list[NoticeOut]
    documents: list[DocumentOut]


class ContractBrief(BaseModel):
    contract_no: str
    start_date: dt.date
    term_months: int
    principal: str
    principal_fen: int
    class_now: ClassOnDay | None
    case_id: int | None
    case_stage: str | None


class CheckOut(BaseModel):
    """An ownership check this lessor ran about an asset of the lessee."""

    check_id: int
    asked_at: UtcDatetime
    asked_by: str
    channel: str
    asset_id: str | None
    vin: str | None
    serial_no: str | None
    contract_no: str | None
    verdict: str
    reasons: list[str]
    evidence_index: int | None


class CreditDecisionOut(BaseModel):
    applied_on: dt.date
    application_id: str | None
    decision: str | None
    score: int | None
    model_version: str | None
    evidence_index: int | None


class LesseeDetail(BaseModel):
    """A lessee at one lessor: every contract, asset, class change, check, credit decision and case."""

    lessee_id: str
    lessee_name: str
    lessee_type: str | None
    lessor: str
    lessor_name: str
    contracts: list[ContractBrief]
    outstanding_principal: str = Field(description="Sum over the contracts' latest classified positions.")
    outstanding_principal_fen: int
    assets: list[AssetBrief]
    class_history: list[ClassChangeOut]
    checks: list[CheckOut]
    credit_decisions: list[CreditDecisionOut]
    cases: list[CaseSummary]


class LesseeMatch(BaseModel):
    lessee_id: str
    lessee_name: str
    contracts: int
    assets: int


# --- errors ------------------------------------------------------------------------------------------------


class UnknownLesseeError(NotFoundError):
    """No such lessee at the asking lessor."""


NO_SUCH_LESSEE = Label("库中没有承租人 {lessee}", "lessee {lessee} is not in the store")


class AmbiguousLesseeError(InvalidInputError):
    """A name that several lessees answer to: the caller must give the id."""

    def __init__(self, message: Label, matches: Sequence[LesseeMatch], /, **values: object) -> None:
        super().__init__(message, **values)
        self.matches = list(matches)


class LessorChoiceError(InvalidInputError):
    """No lessor given where the store holds several (or none)."""


# --- use cases ---------------------------------------------------------------------------------------------


def choose_lessor(session: Session, given: str | None) -> str:
    """The lessor a command line lookup is for: `given` (checked), else the store's only lessor."""
    codes = list(session.scalars(select(Lessor.code).order_by(Lessor.code)))
    if given is not None:
        if given not in codes:
            raise NotFoundError(
                Label(
                    "--lessor {given!r}：库中没有该出租人（见 `leaseguard lessors list`）",
                    "--lessor {given!r}: no such lessor in the store (see `leaseguard lessors list`)",
                ),
                given=given,
            )
        return given
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise LessorChoiceError(
            Label(
                "库中没有出租人：请先导入 lessors.csv 或运行 `leaseguard lessors add`",
                "the store holds no lessor: import lessors.csv or `leaseguard lessors add` first",
            )
        )
    raise LessorChoiceError(
        Label(
            "--lessor：库中有 {count} 个出租人（{codes}），请指定一个",
            "--lessor: the store holds {count} lessors ({codes}); name one",
        ),
        count=len(codes),
        codes=", ".join(codes),
    )


def contract_detail(session: Session, lessor: str, contract_no: str) -> ContractDetail:
    """One of `lessor`'s contracts with its payments, assets, class now and its changes, case, demands and
    documents. UnknownContractError when `lessor` has no such contract."""
    row = session.scalar(
        select(Contract).where(Contract.lessor == lessor, Contract.contract_no == contract_no)
    )
    if row is None:
        raise UnknownContractError(NOT_IN_STORE, contract_no=contract_no)
    connection = session.connection()
    assets = _assets(connection, lessor, contract_nos=[contract_no])
    cases = case_summaries(connection, lessor, case_rows(connection, lessor, contract_nos=[contract_no]))
    notices = notices_on_record(connection, lessor, [contract_no]).get(contract_no, [])
    documents = documents_of_contracts(connection, lessor, {contract_no: [a.asset_id for a in assets]})
    return ContractDetail(
        **_contract_fields(row),
        lessor_name=lessor_name(connection, lessor),
        payments=_payments(connection, lessor, [contract_no]).get(contract_no, _NO_PAYMENTS),
        assets=assets,
        class_now=classes_now(connection, lessor, [contract_no]).get(contract_no),
        class_history=_class_changes(connection, lessor, [contract_no]),
        case=cases[0] if cases else None,
        notices=[NoticeOut.model_validate(n) for n in notices],
        documents=[DocumentOut.model_validate(d) for d in documents.get(contract_no, [])],
    )


def find_lessee(session: Session, lessor: str, id_or_name: str) -> str:
    """The id of `lessor`'s lessee named by `id_or_name`: an id it has, else the one lessee of exactly that name,
    else the one whose name contains it. AmbiguousLesseeError (with the matches) when several answer,
    UnknownLesseeError when none."""
    connection = session.connection()
    if _lessee_ids(connection, lessor, [id_or_name]):
        return id_or_name
    for exact in (True, False):
        matches = _lessees_named(connection, lessor, id_or_name, exact=exact)
        if len(matches) == 1:
            return matches[0].lessee_id
        if matches:
            # The first ten; the count says how many more.
            listed = "; ".join(f"{m.lessee_id} {m.lessee_name}" for m in matches[:10])
            raise AmbiguousLesseeError(
                Label(
                    "有 {count} 个承租人符合 {text!r}（{listed}{more}）：请给出承租人编号",
                    "{count} lessees answer to {text!r} ({listed}{more}): give the lessee's id",
                ),
                matches,
                count=len(matches),
                text=id_or_name,
                listed=listed,
                more="; …" if len(matches) > 10 else "",
            )
    raise UnknownLesseeError(NO_SUCH_LESSEE, lessee=id_or_name)


def lessee_detail(session: Session, lessor: str, lessee_id: str) -> LesseeDetail:
    """Everything `lessor` has on one of its lessees. UnknownLesseeError when it has nothing under that id."""
    connection = session.connection()
    contracts = list(
        session.scalars(
            select(Contract)
            .where(Contract.lessor == lessor, Contract.lessee_id == lessee_id)
            .order_by(Contract.id)
        )
    )
    assets = _assets(connection, lessor, lessee_id=lessee_id)
    checks = _checks(connection, lessor, lessee_id)
    decisions = _credit_decisions(connection, lessor, lessee_id)
    if not (contracts or assets or checks or decisions):
        raise UnknownLesseeError(NO_SUCH_LESSEE, lessee=lessee_id)
    numbers = [c.contract_no for c in contracts]
    classes = classes_now(connection, lessor, numbers)
    cases = case_summaries(connection, lessor, case_rows(connection, lessor, contract_nos=numbers))
    case_of = {case.contract_no: case for case in cases}
    latest = contracts[-1] if contracts else None
    # The latest contract's name; a lessee with assets or checks only is named by its registrations, if at all.
    name = latest.lessee_name if latest else asset_lessee_name(connection, lessor, lessee_id) or ""
    outstanding = sum(c.outstanding_principal_fen for c in classes.values())
    return LesseeDetail(
        lessee_id=lessee_id,
        lessee_name=name,
        lessee_type=latest.lessee_type if latest else None,
        lessor=lessor,
        lessor_name=lessor_name(connection, lessor),
        contracts=[
            ContractBrief(
                contract_no=c.contract_no,
                start_date=c.start_date,
                term_months=c.term_months,
                principal=yuan_text(c.principal_fen),
                principal_fen=c.principal_fen,
                class_now=classes.get(c.contract_no),
                case_id=case_of[c.contract_no].case_id if c.contract_no in case_of else None,
                case_stage=case_of[c.contract_no].stage if c.contract_no in case_of else None,
            )
            for c in contracts
        ],
        outstanding_principal=yuan_text(outstanding),
        outstanding_principal_fen=outstanding,
        assets=assets,
        class_history=_class_changes(connection, lessor, numbers),
        checks=checks,
        credit_decisions=decisions,
        cases=cases,
    )


def case_detail(session: Session, lessor: str, case_id: int) -> CaseDetail:
    """One of `lessor`'s cases with its whole ledger, corrected entries shown as corrected. UnknownCaseError
    when `lessor` has no such case."""
    connection = session.connection()
    rows = case_rows(connection, lessor, case_ids=[case_id])
    if not rows:
        raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)
    ledger = read_ledgers(connection, [case_id]).get(case_id, [])
    summary = _summary(rows[0], ledger)
    state = case_state(ledger)
    in_effect = {step.number for step in state.steps}
    corrected_by = state.corrected_by
    return CaseDetail(
        **summary.model_dump(),
        lessor_name=lessor_name(connection, lessor),
        evidence_index=rows[0].evidence_index,
        entries=[
            CaseEntryOut(
                entry=e.number,
                stage=e.stage,
                event_date=e.event_date,
                recovered=yuan_text(e.recovered_fen),
                recovered_fen=e.recovered_fen,
                note=e.note,
                corrects_entry=e.corrects,
                reason=e.reason,
                corrected_by_entry=corrected_by.get(e.number),
                in_effect=e.number in in_effect,
                evidence_index=e.evidence_index,
            )
            for e in ledger
        ],
    )


@dataclass(frozen=True)
class CasesSlice:
    items: list[CaseSummary]
    last_id_if_more: int | None


def list_cases(
    session: Session,
    lessor: str,
    *,
    limit: int | None = None,
    offset: int = 0,
    after_id: int | None = None,
    stage: str | None = None,
) -> CasesSlice:
    """`lessor`'s cases by id, each where it stands by its ledger; `stage` keeps those at that stage now.

    The stage filter reads the case row, which every recorded step and correction keeps equal to the ledger's
    state."""
    connection = session.connection()
    rows = case_rows(
        connection,
        lessor,
        stage=stage,
        after_id=after_id,
        offset=offset,
        limit=None if limit is None else limit + 1,
    )
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    return CasesSlice(case_summaries(connection, lessor, rows), rows[-1].id if more and rows else None)


# --- readers: the store's side, the asking lessor in every WHERE clause -------------------------------------


def not_by_index(column: Any) -> Any:
    """`column` as an expression no index answers (`column || ''`): for a condition that only checks rows found
    by another index. SQLite keeps no statistics, and given `lessor = ? AND contract_no IN (…)` on payments it
    reads every payment of the lessor (its index) instead of the contract's few."""
    return column.concat("")


_NO_PAYMENTS = PaymentsSummary(count=0, total_paid=yuan_text(0), total_paid_fen=0, last_paid_date=None)


def lessor_name(connection: Connection, lessor: str) -> str:
    from leaseguard.tenancy.service import lessor_names

    return lessor_names(connection)[lessor]


def _payments(connection: Connection, lessor: str, contract_nos: Sequence[str]) -> dict[str, PaymentsSummary]:
    rows = connection.execute(
        select(Payment.contract_no, func.count(), func.sum(Payment.amount_fen), func.max(Payment.paid_date))
        .where(Payment.contract_no.in_(list(contract_nos)), not_by_index(Payment.lessor) == lessor)
        .group_by(Payment.contract_no)
    ).all()
    return {
        str(no): PaymentsSummary(
            count=int(count),
            total_paid=yuan_text(int(total)),
            total_paid_fen=int(total),
            last_paid_date=None if last is None else as_date(last),
        )
        for no, count, total, last in rows
    }


def asset_brief(row: Any) -> AssetBrief:
    amount = None if row.invoice_amount_fen is None else int(row.invoice_amount_fen)
    return AssetBrief(
        asset_id=row.asset_id,
        asset_type=row.asset_type,
        vin=row.vin,
        serial_no=row.serial_no,
        engine_no=row.engine_no,
        manufacturer=row.manufacturer,
        model=row.model,
        invoice_no=row.invoice_no,
        invoice_amount=None if amount is None else yuan_text(amount),
        invoice_amount_fen=amount,
        invoice_date=None if row.invoice_date is None else as_date(row.invoice_date),
        contract_no=row.contract_no,
        registered_at=None if row.registered_at is None else as_date(row.registered_at),
    )


def _assets(
    connection: Connection, lessor: str, *, contract_nos: Sequence[str] = (), lessee_id: str | None = None
) -> list[AssetBrief]:
    wanted = (
        Asset.lessee_id == lessee_id if lessee_id is not None else Asset.contract_no.in_(list(contract_nos))
    )
    rows = connection.execute(
        select(Asset.__table__).where(Asset.lessor == lessor, wanted).order_by(Asset.id)
    )
    return [asset_brief(row) for row in rows]


# Run days probed per query while looking for contracts' latest classified day.
_RUN_DAYS_PER_PROBE = 64


def class_on_day(r: Any) -> ClassOnDay:
    return ClassOnDay(
        as_of=as_date(r.as_of),
        klass=r._mapping["class"],
        dpd=int(r.dpd),
        outstanding_principal=yuan_text(int(r.outstanding_principal_fen)),
        outstanding_principal_fen=int(r.outstanding_principal_fen),
        overdue_amount=yuan_text(int(r.overdue_amount_fen)),
        overdue_amount_fen=int(r.overdue_amount_fen),
        provision=yuan_text(int(r.provision_fen)),
        provision_fen=int(r.provision_fen),
        deciding_rule=r.deciding_rule,
    )


def classes_now(connection: Connection, lessor: str, contract_nos: Sequence[str]) -> dict[str, ClassOnDay]:
    """Each contract's class on the latest run day that classified it. contract_classes is keyed by (day,
    contract), so the lessor's run days are probed newest first: every run of the lessor classifies its whole
    book, so the first probe normally finds them all, and a contract imported since the last run costs a pass
    over the days."""
    wanted = list(dict.fromkeys(contract_nos))
    found: dict[str, ClassOnDay] = {}
    if not wanted:
        return found
    days = [
        as_date(day)
        for day in connection.scalars(
            select(BookRun.as_of).where(BookRun.lessor == lessor).order_by(BookRun.as_of.desc())
        )
    ]
    step = 1  # the latest day alone first, then wider
    while days and wanted:
        probe, days = days[:step], days[step:]
        step = _RUN_DAYS_PER_PROBE
        rows = connection.execute(
            select(ContractClass.__table__)
            .where(
                ContractClass.as_of.in_(probe),
                ContractClass.contract_no.in_(wanted),
                ContractClass.lessor == lessor,
            )
            .order_by(ContractClass.as_of.desc())
        ).all()
        for r in rows:
            found.setdefault(str(r.contract_no), class_on_day(r))
        wanted = [no for no in wanted if no not in found]
    return found


def _class_changes(connection: Connection, lessor: str, contract_nos: Sequence[str]) -> list[ClassChangeOut]:
    if not contract_nos:
        return []
    # class_changes has no lessor of its own: the contract's lessor decides whose it is.
    rows = connection.execute(
        select(ClassChange.__table__)
        .join(Contract, Contract.contract_no == ClassChange.contract_no)
        .where(Contract.lessor == lessor, ClassChange.contract_no.in_(list(contract_nos)))
        .order_by(ClassChange.as_of, ClassChange.contract_no)
    ).all()
    return [ClassChangeOut.of_row(r) for r in rows]


def case_rows(
    connection: Connection,
    lessor: str,
    *,
    contract_nos: Sequence[str] | None = None,
    case_ids: Sequence[int] | None = None,
    stage: str | None = None,
    after_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Any]:
    query = (
        select(EnforcementCase.__table__, Contract.lessee_id, Contract.lessee_name)
        .join(Contract, Contract.contract_no == EnforcementCase.contract_no)
        .where(EnforcementCase.lessor == lessor)
    )
    if contract_nos is not None:
        query = query.where(EnforcementCase.contract_no.in_(list(contract_nos)))
    if case_ids is not None:
        query = query.where(EnforcementCase.id.in_(list(case_ids)))
    if stage is not None:
        query = query.where(EnforcementCase.stage == stage)
    if after_id is not None:
        query = query.where(EnforcementCase.id > after_id)
    query = query.order_by(EnforcementCase.id).offset(offset)
    return list(connection.execute(query if limit is None else query.limit(limit)).all())


def _summary(row: Any, ledger: Sequence[LedgerEntry]) -> CaseSummary:
    state = case_state(ledger)
    return CaseSummary(
        case_id=int(row.id),
        contract_no=row.contract_no,
        lessor=row.lessor,
        lessee_id=row.lessee_id,
        lessee_name=row.lessee_name,
        opened_on=as_date(row.opened_on),
        claim=yuan_text(int(row.claim_fen)),
        claim_fen=int(row.claim_fen),
        stage=state.stage,
        recovered=yuan_text(state.recovered_fen),
        recovered_fen=state.recovered_fen,
        closed_on=state.closed_on,
        last_step_on=state.steps[-1].event_date if state.steps else None,
    )


def case_summaries(connection: Connection, lessor: str, rows: Sequence[Any]) -> list[CaseSummary]:
    del lessor  # the rows are the lessor's already; their ledgers hang off them
    ledgers = read_ledgers(connection, [int(row.id) for row in rows])
    return [_summary(row, ledgers.get(int(row.id), [])) for row in rows]


def _lessee_ids(connection: Connection, lessor: str, ids: Iterable[str]) -> set[str]:
    wanted = list(ids)
    found = connection.execute(
        select(Contract.lessee_id)
        .where(Contract.lessor == lessor, Contract.lessee_id.in_(wanted))
        .union(select(Asset.lessee_id).where(Asset.lessor == lessor, Asset.lessee_id.in_(wanted)))
    ).scalars()
    return set(found)


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _lessees_named(connection: Connection, lessor: str, name: str, *, exact: bool) -> list[LesseeMatch]:
    def named(column: Any) -> Any:
        return column == name if exact else column.like(_like_pattern(name), escape="\\")

    counts: dict[str, list[Any]] = {}
    for lessee_id, lessee_name, contracts in connection.execute(
        select(Contract.lessee_id, func.max(Contract.lessee_name), func.count())
        .where(Contract.lessor == lessor, named(Contract.lessee_name))
        .group_by(Contract.lessee_id)
    ).all():
        counts[str(lessee_id)] = [str(lessee_name), int(contracts), 0]
    for lessee_id, lessee_name, assets in connection.execute(
        select(Asset.lessee_id, func.max(Asset.lessee_name), func.count())
        .where(Asset.lessor == lessor, named(Asset.lessee_name))
        .group_by(Asset.lessee_id)
    ).all():
        counts.setdefault(str(lessee_id), [str(lessee_name), 0, 0])[2] = int(assets)
    return [
        LesseeMatch(lessee_id=lessee_id, lessee_name=n, contracts=c, assets=a)
        for lessee_id, (n, c, a) in sorted(counts.items())
    ]


def asset_lessee_name(connection: Connection, lessor: str, lessee_id: str) -> str | None:
    return connection.execute(
        select(Asset.lessee_name)
        .where(Asset.lessor == lessor, Asset.lessee_id == lessee_id)
        .order_by(Asset.id.desc())
    ).scalar()


def check_out(r: Any) -> CheckOut:
    """An asset_checks row as the lessee's page and API show it."""
    asked = r.request or {}
    return CheckOut(
        check_id=int(r.id),
        asked_at=r.asked_at,
        asked_by=r.asked_by,
        channel=r.channel,
        asset_id=asked.get("asset_id"),
        vin=asked.get("vin"),
        serial_no=asked.get("serial_no"),
        contract_no=asked.get("contract_no"),
        verdict=r.verdict,
        reasons=list(r.reasons or []),
        evidence_index=None if r.evidence_index is None else int(r.evidence_index),
    )


def _checks(connection: Connection, lessor: str, lessee_id: str) -> list[CheckOut]:
    rows = connection.execute(
        select(AssetCheck.__table__)
        .where(AssetCheck.lessor == lessor, AssetCheck.lessee_id == lessee_id)
        .order_by(AssetCheck.id)
    ).all()
    return [check_out(r) for r in rows]


def _credit_decisions(connection: Connection, lessor: str, lessee_id: str) -> list[CreditDecisionOut]:
    rows = connection.execute(
        select(CreditApplication.__table__)
        .where(
            CreditApplication.lessor == lessor,
            CreditApplication.applicant_id == lessee_id,
            or_(CreditApplication.source == "decision", CreditApplication.decision.is_not(None)),
        )
        .order_by(CreditApplication.applied_on, CreditApplication.id)
    ).all()
    return [
        CreditDecisionOut(
            applied_on=as_date(r.applied_on),
            application_id=r.application_id,
            decision=r.decision,
            score=None if r.score is None else int(r.score),
            model_version=r.model_version,
            evidence_index=None if r.evidence_index is None else int(r.evidence_index),
        )
        for r in rows
    ]


def json_body(answer: BaseModel) -> Any:
    """The answer as the API's body: JSON-ready, under its wire names (`class`)."""
    return answer.model_dump(mode="json", by_alias=True)


__all__ = [
    "AmbiguousLesseeError",
    "CaseDetail",
    "CaseSummary",
    "ContractDetail",
    "ContractOut",
    "LesseeDetail",
    "UnknownCaseError",
    "UnknownContractError",
    "UnknownLesseeError",
    "case_detail",
    "choose_lessor",
    "contract_detail",
    "find_lessee",
    "json_body",
    "lessee_detail",
    "list_cases",
]
