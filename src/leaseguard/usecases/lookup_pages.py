"""A contract and a lessee at one lessor, a page at a time: what the console's /contracts/{no} and
/lessees/{id} show. Built on usecases.lookup (`contract_detail`, `case_detail` and its readers, the answers of
`contract show` and GET /v1/contracts/{no}); the long lists — a contract's rent schedule, payments, classified
days and assets, a lessee's contracts, assets, checks and decisions — are read a page at a time, so a page
costs the same for a lessee with five contracts or five thousand.

Every read has the asking lessor in its WHERE clause; a contract or lessee of another lessor is answered like
one that does not exist (UnknownContractError, UnknownLesseeError)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Select, desc, func, or_, select
from sqlalchemy.orm import Session

from leaseguard.portfolio.schedule import build_schedule
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
    EvidenceRecord,
    Payment,
    ScheduleLine,
    Valuation,
)
from leaseguard.usecases.lookup import (
    NO_SUCH_LESSEE,
    AssetBrief,
    CaseDetail,
    CaseSummary,
    CheckOut,
    ClassChangeOut,
    ClassOnDay,
    ContractDetail,
    CreditDecisionOut,
    UnknownLesseeError,
    asset_brief,
    asset_lessee_name,
    case_detail,
    case_rows,
    case_summaries,
    check_out,
    class_on_day,
    classes_now,
    contract_detail,
    lessor_name,
    not_by_index,
)

T = TypeVar("T")

SCHEDULE_ROWS = 12  # a year of monthly rent
PAYMENT_ROWS = 20
DAYS_ROWS = 20
ASSET_ROWS = 20
CONTRACT_ROWS = 20
CHECK_ROWS = 20
DECISION_ROWS = 20
CHANGE_ROWS = 20
VALUATIONS_PER_ASSET = 5
RUN_DAYS_SHOWN = 6  # a lessee's classes over time: its contracts on the latest run days


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: its rows, the page number (1 first), the number of pages, of rows in all and per
    page."""

    items: list[T]
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def first_row(self) -> int:
        """The number of the page's first row in the whole list (1 first; 0 for an empty list)."""
        return 0 if not self.items else (self.page - 1) * self.per_page + 1


def _page_of(page: int, total: int, per_page: int) -> tuple[int, int, int]:
    """(page, pages, offset): the page asked for held to the pages there are."""
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * per_page


@dataclass(frozen=True)
class InstalmentLine:
    number: int
    due_date: dt.date
    principal_fen: int  # the residual value included, on the last line
    interest_fen: int
    amount_fen: int
    outstanding_after_fen: int


@dataclass(frozen=True)
class PaymentLine:
    paid_date: dt.date
    amount_fen: int
    seq: int


@dataclass(frozen=True)
class PositionOnDay:
    """Where a contract stood on a run day: days past due, class, the rule that decided it and its reasons
    (codes: classification.reasons renders them in words)."""

    as_of: dt.date
    klass: str
    dpd: int
    outstanding_principal_fen: int
    overdue_amount_fen: int
    provision_fen: int
    deciding_rule: str
    reasons: str


@dataclass(frozen=True)
class ValuationLine:
    valuation_date: dt.date
    disposal_value_fen: int


@dataclass(frozen=True)
class AssetWithValuations:
    asset: AssetBrief
    valuations: list[ValuationLine]
    valuation_count: int


@dataclass(frozen=True)
class EvidenceLine:
    """A record of the evidence log about the contract (its case, steps, demands, documents, checks)."""

    index: int
    kind: str
    ref: str | None
    appended_at: dt.datetime


@dataclass(frozen=True)
class ContractPage:
    detail: ContractDetail
    schedule: Paged[InstalmentLine]
    schedule_source: str  # "imported" (schedules.csv) or "terms" (computed from the contract's terms)
    payments: Paged[PaymentLine]
    days: Paged[PositionOnDay]
    changes: list[ClassChangeOut]
    assets: Paged[AssetWithValuations]
    case: CaseDetail | None
    checks: list[CheckOut]
    evidence: list[EvidenceLine]
    reasons_now: str | None = None  # the latest classified day's reasons (codes)


def contract_page(
    session: Session,
    lessor: str,
    contract_no: str,
    *,
    schedule_page: int = 1,
    payments_page: int = 1,
    days_page: int = 1,
    assets_page: int = 1,
    more_evidence: Sequence[int] = (),
) -> ContractPage:
    """One of `lessor`'s contracts as its page shows it; UnknownContractError when `lessor` has no such one.
    `more_evidence`: indexes of other records about it to list with its own (its collection calls')."""
    detail = contract_detail(session, lessor, contract_no)
    connection = session.connection()
    days = _positions(connection, lessor, contract_no, days_page)
    case = case_detail(session, lessor, detail.case.case_id) if detail.case is not None else None
    checks = _contract_checks(connection, lessor, detail)
    evidence_indexes = [
        *([case.evidence_index] if case is not None and case.evidence_index is not None else []),
        *(
            e.evidence_index
            for e in (case.entries if case is not None else [])
            if e.evidence_index is not None
        ),
        *(n.evidence_index for n in detail.notices if n.evidence_index is not None),
        *(d.evidence_index for d in detail.documents),
        *(c.evidence_index for c in checks if c.evidence_index is not None),
        *more_evidence,
    ]
    latest = days.items[0] if days.page == 1 and days.items else None
    schedule, source = _schedule(connection, detail, schedule_page)
    return ContractPage(
        detail=detail,
        schedule=schedule,
        schedule_source=source,
        payments=_payments(connection, lessor, contract_no, detail.payments.count, payments_page),
        days=days,
        changes=detail.class_history,
        assets=_assets_with_valuations(connection, lessor, detail.assets, assets_page),
        case=case,
        checks=checks,
        evidence=_evidence(connection, lessor, evidence_indexes),
        reasons_now=latest.reasons if latest is not None else None,
    )


def _schedule(connection: Connection, detail: ContractDetail, page: int) -> tuple[Paged[InstalmentLine], str]:
    """The contract's instalments, a page at a time, and where they come from: its imported schedule where it
    has one ("imported"), else computed from its terms as the daily run computes them ("terms"). A schedule
    has at most a few hundred lines; `detail` is a contract of the asking lessor (contract_detail checked)."""
    imported = connection.execute(
        select(
            ScheduleLine.number, ScheduleLine.due_date, ScheduleLine.principal_fen, ScheduleLine.interest_fen
        )
        .where(ScheduleLine.contract_no == detail.contract_no)
        .order_by(ScheduleLine.number)
    ).all()
    lines: list[InstalmentLine] = []
    if imported:
        outstanding = sum(int(principal) for _, _, principal, _ in imported)
        for number, due, principal, interest in imported:
            outstanding -= int(principal)
            lines.append(
                InstalmentLine(
                    int(number), as_date(due), int(principal), int(interest), int(principal) + int(interest),
                    outstanding,
                )
            )  # fmt: skip
    else:
        first_due = connection.execute(
            select(Contract.first_due_date).where(Contract.contract_no == detail.contract_no)
        ).scalar()
        for line in build_schedule(
            detail.principal_fen,
            Decimal(detail.annual_rate),
            detail.term_months,
            detail.method,
            detail.frequency,
            detail.start_date,
            detail.residual_value_fen,
            None if first_due is None else as_date(first_due),
        ):
            lines.append(
                InstalmentLine(
                    line.number, line.due_date, line.principal_fen + line.residual_fen, line.interest_fen,
                    line.amount_fen, line.outstanding_after_fen,
                )
            )  # fmt: skip
    page, pages, offset = _page_of(page, len(lines), SCHEDULE_ROWS)
    shown = Paged(lines[offset : offset + SCHEDULE_ROWS], page, pages, len(lines), SCHEDULE_ROWS)
    return shown, "imported" if imported else "terms"


def _payments(
    connection: Connection, lessor: str, contract_no: str, total: int, page: int
) -> Paged[PaymentLine]:
    """The contract's payments, newest first, a page at a time (read backwards along the contract's payment
    key: contract, day, amount, seq)."""
    page, pages, offset = _page_of(page, total, PAYMENT_ROWS)
    rows = connection.execute(
        select(Payment.paid_date, Payment.amount_fen, Payment.seq)
        .where(Payment.contract_no == contract_no, not_by_index(Payment.lessor) == lessor)
        .order_by(desc(Payment.paid_date), desc(Payment.amount_fen), desc(Payment.seq))
        .offset(offset)
        .limit(PAYMENT_ROWS)
    ).all()
    items = [PaymentLine(as_date(day), int(amount), int(seq)) for day, amount, seq in rows]
    return Paged(items, page, pages, total, PAYMENT_ROWS)


def _position(r: Any) -> PositionOnDay:
    return PositionOnDay(
        as_of=as_date(r.as_of),
        klass=r._mapping["class"],
        dpd=int(r.dpd),
        outstanding_principal_fen=int(r.outstanding_principal_fen),
        overdue_amount_fen=int(r.overdue_amount_fen),
        provision_fen=int(r.provision_fen),
        deciding_rule=r.deciding_rule,
        reasons=r.reasons or "",
    )


def _run_days(
    connection: Connection, lessor: str, offset: int = 0, limit: int | None = None
) -> list[dt.date]:
    """The lessor's run days, newest first (a day only another lessor ran is not one)."""
    query = (
        select(BookRun.as_of).where(BookRun.lessor == lessor).order_by(BookRun.as_of.desc()).offset(offset)
    )
    return [as_date(day) for day in connection.scalars(query if limit is None else query.limit(limit))]


def _positions(connection: Connection, lessor: str, contract_no: str, page: int) -> Paged[PositionOnDay]:
    """The contract on each run day, newest first, a page of run days at a time: the table's key is (day,
    contract), so a page is a handful of key reads however long the history."""
    total = int(
        connection.execute(
            select(func.count()).select_from(BookRun).where(BookRun.lessor == lessor)
        ).scalar_one()
    )
    page, pages, offset = _page_of(page, total, DAYS_ROWS)
    days = _run_days(connection, lessor, offset, DAYS_ROWS)
    rows = (
        connection.execute(
            select(ContractClass.__table__)
            .where(
                ContractClass.as_of.in_(days),
                ContractClass.contract_no == contract_no,
                ContractClass.lessor == lessor,
            )
            .order_by(ContractClass.as_of.desc())
        ).all()
        if days
        else []
    )
    return Paged([_position(r) for r in rows], page, pages, total, DAYS_ROWS)


def _assets_with_valuations(
    connection: Connection, lessor: str, assets: Sequence[AssetBrief], page: int
) -> Paged[AssetWithValuations]:
    page, pages, offset = _page_of(page, len(assets), ASSET_ROWS)
    shown = list(assets[offset : offset + ASSET_ROWS])
    valuations: dict[str, list[ValuationLine]] = {}
    counts: dict[str, int] = {}
    if shown:
        for asset_id, day, value in connection.execute(
            select(Valuation.asset_id, Valuation.valuation_date, Valuation.disposal_value_fen)
            .where(Valuation.lessor == lessor, Valuation.asset_id.in_([a.asset_id for a in shown]))
            .order_by(Valuation.asset_id, Valuation.valuation_date.desc())
        ).all():
            counts[asset_id] = counts.get(asset_id, 0) + 1
            if counts[asset_id] <= VALUATIONS_PER_ASSET:
                valuations.setdefault(asset_id, []).append(ValuationLine(as_date(day), int(value)))
    items = [AssetWithValuations(a, valuations.get(a.asset_id, []), counts.get(a.asset_id, 0)) for a in shown]
    return Paged(items, page, pages, len(assets), ASSET_ROWS)


def _contract_checks(connection: Connection, lessor: str, detail: ContractDetail) -> list[CheckOut]:
    """The lessor's checks that named this contract or one of its assets, newest first: looked for among the
    checks that named the lessee (their own index), the newest few hundred."""
    rows = connection.execute(
        select(AssetCheck.__table__)
        .where(AssetCheck.lessor == lessor, AssetCheck.lessee_id == detail.lessee_id)
        .order_by(AssetCheck.id.desc())
        .limit(500)
    ).all()
    asset_ids = {a.asset_id for a in detail.assets}
    identifiers = {value for a in detail.assets for value in (a.vin, a.serial_no) if value}
    found = []
    for r in rows:
        check = check_out(r)
        if (
            check.contract_no == detail.contract_no
            or check.asset_id in asset_ids
            or check.vin in identifiers
            or check.serial_no in identifiers
        ):
            found.append(check)
    return found[:CHECK_ROWS]


def _evidence(connection: Connection, lessor: str, indexes: Sequence[int]) -> list[EvidenceLine]:
    wanted = sorted(set(indexes))
    if not wanted:
        return []
    rows = connection.execute(
        select(EvidenceRecord.leaf_index, EvidenceRecord.kind, EvidenceRecord.ref, EvidenceRecord.appended_at)
        .where(EvidenceRecord.leaf_index.in_(wanted), not_by_index(EvidenceRecord.lessor) == lessor)
        .order_by(EvidenceRecord.leaf_index)
    ).all()
    return [EvidenceLine(int(index), kind, ref, appended) for index, kind, ref, appended in rows]


# --- a lessee ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LesseeContract:
    contract_no: str
    start_date: dt.date
    term_months: int
    principal_fen: int
    class_now: ClassOnDay | None
    case_id: int | None
    case_stage: str | None
    # The contract's class on each of the run days shown (LesseePage.run_days), None where not classified.
    over_time: list[ClassOnDay | None] = field(default_factory=list)


@dataclass(frozen=True)
class LesseePage:
    lessee_id: str
    lessee_name: str
    lessee_type: str | None
    lessor: str
    lessor_name: str
    contract_count: int
    outstanding_principal_fen: int  # over the contracts classified on the latest run day
    run_days: list[dt.date]  # the latest first
    contracts: Paged[LesseeContract]
    changes: Paged[ClassChangeOut]
    assets: Paged[AssetBrief]
    checks: Paged[CheckOut]
    decisions: Paged[CreditDecisionOut]
    cases: list[CaseSummary]


def lessee_page(
    session: Session,
    lessor: str,
    lessee_id: str,
    *,
    contracts_page: int = 1,
    changes_page: int = 1,
    assets_page: int = 1,
    checks_page: int = 1,
    decisions_page: int = 1,
) -> LesseePage:
    """Everything `lessor` has on one of its lessees, each list a page at a time. UnknownLesseeError when it
    has nothing under that id (no contract, asset, check or credit decision)."""
    connection = session.connection()
    of_lessee = (Contract.lessor == lessor, Contract.lessee_id == lessee_id)
    contract_count = _count(connection, select(func.count()).select_from(Contract).where(*of_lessee))
    assets = _lessee_assets(connection, lessor, lessee_id, assets_page)
    checks = _lessee_checks(connection, lessor, lessee_id, checks_page)
    decisions = _lessee_decisions(connection, lessor, lessee_id, decisions_page)
    if not (contract_count or assets.total or checks.total or decisions.total):
        raise UnknownLesseeError(NO_SUCH_LESSEE, lessee=lessee_id)
    latest = connection.execute(
        select(Contract.lessee_name, Contract.lessee_type)
        .where(*of_lessee)
        .order_by(Contract.id.desc())
        .limit(1)
    ).first()
    run_days = _run_days(connection, lessor, 0, RUN_DAYS_SHOWN)
    contracts = _lessee_contracts(connection, lessor, lessee_id, contract_count, contracts_page, run_days)
    outstanding = 0
    if run_days and contract_count:
        outstanding = int(
            connection.execute(
                select(func.coalesce(func.sum(ContractClass.outstanding_principal_fen), 0))
                .select_from(Contract)
                .join(
                    ContractClass,
                    (ContractClass.contract_no == Contract.contract_no)
                    & (ContractClass.as_of == run_days[0]),
                )
                .where(*of_lessee)
            ).scalar_one()
        )
    case_ids = list(
        connection.scalars(
            select(EnforcementCase.id)
            .join(Contract, Contract.contract_no == EnforcementCase.contract_no)
            .where(EnforcementCase.lessor == lessor, *of_lessee)
            .order_by(EnforcementCase.id)
        )
    )
    cases = (
        case_summaries(connection, lessor, case_rows(connection, lessor, case_ids=case_ids))
        if case_ids
        else []
    )
    name = latest.lessee_name if latest else asset_lessee_name(connection, lessor, lessee_id) or ""
    return LesseePage(
        lessee_id=lessee_id,
        lessee_name=name,
        lessee_type=latest.lessee_type if latest else None,
        lessor=lessor,
        lessor_name=lessor_name(connection, lessor),
        contract_count=contract_count,
        outstanding_principal_fen=outstanding,
        run_days=run_days,
        contracts=contracts,
        changes=_lessee_changes(connection, lessor, lessee_id, changes_page),
        assets=assets,
        checks=checks,
        decisions=decisions,
        cases=cases,
    )


def _count(connection: Connection, query: Select[Any]) -> int:
    return int(connection.execute(query).scalar_one())


def _lessee_contracts(
    connection: Connection, lessor: str, lessee_id: str, total: int, page: int, run_days: Sequence[dt.date]
) -> Paged[LesseeContract]:
    page, pages, offset = _page_of(page, total, CONTRACT_ROWS)
    rows = connection.execute(
        select(Contract.contract_no, Contract.start_date, Contract.term_months, Contract.principal_fen)
        .where(Contract.lessor == lessor, Contract.lessee_id == lessee_id)
        # In the order they came in: the (lessor, lessee_id) index's own order, so no sort and no other index.
        .order_by(Contract.id)
        .offset(offset)
        .limit(CONTRACT_ROWS)
    ).all()
    numbers = [row.contract_no for row in rows]
    now = classes_now(connection, lessor, numbers)
    over_time: dict[tuple[str, dt.date], ClassOnDay] = {}
    if numbers and run_days:
        for r in connection.execute(
            select(ContractClass.__table__).where(
                ContractClass.as_of.in_(list(run_days)),
                ContractClass.contract_no.in_(numbers),
                ContractClass.lessor == lessor,
            )
        ).all():
            over_time[(str(r.contract_no), as_date(r.as_of))] = class_on_day(r)
    cases = {
        str(r.contract_no): (int(r.id), str(r.stage))
        for r in connection.execute(
            select(EnforcementCase.id, EnforcementCase.contract_no, EnforcementCase.stage).where(
                EnforcementCase.lessor == lessor, EnforcementCase.contract_no.in_(numbers)
            )
        ).all()
    }
    items = [
        LesseeContract(
            contract_no=row.contract_no,
            start_date=as_date(row.start_date),
            term_months=int(row.term_months),
            principal_fen=int(row.principal_fen),
            class_now=now.get(row.contract_no),
            case_id=cases[row.contract_no][0] if row.contract_no in cases else None,
            case_stage=cases[row.contract_no][1] if row.contract_no in cases else None,
            over_time=[over_time.get((row.contract_no, day)) for day in run_days],
        )
        for row in rows
    ]
    return Paged(items, page, pages, total, CONTRACT_ROWS)


def _lessee_changes(connection: Connection, lessor: str, lessee_id: str, page: int) -> Paged[ClassChangeOut]:
    """The changes of class of the lessee's contracts, newest first."""
    joined = (
        select(ClassChange.__table__)
        .join(Contract, Contract.contract_no == ClassChange.contract_no)
        .where(Contract.lessor == lessor, Contract.lessee_id == lessee_id)
    )
    total = _count(connection, select(func.count()).select_from(joined.subquery()))
    page, pages, offset = _page_of(page, total, CHANGE_ROWS)
    rows = connection.execute(
        joined.order_by(ClassChange.as_of.desc(), ClassChange.contract_no).offset(offset).limit(CHANGE_ROWS)
    ).all()
    return Paged([ClassChangeOut.of_row(r) for r in rows], page, pages, total, CHANGE_ROWS)


def _lessee_assets(connection: Connection, lessor: str, lessee_id: str, page: int) -> Paged[AssetBrief]:
    of_lessee = (Asset.lessee_id == lessee_id, not_by_index(Asset.lessor) == lessor)
    total = _count(connection, select(func.count()).select_from(Asset).where(*of_lessee))
    page, pages, offset = _page_of(page, total, ASSET_ROWS)
    rows = connection.execute(
        select(Asset.__table__).where(*of_lessee).order_by(Asset.id).offset(offset).limit(ASSET_ROWS)
    ).all()
    return Paged([asset_brief(r) for r in rows], page, pages, total, ASSET_ROWS)


def _lessee_checks(connection: Connection, lessor: str, lessee_id: str, page: int) -> Paged[CheckOut]:
    of_lessee = (AssetCheck.lessor == lessor, AssetCheck.lessee_id == lessee_id)
    total = _count(connection, select(func.count()).select_from(AssetCheck).where(*of_lessee))
    page, pages, offset = _page_of(page, total, CHECK_ROWS)
    rows = connection.execute(
        select(AssetCheck.__table__)
        .where(*of_lessee)
        .order_by(AssetCheck.id.desc())
        .offset(offset)
        .limit(CHECK_ROWS)
    ).all()
    return Paged([check_out(r) for r in rows], page, pages, total, CHECK_ROWS)


def _lessee_decisions(
    connection: Connection, lessor: str, lessee_id: str, page: int
) -> Paged[CreditDecisionOut]:
    of_lessee = (
        CreditApplication.applicant_id == lessee_id,
        CreditApplication.lessor == lessor,
        or_(CreditApplication.source == "decision", CreditApplication.decision.is_not(None)),
    )
    total = _count(connection, select(func.count()).select_from(CreditApplication).where(*of_lessee))
    page, pages, offset = _page_of(page, total, DECISION_ROWS)
    rows = connection.execute(
        select(CreditApplication.__table__)
        .where(*of_lessee)
        .order_by(CreditApplication.applied_on.desc(), CreditApplication.id.desc())
        .offset(offset)
        .limit(DECISION_ROWS)
    ).all()
    items = [
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
    return Paged(items, page, pages, total, DECISION_ROWS)


__all__ = ["ContractPage", "LesseePage", "Paged", "contract_page", "lessee_page"]
